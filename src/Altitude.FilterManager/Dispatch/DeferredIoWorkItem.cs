// FltAllocateDeferredIoWorkItem, FltQueueDeferredIoWorkItem, FltFreeDeferredIoWorkItem: a filter posts the rest of an
// operation it pended (or whose post-op returned MORE_PROCESSING_REQUIRED) to the Filter Manager's system worker threads,
// where it may block. Refused where posting would be unsafe on Windows (spec section 2).
namespace Altitude;

/// <summary>WORK_QUEUE_TYPE. Altitude has one pool of system worker threads; the value is accepted and kept.</summary>
public enum WorkQueueType { CriticalWorkQueue = 0, DelayedWorkQueue = 1, HyperCriticalWorkQueue = 2 }

/// <summary>
/// PFLT_DEFERRED_IO_WORKITEM_ROUTINE: runs on a system worker thread with the token of the operation the item was queued
/// for (complete it through the token: the callback data may carry another operation once this one is over).
/// </summary>
public delegate void DeferredIoWorkItemRoutine(DeferredIoWorkItem workItem, PendedOperation operation, object? context);

/// <summary>
/// PFLT_DEFERRED_IO_WORKITEM. <c>new DeferredIoWorkItem()</c> is FltAllocateDeferredIoWorkItem; nothing to free. An item
/// may be queued again once its routine has started (from inside the routine too), not while it waits.
/// </summary>
public sealed class DeferredIoWorkItem
{
    private int queued;
    private PendedOperation operation;
    private DeferredIoWorkItemRoutine? routine;
    private object? context;
    private Instance? instance;

    /// <summary>The queue type of the last <see cref="Queue"/> (diagnostics).</summary>
    public WorkQueueType QueueType { get; private set; }

    /// <summary>
    /// FltQueueDeferredIoWorkItem for the operation <paramref name="data"/> carries now, on behalf of its current instance.
    /// STATUS_FLT_NOT_SAFE_TO_POST_OPERATION for an operation that is not IRP-based (fast I/O, FsFilter callbacks,
    /// NETWORK_QUERY_OPEN), for paging I/O, and while the file system itself is issuing it (TopLevelIrp set);
    /// STATUS_FLT_DELETING_OBJECT when the instance is being torn down; STATUS_INVALID_PARAMETER while this item still waits.
    /// Then return PENDING (or MORE_PROCESSING_REQUIRED) and complete from the routine.
    /// </summary>
    public NtStatus Queue(CallbackData data, DeferredIoWorkItemRoutine workerRoutine, WorkQueueType queueType, object? routineContext)
    {
        if (data is null || workerRoutine is null) return NtStatus.InvalidParameter;
        if (data.IsNonIrpOperation
            || (data.Iopb.IrpFlags & IoParameterBlock.IrpPagingIo) != 0
            || Dispatcher.FileSystemDepth != 0)
            return NtStatus.FltNotSafeToPostOperation;
        Instance? target = data.Iopb.TargetInstance;
        if (target is null) return NtStatus.InvalidParameter;
        if (target.IsTearingDown) return NtStatus.FltDeletingObject;
        if (Interlocked.CompareExchange(ref queued, 1, 0) != 0) return NtStatus.InvalidParameter;
        operation = data.PendedOperation;
        routine = workerRoutine;
        context = routineContext;
        instance = target;
        QueueType = queueType;
        data.Volume.Manager.Workers.Post(this);
        return NtStatus.Success;
    }

    /// <summary>On a system worker: calls the routine once; a throw is the filter's fault (the operation stays pended).</summary>
    internal void Run()
    {
        PendedOperation op = operation;
        DeferredIoWorkItemRoutine r = routine!;
        object? ctx = context;
        Instance? inst = instance;
        operation = default;
        routine = null;
        context = null;
        instance = null;
        Volatile.Write(ref queued, 0);
        try
        {
            r(this, op, ctx);
        }
        catch (Exception e)
        {
            op.Data.Volume.Manager.ReportFault(inst, op.Data.Iopb.MajorFunction, "deferred I/O work item routine threw", e);
        }
    }
}
