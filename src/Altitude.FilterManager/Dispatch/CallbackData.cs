// FLT_CALLBACK_DATA: one operation on its way through a volume's instances. Objects are pooled per volume
// and reused, so a filter must not keep a reference after the operation completed.
namespace Altitude;

/// <summary>Receives an operation that completed after its issuer was released (it pended somewhere).</summary>
public interface IOperationCompletion
{
    /// <summary>Called once, on the thread that finished the operation. IoStatus is final.</summary>
    void OnOperationCompleted(CallbackData data);
}

/// <summary>One operation: what it is (Iopb), who asked (Requestor), how it ended (IoStatus).</summary>
public sealed partial class CallbackData
{
    internal CallbackData(Volume volume) => Volume = volume;

    public CallbackDataFlags Flags;
    public readonly IoParameterBlock Iopb = new();
    public IoStatusBlock IoStatus;
    public Requestor Requestor;

    /// <summary>The volume the operation runs on.</summary>
    public Volume Volume { get; }

    /// <summary>True when a filter issued the operation (FLTFL_CALLBACK_DATA_GENERATED_IO).</summary>
    public bool IsGeneratedIo => (Flags & CallbackDataFlags.GeneratedIo) != 0;

    /// <summary>FltSetCallbackDataDirty: the Iopb was changed by a filter.</summary>
    public void SetDirty() => Flags |= CallbackDataFlags.Dirty;
    /// <summary>FltClearCallbackDataDirty.</summary>
    public void ClearDirty() => Flags &= ~CallbackDataFlags.Dirty;
    /// <summary>FltIsCallbackDataDirty.</summary>
    public bool IsDirty => (Flags & CallbackDataFlags.Dirty) != 0;

    // ---- dispatch state (owned by Dispatcher) ----
    internal Instance[] Chain = Array.Empty<Instance>();
    internal int ChainStart;
    internal InstanceFrame[] Frames = new InstanceFrame[4];
    internal long Activation;
    internal int Index;                      // instance position of the pending callback
    internal long PendState;                 // (PendKey << 3) | PendRunning, PendParked, PendEarly, PendTimedOut, PendEarlyClaim
    internal byte CallbackSeq;               // which callback of this activation runs (or pended): part of the pend key
    internal bool PendIsPost;
    internal PreOperationStatus EarlyStatus; // completion that arrived before the pre-op returned Pending
    internal object? EarlyContext;
    internal IoStatusBlock EarlyIoStatus;
    internal bool EarlyHasIoStatus;
    internal long TimedOutKey = -1;          // the pend the watchdog ended (a later completion of it is refused)
    internal long PendDeadline;
    internal bool ParkedOnce;
    internal int InCallback;                 // 1 while a pre-op runs, 2 while a post-op runs
    internal int SyncOwnerThread;
    internal int HandoffState;               // 0 none, 1 owner waiting, 2 handed off
    internal int ResumeIndex;
    internal ManualResetEventSlim? HandoffEvent;
    internal ManualResetEventSlim? CompletionEvent;
    internal IOperationCompletion? Completion;
    internal Instance? Issuer;
    internal bool InUse;
    internal bool IsDrainingCopy;
    internal int Completed;                  // set once when Finish ran
    internal bool CompletedInPreOperation;   // a pre-op returned COMPLETE (FltPerformAsynchronousIo: STATUS_FLT_IO_COMPLETE)
    internal List<(FileNameInformation, VerifierRecord)>? VerifierNames;   // verifier mode only

    internal const int PendRunning = 0, PendParked = 1, PendEarly = 2, PendTimedOut = 3, PendEarlyClaim = 4;

    /// <summary>
    /// A pend's identity: the activation (which operation) and the callback sequence number within it (which pre- or
    /// post-op pended), so a token of one pend can complete neither a later operation nor a later pend of the same one.
    /// </summary>
    internal static long Key(long activation, byte seq) => (activation << 8) | seq;

    /// <summary>The key of the callback running (or parked) now.</summary>
    internal long CurrentKey => Key(Volatile.Read(ref Activation), Volatile.Read(ref CallbackSeq));

    /// <summary>The pend state word: every transition compares the pend key too.</summary>
    internal static long Pend(long key, int state) => (key << 3) | (uint)state;

    /// <summary>Starts the next callback of the current activation: a new pend key, state Running.</summary>
    internal void NextCallback()
    {
        byte seq = (byte)(CallbackSeq + 1);
        Volatile.Write(ref CallbackSeq, seq);
        Volatile.Write(ref PendState, Pend(Key(Activation, seq), PendRunning));
    }

    /// <summary>
    /// The token of the operation this callback data carries now: what a filter keeps when it returns PENDING or
    /// MORE_PROCESSING_REQUIRED and completes later from another thread. Callback data objects are pooled and reused, so
    /// the token, not the data, names the operation: a late completion through it (after the watchdog ended the
    /// operation, after a cancel, after it completed) fails with STATUS_REQUEST_ABORTED instead of completing whatever
    /// operation reuses the object.
    /// </summary>
    public PendedOperation PendedOperation => new(this, Volatile.Read(ref Activation), Volatile.Read(ref CallbackSeq));

    /// <summary>
    /// FltCompletePendedPreOperation on whatever operation this data carries <em>now</em>. <paramref name="status"/> must be
    /// SuccessWithCallback (with an optional context), SuccessNoCallback or Complete (IoStatus set first). Returns
    /// STATUS_INVALID_PARAMETER when the operation is not pended in a pre-op, STATUS_REQUEST_ABORTED when the watchdog
    /// already ended it. Because the object is reused, a call that may come late (from a worker, after a wait) must go
    /// through <see cref="PendedOperation"/> instead, which can tell this operation from the next one.
    /// </summary>
    public NtStatus CompletePendedPreOperation(PreOperationStatus status, object? context = null)
        => PendedOperation.CompletePreOperation(status, context);

    /// <summary>FltCompletePendedPostOperation on the operation this data carries now (see <see cref="CompletePendedPreOperation"/>).</summary>
    public NtStatus CompletePendedPostOperation() => PendedOperation.CompletePostOperation();

    /// <summary>
    /// FltPerformSynchronousIo: sends a callback data from <see cref="Instance.AllocateCallbackData"/> down the
    /// stack below its issuer and waits. The result is in <see cref="IoStatus"/>.
    /// </summary>
    public NtStatus PerformSynchronousIo()
    {
        if (InUse) return NtStatus.InvalidParameter;
        Dispatcher.RunToCompletion(this, Issuer);
        return IoStatus.Status;
    }

    /// <summary>
    /// FltPerformAsynchronousIo: sends the operation down and calls <paramref name="completion"/> when it ends.
    /// Returns PENDING, or SUCCESS when it completed (and the callback already ran), STATUS_FLT_IO_COMPLETE when a pre-op
    /// below completed it (the callback already ran too), or STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST for CREATE.
    /// </summary>
    public NtStatus PerformAsynchronousIo(IOperationCompletion completion)
    {
        if (InUse) return NtStatus.InvalidParameter;
        if (Iopb.MajorFunction == MajorFunction.Create) return NtStatus.FltInvalidAsynchronousRequest;
        Completion = completion;
        if (Dispatcher.Start(this, Issuer))
        {
            InUse = false;
            completion.OnOperationCompleted(this);
            // A pre-op below completed it: the file system never saw it.
            return CompletedInPreOperation ? NtStatus.FltIoComplete : NtStatus.Success;
        }
        return NtStatus.Pending;
    }

    // ---- cancellation (FltSetCancelCompletion / FltIsIoCanceled): the FUSE front-end cancels on INTERRUPT ----
    // The routine and the request are bound to the activation they were made for, under a lock taken only on these
    // paths (never per operation), so a cancel aimed at a finished operation cannot reach the next one.
    private readonly object cancelGate = new();
    private Action<PendedOperation>? cancelRoutine;
    private long cancelRoutineActivation;
    private long cancelRequestedActivation;

    /// <summary>
    /// FltSetCancelCompletion: a filter that pended this operation names the routine to call if the requestor gives up
    /// (FUSE INTERRUPT). The routine runs once, on the cancelling thread, with the token of the operation; it typically
    /// calls <see cref="PendedOperation.Complete(NtStatus, long)"/> with STATUS_CANCELLED. Returns STATUS_CANCELLED (and
    /// does not keep the routine) when cancellation was already requested.
    /// </summary>
    public NtStatus SetCancelCompletion(Action<PendedOperation> routine) => SetCancelCompletion(routine, Volatile.Read(ref Activation));

    /// <summary>SetCancelCompletion for <paramref name="activation"/> only: STATUS_REQUEST_ABORTED when the data carries another operation now.</summary>
    internal NtStatus SetCancelCompletion(Action<PendedOperation> routine, long activation)
    {
        lock (cancelGate)
        {
            if (Volatile.Read(ref Activation) != activation || Volatile.Read(ref Completed) != 0) return NtStatus.RequestAborted;
            if (cancelRequestedActivation == activation && activation != 0) return NtStatus.Cancelled;
            cancelRoutine = routine;
            cancelRoutineActivation = activation;
            return NtStatus.Success;
        }
    }

    /// <summary>FltClearCancelCompletion: the filter no longer wants its cancel routine (call before completing).</summary>
    public NtStatus ClearCancelCompletion() => ClearCancelCompletion(Volatile.Read(ref Activation));

    internal NtStatus ClearCancelCompletion(long activation)
    {
        lock (cancelGate)
        {
            if (cancelRoutine is null || cancelRoutineActivation != activation || Volatile.Read(ref Activation) != activation) return NtStatus.Unsuccessful;
            cancelRoutine = null;
            return NtStatus.Success;
        }
    }

    /// <summary>FltIsIoCanceled: the requestor asked to cancel this operation.</summary>
    public bool IsCanceled => Volatile.Read(ref cancelRequestedActivation) == Volatile.Read(ref Activation) && Activation != 0;

    /// <summary>
    /// Marks <paramref name="activation"/> cancelled and calls its routine. An activation that has not started yet (the
    /// next operation of this data) is remembered, so a cancel that arrives first is not lost; one that already finished
    /// is ignored. Returns true when a routine was called.
    /// </summary>
    internal bool Cancel(long activation)
    {
        Action<PendedOperation>? routine;
        lock (cancelGate)
        {
            long current = Volatile.Read(ref Activation);
            if (current > activation) return false;
            if (current < activation)
            {
                Volatile.Write(ref cancelRequestedActivation, activation);
                return false;
            }
            if (Volatile.Read(ref Completed) != 0) return false;
            Volatile.Write(ref cancelRequestedActivation, activation);
            routine = cancelRoutineActivation == activation ? cancelRoutine : null;
            cancelRoutine = null;
        }
        if (routine is null) return false;
        routine(new PendedOperation(this, activation, Volatile.Read(ref CallbackSeq)));
        return true;
    }

    /// <summary>
    /// FltGetFileNameInformation: the name of the target file object as the current instance (Iopb.TargetInstance) sees it.
    /// <paramref name="options"/> = one format (NORMALIZED, OPENED; SHORT gives STATUS_FLT_INVALID_NAME_REQUEST), one query
    /// method, optional flags. Errors: STATUS_FLT_NAME_CACHE_MISS (CACHE_ONLY), STATUS_FLT_INVALID_NAME_REQUEST (asking the
    /// file system is unsafe: paging I/O, after cleanup), STATUS_OBJECT_PATH_NOT_FOUND (pre-create, a missing directory).
    /// The result is shared and read-only: release it.
    /// </summary>
    public NtStatus GetFileNameInformation(NameOptions options, out FileNameInformation? nameInformation)
    {
        nameInformation = null;
        if (Iopb.TargetInstance is not { } instance) return NtStatus.InvalidParameter;
        return instance.QueryName(this, Iopb.TargetFileObject, options, out nameInformation);
    }

    /// <summary>FltGetTunneledName: Linux file systems do not tunnel names, so there is never one (SUCCESS, null).</summary>
    public NtStatus GetTunneledName(FileNameInformation nameInformation, out FileNameInformation? tunneledName)
    {
        tunneledName = null;
        if (nameInformation is null) return NtStatus.InvalidParameter;
        if (Iopb.MajorFunction is not (MajorFunction.Create or MajorFunction.SetInformation) || (Flags & CallbackDataFlags.PostOperation) == 0)
            return NtStatus.InvalidParameter;
        return NtStatus.Success;
    }

    /// <summary>FltReuseCallbackData: clears the parameters for another operation on the same file object.</summary>
    public void Reuse()
    {
        var fo = Iopb.TargetFileObject;
        var inst = Iopb.TargetInstance;
        Reset();
        Iopb.TargetFileObject = fo;
        Iopb.TargetInstance = inst;
        Flags = Issuer is null ? CallbackDataFlags.IrpOperation : CallbackDataFlags.IrpOperation | CallbackDataFlags.GeneratedIo;
    }

    /// <summary>FltFreeCallbackData: returns the object to the volume's pool.</summary>
    public void Free()
    {
        if (IsDrainingCopy) return;
        Volume.CallbackDataPool.Return(this);
    }

    /// <summary>Clears everything an operation set (the object goes back to a pool or is reused).</summary>
    internal void Reset()
    {
        Flags = CallbackDataFlags.IrpOperation;
        Iopb.Clear();
        IoStatus = default;
        Requestor = default;
        Completion = null;
        ParkedOnce = false;
        SyncOwnerThread = 0;
        HandoffState = 0;
        // Completed stays as it is: until the next Start, tokens of the finished operation must still read as stale.
        PendState = Pend(Key(Activation, CallbackSeq), PendRunning);
        InCallback = 0;
        EarlyContext = null;
        if (cancelRoutine is not null) lock (cancelGate) cancelRoutine = null;
    }

    /// <summary>The copy a post-op receives while its instance drains (the real operation goes on below).</summary>
    internal CallbackData CloneForDraining()
    {
        var copy = new CallbackData(Volume) { IsDrainingCopy = true };
        copy.Flags = Flags | CallbackDataFlags.Draining | CallbackDataFlags.PostOperation;
        copy.Iopb.MajorFunction = Iopb.MajorFunction;
        copy.Iopb.MinorFunction = Iopb.MinorFunction;
        copy.Iopb.IrpFlags = Iopb.IrpFlags;
        copy.Iopb.OperationFlags = Iopb.OperationFlags;
        copy.Iopb.TargetFileObject = Iopb.TargetFileObject;
        copy.Iopb.TargetInstance = Iopb.TargetInstance;
        copy.Iopb.Parameters.CopyFrom(Iopb.Parameters);
        copy.IoStatus = IoStatus;
        copy.Requestor = Requestor;
        return copy;
    }

    public override string ToString() => $"{Iopb.MajorFunction} {IoStatus}";
}
