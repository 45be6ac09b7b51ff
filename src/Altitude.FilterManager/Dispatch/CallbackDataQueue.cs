// FLT_CALLBACK_DATA_QUEUE, the cancel-safe queue (FltCbdqInitialize, FltCbdqInsertIo, FltCbdqRemoveIo, FltCbdqRemoveNextIo,
// FltCbdqEnable, FltCbdqDisable): where a filter parks the operations it pended, so that a cancel (FUSE INTERRUPT) and the
// filter's own removal can race without either completing an operation twice or losing it. The cancel routine is the
// engine's FltSetCancelCompletion; whoever clears it first owns the operation (the IoCsq protocol).
namespace Altitude;

/// <summary>
/// FLT_CALLBACK_DATA_QUEUE_IO_CONTEXT: names one queued operation for <see cref="CallbackDataQueue.RemoveIo"/>. Caller-owned
/// and reusable (keep one in your per-operation state); the queue only writes to it.
/// </summary>
public sealed class CallbackDataQueueIoContext
{
    internal CallbackDataQueue? Queue;
    internal CallbackData? Data;
    internal long Activation;

    /// <summary>True while the operation it names is in a queue (neither removed nor cancelled yet).</summary>
    public bool IsQueued => Volatile.Read(ref Data) is not null;
}

/// <summary>
/// A cancel-safe queue of pended operations. The WDK's six callbacks are the protected virtual methods; the defaults keep a
/// FIFO through links inside the callback data (no allocation per operation), lock with a private lock, and complete a
/// cancelled operation with STATUS_CANCELLED. Override them for another order or lock; <see cref="OnRemoveIo"/>,
/// <see cref="OnInsertIo"/> and <see cref="OnPeekNextIo"/> go together. Thread-safe; the callbacks run under
/// <see cref="OnAcquire"/>, except <see cref="OnCompleteCanceledIo"/>, which runs after <see cref="OnRelease"/>.
/// </summary>
public class CallbackDataQueue
{
    private readonly Lock gate = new();
    private readonly Action<PendedOperation> cancelRoutine;
    private CallbackData? head, tail;
    private int count;
    private volatile bool enabled;

    public CallbackDataQueue() => cancelRoutine = OnCancel;

    /// <summary>The instance given to <see cref="Initialize"/>.</summary>
    public Instance? Instance { get; private set; }

    /// <summary>Operations in the queue now.</summary>
    public int Count => Volatile.Read(ref count);

    /// <summary>FltCbdqInitialize: binds the queue to <paramref name="instance"/> and enables it. Once only (STATUS_INVALID_PARAMETER again).</summary>
    public NtStatus Initialize(Instance instance)
    {
        if (instance is null || Instance is not null) return NtStatus.InvalidParameter;
        Instance = instance;
        enabled = true;
        return NtStatus.Success;
    }

    /// <summary>FltCbdqEnable: inserts are accepted again.</summary>
    public void Enable() => enabled = true;

    /// <summary>FltCbdqDisable: inserts fail with STATUS_FLT_CBDQ_DISABLED; what is queued stays (drain it with RemoveNextIo).</summary>
    public void Disable() => enabled = false;

    /// <summary>
    /// FltCbdqInsertIo: queues the operation <paramref name="data"/> carries now (call it from the pre-op that returns PENDING,
    /// or for a post-op that returns MORE_PROCESSING_REQUIRED), and arms its cancel routine. STATUS_FLT_CBDQ_DISABLED when
    /// disabled; the status of <see cref="OnInsertIo"/> when that refuses; STATUS_INVALID_PARAMETER when not initialized or
    /// the operation is already queued; STATUS_REQUEST_ABORTED when it is over. An operation cancelled before it was armed
    /// is completed through <see cref="OnCompleteCanceledIo"/> at once, and the result is still STATUS_SUCCESS: return
    /// PENDING as planned. Do not set a cancel routine of your own on a queued operation.
    /// </summary>
    public NtStatus InsertIo(CallbackData data, CallbackDataQueueIoContext? context = null, object? insertContext = null)
    {
        if (data is null || Instance is null) return NtStatus.InvalidParameter;
        PendedOperation operation = data.PendedOperation;
        if (data.QueueOwner is { } previous && !previous.EvictIfStale(data)) return NtStatus.InvalidParameter;
        NtStatus armed;
        OnAcquire();
        try
        {
            if (!enabled) return NtStatus.FltCbdqDisabled;
            NtStatus inserted = OnInsertIo(data, insertContext);
            if (!inserted.IsSuccess()) return inserted;
            Interlocked.Increment(ref count);
            data.QueueOwner = this;
            data.QueuedOperation = operation;
            data.QueueIoContext = context;
            if (context is not null)
            {
                context.Queue = this;
                context.Activation = operation.Activation;
                Volatile.Write(ref context.Data, data);
            }
            armed = data.SetCancelCompletion(cancelRoutine, operation.Activation);
            if (armed == NtStatus.Success) return NtStatus.Success;
            Take(data);   // cancelled already, or over: it must not stay queued
        }
        finally
        {
            OnRelease();
        }
        if (armed != NtStatus.Cancelled) return armed;
        CompleteCanceled(operation);
        return NtStatus.Success;
    }

    /// <summary>
    /// FltCbdqRemoveIo: takes out the operation <paramref name="context"/> names. STATUS_SUCCESS with its token (the caller
    /// now owns it and completes it); STATUS_NOT_FOUND when it was removed already, or is being cancelled (the cancel routine
    /// completes it).
    /// </summary>
    public NtStatus RemoveIo(CallbackDataQueueIoContext context, out PendedOperation operation)
    {
        operation = default;
        if (context is null) return NtStatus.InvalidParameter;
        OnAcquire();
        try
        {
            CallbackData? d = context.Data;
            if (d is null || !ReferenceEquals(context.Queue, this)) return NtStatus.NotFound;
            if (!ReferenceEquals(d.QueueOwner, this) || d.QueuedOperation.Activation != context.Activation)
            {
                Volatile.Write(ref context.Data, null);
                return NtStatus.NotFound;
            }
            return TryTake(d, out operation) ? NtStatus.Success : NtStatus.NotFound;
        }
        finally
        {
            OnRelease();
        }
    }

    /// <summary>
    /// FltCbdqRemoveNextIo: takes out the first operation <see cref="OnPeekNextIo"/> offers that is not being cancelled.
    /// STATUS_SUCCESS with its token, STATUS_NO_MORE_ENTRIES when there is none.
    /// </summary>
    public NtStatus RemoveNextIo(out PendedOperation operation, object? peekContext = null)
    {
        operation = default;
        OnAcquire();
        try
        {
            CallbackData? d = OnPeekNextIo(null, peekContext);
            while (d is not null)
            {
                CallbackData? next = OnPeekNextIo(d, peekContext);
                if (TryTake(d, out operation)) return NtStatus.Success;
                d = next;
            }
            return NtStatus.NoMoreEntries;
        }
        finally
        {
            OnRelease();
        }
    }

    // ---- the WDK callbacks ----

    /// <summary>CbdqInsertIo: put <paramref name="data"/> in the queue's storage. The default appends it to the FIFO.</summary>
    protected virtual NtStatus OnInsertIo(CallbackData data, object? insertContext)
    {
        data.QueueNext = null;
        data.QueuePrevious = tail;
        if (tail is null) head = data; else tail.QueueNext = data;
        tail = data;
        return NtStatus.Success;
    }

    /// <summary>CbdqRemoveIo: take <paramref name="data"/> out of the queue's storage.</summary>
    protected virtual void OnRemoveIo(CallbackData data)
    {
        if (data.QueuePrevious is null) head = data.QueueNext; else data.QueuePrevious.QueueNext = data.QueueNext;
        if (data.QueueNext is null) tail = data.QueuePrevious; else data.QueueNext.QueuePrevious = data.QueuePrevious;
        data.QueueNext = data.QueuePrevious = null;
    }

    /// <summary>CbdqPeekNextIo: the operation after <paramref name="data"/> (null: the first), or null. The default ignores the peek context.</summary>
    protected virtual CallbackData? OnPeekNextIo(CallbackData? data, object? peekContext) => data is null ? head : data.QueueNext;

    /// <summary>CbdqAcquire: lock the queue (a spin lock's role; no IRQL here).</summary>
    protected virtual void OnAcquire() => gate.Enter();

    /// <summary>CbdqRelease.</summary>
    protected virtual void OnRelease() => gate.Exit();

    /// <summary>
    /// CbdqCompleteCanceledIo: the operation was cancelled while queued and is already out of the queue; complete it. Runs
    /// once per cancelled operation, outside the lock, on the cancelling thread (a FUSE reader: keep it short). The default
    /// completes a pended pre-op with STATUS_CANCELLED (EINTR for the caller), or resumes a pended post-op with that status.
    /// </summary>
    protected virtual void OnCompleteCanceledIo(PendedOperation operation)
    {
        if (operation.Data.InCallback == 2)   // pended by a post-op (MORE_PROCESSING_REQUIRED)
        {
            if (operation.IsCurrent) operation.Data.IoStatus = new IoStatusBlock(NtStatus.Cancelled, 0);
            operation.CompletePostOperation();
        }
        else operation.Complete(NtStatus.Cancelled);
    }

    // ---- internals (under the lock unless said otherwise) ----

    /// <summary>The engine's cancel routine (FltSetCancelCompletion), called once per cancel, outside any engine lock.</summary>
    private void OnCancel(PendedOperation operation)
    {
        bool mine;
        OnAcquire();
        try
        {
            CallbackData d = operation.Data;
            mine = ReferenceEquals(d.QueueOwner, this) && d.QueuedOperation.Activation == operation.Activation;
            if (mine) Take(d);
        }
        finally
        {
            OnRelease();
        }
        if (mine) CompleteCanceled(operation);
    }

    /// <summary>Removes <paramref name="d"/> if this call disarms its cancel routine first; drops it if its operation is over.</summary>
    private bool TryTake(CallbackData d, out PendedOperation operation)
    {
        operation = d.QueuedOperation;
        if (d.ClearCancelCompletion(operation.Activation) == NtStatus.Success)
        {
            Take(d);
            return true;
        }
        // Not disarmed: a cancel took the routine and will remove and complete it, unless the operation ended without us
        // (the pending watchdog), in which case nobody else will unlink it.
        if (!operation.IsCurrent) Take(d);
        operation = default;
        return false;
    }

    private void Take(CallbackData d)
    {
        OnRemoveIo(d);
        Interlocked.Decrement(ref count);
        if (d.QueueIoContext is { } context) Volatile.Write(ref context.Data, null);
        d.QueueIoContext = null;
        d.QueueOwner = null;
    }

    /// <summary>Before <paramref name="d"/> joins another queue: unlinks it here if its queued operation is over. False if it is still live.</summary>
    private bool EvictIfStale(CallbackData d)
    {
        OnAcquire();
        try
        {
            if (!ReferenceEquals(d.QueueOwner, this)) return true;
            if (d.QueuedOperation.IsCurrent) return false;
            Take(d);
            return true;
        }
        finally
        {
            OnRelease();
        }
    }

    private void CompleteCanceled(PendedOperation operation)
    {
        try
        {
            OnCompleteCanceledIo(operation);
        }
        catch (Exception e)
        {
            operation.Data.Volume.Manager.ReportFault(Instance, operation.Data.Iopb.MajorFunction, "cancel-safe queue CompleteCanceledIo threw", e);
        }
    }
}
