// The dispatch engine (spec section 2): pre-ops high to low, the file system, post-ops low to high for the
// instances that asked. PENDING and MORE_PROCESSING_REQUIRED park the operation; whoever completes it
// resumes the walk on its own thread. Nothing here allocates or locks in the steady state: the instance
// chain is an immutable array, and each instance is entered through a rundown counter so that teardown
// can wait for callbacks in progress. (Renting a callback data from the volume's pool takes one short lock;
// the FUSE readers keep their own and skip even that.)
using System.Diagnostics;

namespace Altitude;

internal static class Dispatcher
{
    /// <summary>
    /// How deep this thread is inside <see cref="IBackingFileSystem.Execute"/>: the TopLevelIrp equivalent. Non-zero means
    /// the file system itself issued the operation being called back (FltQueueDeferredIoWorkItem refuses to post then).
    /// </summary>
    [ThreadStatic] internal static int FileSystemDepth;

    /// <summary>
    /// Sends <paramref name="d"/> down the stack, below <paramref name="issuer"/> when a filter issued it.
    /// Returns true when the operation finished on this thread; false when it was parked, in which case
    /// its completion (or completion event) is signalled later.
    /// </summary>
    public static bool Start(CallbackData d, Instance? issuer)
    {
        Volume volume = d.Volume;
        Instance[] chain = volume.CurrentInstances.ForMajor(d.Iopb.MajorFunction);
        Interlocked.Increment(ref volume.OperationCounts[(byte)d.Iopb.MajorFunction]);
        int start = 0;
        if (issuer is not null)
        {
            d.Flags |= CallbackDataFlags.GeneratedIo;
            while (start < chain.Length && chain[start].Altitude >= issuer.Altitude) start++;
        }
        // Dispatch state of a previous use of this object (the FUSE readers reuse theirs).
        d.ParkedOnce = false;
        d.SyncOwnerThread = 0;
        d.HandoffState = 0;
        d.Flags &= ~(CallbackDataFlags.PostOperation | CallbackDataFlags.Draining);
        d.InUse = true;
        d.CompletedInPreOperation = false;
        if (d.Iopb.TargetFileObject is { } fo) NoteTarget(fo, d.Iopb.MajorFunction);
        d.Chain = chain;
        d.ChainStart = start;
        // A new activation: tokens of the previous use of this object (PendedOperation) no longer match anything.
        long activation = d.Activation + 1;
        Volatile.Write(ref d.PendState, CallbackData.Pend(CallbackData.Key(activation, 0), CallbackData.PendRunning));
        Volatile.Write(ref d.CallbackSeq, 0);
        Volatile.Write(ref d.Activation, activation);
        Volatile.Write(ref d.Completed, 0);
        if (d.Frames.Length < chain.Length) d.Frames = new InstanceFrame[Math.Max(chain.Length, d.Frames.Length * 2)];
        InstanceFrame[] frames = d.Frames;
        for (int i = start; i < chain.Length; i++)
        {
            frames[i].Instance = chain[i];
            frames[i].CompletionContext = null;
            Volatile.Write(ref frames[i].State, InstanceFrame.Make(activation, InstanceFrame.None));
        }
        if (RunPre(d, start)) return true;
        AfterParked(d);
        return false;
    }

    /// <summary>What contexts the target file object can have during this operation (spec section 3: none in pre-create or query-open).</summary>
    private static void NoteTarget(FileObject fo, MajorFunction major)
    {
        switch (major)
        {
            case MajorFunction.Create:
                if (fo.ContextState != FileObjectContextState.Opened) fo.ContextState = FileObjectContextState.NotOpened;
                break;
            case MajorFunction.NetworkQueryOpen:
                fo.ContextState = FileObjectContextState.QueryOpen;
                break;
            default:
                // An operation by node (transient object, or a reused one): the node's stream, no handle.
                if (fo.ContextState != FileObjectContextState.Opened) fo.ContextState = FileObjectContextState.ByNode;
                break;
        }
    }

    /// <summary>Starts an operation and blocks until it completes, wherever it pends.</summary>
    public static void RunToCompletion(CallbackData d, Instance? issuer)
    {
        d.Completion = null;   // a synchronous issuer: SYNCHRONIZE and post-create come back to this thread
        var ev = d.CompletionEvent ??= new ManualResetEventSlim(false);
        ev.Reset();
        if (!Start(d, issuer)) ev.Wait();
        d.InUse = false;
    }

    private const OperationRegistrationFlags SkipCachedAndPaging = OperationRegistrationFlags.SkipCachedIo | OperationRegistrationFlags.SkipPagingIo;

    /// <summary>
    /// The FLTFL_OPERATION_REGISTRATION_SKIP_* test: does a row with <paramref name="skip"/> decline this I/O? Paging I/O
    /// (IRP_PAGING_IO) is declined by SkipPagingIo; a non-cached READ or WRITE (IRP_NOCACHE alone) by
    /// SkipNonCachedNonPagingIo. A READ or WRITE with neither flag is cached I/O that no cache manager stands in front
    /// of: the file system serves it directly, so it is also its own paging I/O, and only a row that skips both cached
    /// and paging I/O declines it (docs/operations.md section 6.2). SkipNonDasdIo declines everything: every handle is
    /// a file's, none a volume's.
    /// </summary>
    private static bool Declines(OperationRegistrationFlags skip, byte major, uint irpFlags)
    {
        if ((skip & OperationRegistrationFlags.SkipNonDasdIo) != 0) return true;
        if ((irpFlags & IoParameterBlock.IrpPagingIo) != 0) return (skip & OperationRegistrationFlags.SkipPagingIo) != 0;
        if (major != (byte)MajorFunction.Read && major != (byte)MajorFunction.Write) return false;
        if ((irpFlags & IoParameterBlock.IrpNocache) != 0) return (skip & OperationRegistrationFlags.SkipNonCachedNonPagingIo) != 0;
        return (skip & SkipCachedAndPaging) == SkipCachedAndPaging;
    }

    private static bool RunPre(CallbackData d, int i)
    {
        Instance[] chain = d.Chain;
        byte major = (byte)d.Iopb.MajorFunction;
        // The end of one callback's timing is the start of the next one's: one timestamp per callback, not two.
        long clock = 0;
        for (; i < chain.Length; i++)
        {
            Instance instance = chain[i];
            Filter filter = instance.Filter;
            OperationRegistrationFlags skip = filter.OperationFlags[major];
            if (skip != 0 && Declines(skip, major, d.Iopb.IrpFlags)) continue;   // neither pre nor post for this instance
            PreOperationCallback? pre = filter.PreCallbacks[major];
            if (!instance.TryEnterCallback()) continue;   // tearing down: no new operations reach it
            if (pre is null)
            {
                // A post-op without a pre-op is owed for every operation (as if the pre returned WITH_CALLBACK).
                Volatile.Write(ref d.Frames[i].State, InstanceFrame.Make(d.Activation, InstanceFrame.PostOwed | SyncBitFor(d)));
                instance.ExitCallback();
                continue;
            }

            PreOperationStatus status;
            object? context;
            d.Index = i;
            d.Iopb.TargetInstance = instance;
            d.NextCallback();
            d.InCallback = 1;
            long started = clock != 0 ? clock : Stopwatch.GetTimestamp();
            try
            {
                status = pre(d, new RelatedObjects(filter, d.Volume, instance, d.Iopb.TargetFileObject), out context);
                clock = d.Volume.Manager.Metrics.PreOperationDone(instance, major, started);
            }
            catch (Exception e)
            {
                d.Volume.Manager.Metrics.PreOperationDone(instance, major, started);
                d.InCallback = 0;
                instance.ExitCallback();
                d.Volume.Manager.ReportFault(instance, d.Iopb.MajorFunction, "pre-operation callback threw", e);
                d.IoStatus = new IoStatusBlock(NtStatus.UnhandledException, 0);
                return RunPost(d, i - 1);
            }
            // While PENDING is being decided, InCallback stays set: a completion racing with the return is
            // then recorded as early instead of refused. Whoever resumes a parked operation clears it.
            if (status != PreOperationStatus.Pending)
            {
                d.InCallback = 0;
                if ((Volatile.Read(ref d.PendState) & 7) != CallbackData.PendRunning)
                {
                    // The callback completed its own operation, then did not return PENDING: ignore the completion.
                    d.Volume.Manager.ReportFault(instance, d.Iopb.MajorFunction, "pre-operation completed a pending it did not return (ignored)", null);
                    Volatile.Write(ref d.PendState, CallbackData.Pend(d.CurrentKey, CallbackData.PendRunning));
                }
            }

            if (status == PreOperationStatus.Pending)
            {
                if (context is not null)
                    d.Volume.Manager.ReportFault(instance, d.Iopb.MajorFunction, "pre-operation returned PENDING with a completion context (ignored)", null);
                if (TryPark(d, instance, isPost: false)) return false;
                // The completion arrived before the callback returned: carry on here.
                status = d.EarlyStatus;
                context = d.EarlyContext;
                d.EarlyContext = null;
                if (d.EarlyHasIoStatus) { d.IoStatus = d.EarlyIoStatus; d.EarlyHasIoStatus = false; }
                instance.EnterCallbackForCompletion();
                if (ApplyPreResult(d, i, instance, status, context)) { instance.ExitCallback(); return RunPost(d, i - 1); }
                instance.ExitCallback();
                continue;
            }

            bool complete = ApplyPreResult(d, i, instance, status, context);
            instance.ExitCallback();
            if (complete) return RunPost(d, i - 1);
        }

        CallFileSystem(d);
        return RunPost(d, chain.Length - 1);
    }

    /// <summary>Records a pre-op result in the frame. Returns true for COMPLETE (nothing below runs). Call inside the rundown.</summary>
    private static bool ApplyPreResult(CallbackData d, int i, Instance instance, PreOperationStatus status, object? context)
    {
        switch (status)
        {
            case PreOperationStatus.SuccessWithCallback:
            case PreOperationStatus.Synchronize:
                if (instance.Filter.PostCallbacks[(byte)d.Iopb.MajorFunction] is null) return false;
                long flags = InstanceFrame.PostOwed | SyncBitFor(d);
                if (status == PreOperationStatus.Synchronize)
                {
                    flags |= InstanceFrame.SynchronizeBit;
                    // The first (highest) SYNCHRONIZE thread owns completion; a later one on another thread
                    // must not take it over, or the first would wait forever.
                    if (d.SyncOwnerThread == 0 && d.Completion is null) d.SyncOwnerThread = Environment.CurrentManagedThreadId;
                }
                d.Frames[i].CompletionContext = context;
                Volatile.Write(ref d.Frames[i].State, InstanceFrame.Make(d.Activation, flags));
                return false;
            case PreOperationStatus.DisallowFsFilterIo when d.Iopb.MajorFunction == MajorFunction.NetworkQueryOpen:
                // The query-open fast path is refused: it fails with STATUS_FLT_DISALLOW_FAST_IO (post-ops above see that),
                // and the issuer re-issues it as a real open, which create policies see (docs/deviations.md, section 5).
                d.CompletedInPreOperation = true;
                d.IoStatus = new IoStatusBlock(NtStatus.FltDisallowFastIo, 0);
                return true;
            case PreOperationStatus.SuccessNoCallback:
            case PreOperationStatus.DisallowFastIo:
            case PreOperationStatus.DisallowFsFilterIo:
                return false;
            case PreOperationStatus.Complete:
                d.CompletedInPreOperation = true;
                if (d.IoStatus.Status == NtStatus.Pending)
                {
                    d.Volume.Manager.ReportFault(instance, d.Iopb.MajorFunction, "pre-operation completed with STATUS_PENDING", null);
                    d.IoStatus = new IoStatusBlock(NtStatus.FltInternalError, 0);
                }
                return true;
            default:
                d.Volume.Manager.ReportFault(instance, d.Iopb.MajorFunction, $"pre-operation returned an invalid status {(int)status}", null);
                d.IoStatus = new IoStatusBlock(NtStatus.FltInternalError, 0);
                return true;
        }
    }

    /// <summary>
    /// Post-create always runs at passive level (spec section 2), like SYNCHRONIZE: in the originating thread for a
    /// synchronous issuer, on a system worker for an asynchronous one (docs/deviations.md, "SYNCHRONIZE and post-create").
    /// </summary>
    private static long SyncBitFor(CallbackData d)
    {
        if (d.Iopb.MajorFunction != MajorFunction.Create) return 0;
        if (d.SyncOwnerThread == 0 && d.Completion is null) d.SyncOwnerThread = Environment.CurrentManagedThreadId;
        return InstanceFrame.SynchronizeBit;
    }

    private static void CallFileSystem(CallbackData d)
    {
        Volume volume = d.Volume;
        MajorFunction major = d.Iopb.MajorFunction;
        // The names a namespace change invalidates must be computed while the old name still resolves.
        NameInvalidation invalidation = NameCache.BeforeFileSystem(d);
        FileSystemDepth++;
        try
        {
            volume.FileSystem.Execute(d);
        }
        catch (Exception e)
        {
            volume.Manager.ReportFault(null, major, "the file system threw", e);
            d.IoStatus = new IoStatusBlock(NtStatus.UnhandledException, 0);
        }
        finally
        {
            FileSystemDepth--;
        }
        volume.NameCache.AfterFileSystem(d, ref invalidation);
        // What a filter's own I/O changed, the front-end's caches cannot know: tell them (FilterIoChanges).
        if ((d.Flags & CallbackDataFlags.GeneratedIo) != 0) FilterIoChanges.Report(d);
        FileObject? fo = d.Iopb.TargetFileObject;
        if (fo is null) return;
        // Object lifetimes follow what the file system did, before any post-op runs: post-create sees an open object,
        // post-cleanup an object whose names may no longer be queried, post-close an object without contexts.
        switch (major)
        {
            case MajorFunction.Create when d.IoStatus.Status.IsSuccess():
                Volume.FileObjectOpened(fo);
                break;
            case MajorFunction.Cleanup:
                fo.Flags |= FileObjectFlags.CleanupComplete;
                break;
            case MajorFunction.Close:
                volume.FileObjectClosed(fo);
                break;
        }
    }

    private static bool RunPost(CallbackData d, int i)
    {
        d.Flags |= CallbackDataFlags.PostOperation;
        byte major = (byte)d.Iopb.MajorFunction;
        InstanceFrame[] frames = d.Frames;
        int self = Environment.CurrentManagedThreadId;
        long clock = 0;   // as in RunPre: adjacent post-ops share a timestamp
        for (; i >= d.ChainStart; i--)
        {
            long state = Volatile.Read(ref frames[i].State);
            if ((state & 3) != InstanceFrame.PostOwed) continue;

            if ((state & InstanceFrame.SynchronizeBit) != 0)
            {
                if (d.Completion is null)
                {
                    if (d.SyncOwnerThread != 0 && d.SyncOwnerThread != self)
                    {
                        // Hand the rest of completion to the synchronous issuer that asked for SYNCHRONIZE.
                        d.ResumeIndex = i;
                        if (Interlocked.CompareExchange(ref d.HandoffState, 2, 0) == 1)
                        {
                            d.HandoffState = 2;
                            d.HandoffEvent!.Set();
                        }
                        return false;
                    }
                }
                else if (d.ParkedOnce && !SystemWorkerQueue.IsWorkerThread)
                {
                    // An asynchronous issuer (a FUSE reader) went back to its work when the operation parked. This thread
                    // is whoever completed below (a filter's worker, a port thread, the watchdog, a cancel): the post-op
                    // must not run there, it may block. A system worker runs the rest of completion.
                    d.ResumeIndex = i;
                    d.Volume.Manager.Workers.Post(d);
                    return false;
                }
            }

            Instance instance = frames[i].Instance!;
            instance.EnterCallbackForCompletion();
            if (Interlocked.CompareExchange(ref frames[i].State, (state & ~3L) | InstanceFrame.Claimed, state) != state)
            {
                instance.ExitCallback();   // drained by a teardown meanwhile
                continue;
            }
            object? context = frames[i].CompletionContext;
            frames[i].CompletionContext = null;
            PostOperationStatus status;
            d.Index = i;
            d.Iopb.TargetInstance = instance;
            d.NextCallback();
            d.InCallback = 2;
            long started = clock != 0 ? clock : Stopwatch.GetTimestamp();
            try
            {
                status = instance.Filter.PostCallbacks[major]!(d, new RelatedObjects(instance.Filter, d.Volume, instance, d.Iopb.TargetFileObject), context, PostOperationFlags.None);
                clock = d.Volume.Manager.Metrics.PostOperationDone(instance, major, started);
            }
            catch (Exception e)
            {
                d.Volume.Manager.Metrics.PostOperationDone(instance, major, started);
                // The operation already happened below; reporting a failure would lie about it.
                d.Volume.Manager.ReportFault(instance, d.Iopb.MajorFunction, "post-operation callback threw (status left unchanged)", e);
                status = PostOperationStatus.FinishedProcessing;
            }
            if (status != PostOperationStatus.MoreProcessingRequired) d.InCallback = 0;
            if (status == PostOperationStatus.MoreProcessingRequired)
            {
                if (TryPark(d, instance, isPost: true)) return false;
                continue;   // resumed before the callback returned
            }
            instance.ExitCallback();
        }
        d.Volume.Manager.Verifier.CheckOperation(d);
        ReleaseInstances(d);
        Finish(d);
        return true;
    }

    /// <summary>
    /// The operation is over: the data keeps no instance or completion context of it, so that the filter of an instance
    /// that detaches later (and a collectible load context it came from) is not kept alive by a pooled object or a
    /// FUSE reader's. The target instance reverts to the issuer's (null at the top of the stack).
    /// </summary>
    private static void ReleaseInstances(CallbackData d)
    {
        InstanceFrame[] frames = d.Frames;
        int end = Math.Min(d.Chain.Length, frames.Length);
        for (int i = d.ChainStart; i < end; i++)
        {
            frames[i].Instance = null;
            frames[i].CompletionContext = null;
        }
        d.Chain = Array.Empty<Instance>();
        d.Iopb.TargetInstance = d.Issuer;
    }

    /// <summary>
    /// Parks the operation in <paramref name="instance"/> after PENDING or MORE_PROCESSING_REQUIRED (called inside
    /// the instance's rundown, which it leaves). Returns false when the completion already arrived while the
    /// callback ran: the caller then carries on, on this thread.
    /// </summary>
    private static bool TryPark(CallbackData d, Instance instance, bool isPost)
    {
        Interlocked.Increment(ref instance.PendedOperations);
        Interlocked.Increment(ref instance.Counters.Pended);
        d.PendIsPost = isPost;
        d.PendDeadline = Environment.TickCount64 + d.Volume.Manager.PendingTimeoutMilliseconds;
        long key = d.CurrentKey;
        long running = CallbackData.Pend(key, CallbackData.PendRunning);
        // Set before the operation can be resumed: the resumer reads it.
        bool parkedBefore = d.ParkedOnce;
        d.ParkedOnce = true;
        instance.ExitCallback();
        if (Interlocked.CompareExchange(ref d.PendState, CallbackData.Pend(key, CallbackData.PendParked), running) == running)
            return true;   // whoever resumes it owns the operation now
        d.ParkedOnce = parkedBefore;
        // An early completion: wait until its result is written.
        var spin = new SpinWait();
        while (Volatile.Read(ref d.PendState) == CallbackData.Pend(key, CallbackData.PendEarlyClaim)) spin.SpinOnce();
        d.InCallback = 0;
        Interlocked.Decrement(ref instance.PendedOperations);
        Volatile.Write(ref d.PendState, running);
        return false;
    }

    private static void Finish(CallbackData d)
    {
        if (Interlocked.Exchange(ref d.Completed, 1) != 0) return;
        if (!d.ParkedOnce) return;   // the issuer is still on the stack and sees the result directly
        IOperationCompletion? completion = d.Completion;
        if (completion is not null)
        {
            d.InUse = false;
            completion.OnOperationCompleted(d);
        }
        else d.CompletionEvent?.Set();
    }

    /// <summary>
    /// After an operation parked on this thread: if this thread asked for SYNCHRONIZE, wait for the operation
    /// to come back up and run the remaining post-ops here (spec: the post-op runs in the same thread).
    /// </summary>
    private static void AfterParked(CallbackData d)
    {
        if (d.SyncOwnerThread != Environment.CurrentManagedThreadId) return;
        var ev = d.HandoffEvent ??= new ManualResetEventSlim(false);
        if (Interlocked.CompareExchange(ref d.HandoffState, 1, 0) == 0)
        {
            ev.Wait();
        }
        ev.Reset();
        d.HandoffState = 0;
        d.SyncOwnerThread = 0;
        if (!RunPost(d, d.ResumeIndex)) AfterParked(d);
    }

    /// <summary>
    /// True when the pend <paramref name="key"/> names is over: the operation was reused or completed, a later callback
    /// of it runs now, or the watchdog ended that pend.
    /// </summary>
    private static bool IsStale(CallbackData d, long key) =>
        d.CurrentKey != key || Volatile.Read(ref d.Completed) != 0 || Volatile.Read(ref d.TimedOutKey) == key;

    public static NtStatus CompletePendedPre(CallbackData d, long key, PreOperationStatus status, object? context, IoStatusBlock? ioStatus)
    {
        long parked = CallbackData.Pend(key, CallbackData.PendParked);
        long running = CallbackData.Pend(key, CallbackData.PendRunning);
        while (true)
        {
            if (Volatile.Read(ref d.PendState) == parked && d.PendIsPost) return NtStatus.InvalidParameter;
            if (Interlocked.CompareExchange(ref d.PendState, running, parked) == parked) break;
            if (IsStale(d, key)) return NtStatus.RequestAborted;
            // Not parked yet: legal only while the pre-op that is about to return PENDING still runs.
            if (d.InCallback != 1) return NtStatus.InvalidParameter;
            long claim = CallbackData.Pend(key, CallbackData.PendEarlyClaim);
            if (Interlocked.CompareExchange(ref d.PendState, claim, running) == running)
            {
                d.EarlyStatus = status;
                d.EarlyContext = context;
                d.EarlyHasIoStatus = ioStatus.HasValue;
                if (ioStatus is { } early) d.EarlyIoStatus = early;
                Volatile.Write(ref d.PendState, CallbackData.Pend(key, CallbackData.PendEarly));
                return NtStatus.Success;
            }
            // The pre-op parked between the two attempts: take it parked. Anything else (a second completion) is misuse.
            if (Volatile.Read(ref d.PendState) != parked) return IsStale(d, key) ? NtStatus.RequestAborted : NtStatus.InvalidParameter;
        }
        // This call owns the operation now.
        if (ioStatus is { } io) d.IoStatus = io;
        d.InCallback = 0;
        int i = d.Index;
        Instance instance = d.Chain[i];
        instance.EnterCallbackForCompletion();
        bool complete = ApplyPreResult(d, i, instance, status, context);
        Interlocked.Decrement(ref instance.PendedOperations);
        instance.ExitCallback();
        bool finished = complete ? RunPost(d, i - 1) : RunPre(d, i + 1);
        if (!finished) AfterParked(d);
        return NtStatus.Success;
    }

    public static NtStatus CompletePendedPost(CallbackData d, long key)
    {
        long parked = CallbackData.Pend(key, CallbackData.PendParked);
        long running = CallbackData.Pend(key, CallbackData.PendRunning);
        while (true)
        {
            if (Volatile.Read(ref d.PendState) == parked)
            {
                if (!d.PendIsPost) return NtStatus.InvalidParameter;
                if (Interlocked.CompareExchange(ref d.PendState, running, parked) == parked) break;
            }
            if (IsStale(d, key)) return NtStatus.RequestAborted;
            // Resumed before the post-op returned MORE_PROCESSING_REQUIRED: recorded, the post-op's thread carries on.
            if (d.InCallback != 2) return NtStatus.InvalidParameter;
            if (Interlocked.CompareExchange(ref d.PendState, CallbackData.Pend(key, CallbackData.PendEarly), running) == running)
                return NtStatus.Success;
            // The post-op parked between the two attempts: take it parked.
            if (Volatile.Read(ref d.PendState) != parked) return IsStale(d, key) ? NtStatus.RequestAborted : NtStatus.InvalidParameter;
        }
        d.InCallback = 0;
        Instance instance = d.Chain[d.Index];
        Interlocked.Decrement(ref instance.PendedOperations);
        if (!RunPost(d, d.Index - 1)) AfterParked(d);
        return NtStatus.Success;
    }

    /// <summary>A teardown that ran out of time: every operation still parked in <paramref name="instance"/> is ended now, as the watchdog would.</summary>
    public static void TimeOutParkedIn(Instance instance)
    {
        foreach (var d in instance.Volume.CallbackDataPool.All) TryTimeOut(d, long.MaxValue, instance);
    }

    /// <summary>Watchdog: fails a pre-op pended past the deadline, or resumes a post-op parked past it (only one parked in <paramref name="only"/>, if given).</summary>
    public static bool TryTimeOut(CallbackData d, long now, Instance? only = null)
    {
        long state = Volatile.Read(ref d.PendState);
        if ((state & 7) != CallbackData.PendParked || now < d.PendDeadline) return false;
        // Index and Chain were written before the park that this state word records (if it still holds, the CAS below tells).
        if (only is not null)
        {
            Instance[] parkedChain = d.Chain;
            int index = d.Index;
            if (index >= parkedChain.Length || !ReferenceEquals(parkedChain[index], only)) return false;
        }
        long key = state >> 3;
        if (Interlocked.CompareExchange(ref d.PendState, CallbackData.Pend(key, CallbackData.PendTimedOut), state) != state) return false;
        // The filter still holds a token of this pend: its late completion is refused (STATUS_REQUEST_ABORTED).
        Volatile.Write(ref d.TimedOutKey, key);
        d.InCallback = 0;
        int i = d.Index;
        Instance instance = d.Chain[i];
        Interlocked.Decrement(ref instance.PendedOperations);
        Interlocked.Increment(ref instance.Counters.TimedOut);
        if (d.PendIsPost)
            d.Volume.Manager.ReportFault(instance, d.Iopb.MajorFunction, "post-operation never resumed (MORE_PROCESSING_REQUIRED past the pending timeout); completion resumed with the status unchanged", null);
        else
        {
            d.Volume.Manager.ReportFault(instance, d.Iopb.MajorFunction, "pre-operation never completed (PENDING past the pending timeout); failed with STATUS_IO_TIMEOUT", null);
            d.IoStatus = new IoStatusBlock(NtStatus.IoTimeout, 0);
        }
        Volatile.Write(ref d.PendState, CallbackData.Pend(key, CallbackData.PendRunning));
        if (!RunPost(d, i - 1)) AfterParked(d);
        return true;
    }

    /// <summary>A system worker runs the rest of an asynchronous operation's completion (SYNCHRONIZE, post-create).</summary>
    internal static void RunDeferredCompletion(CallbackData d)
    {
        if (!RunPost(d, d.ResumeIndex)) AfterParked(d);
    }

    /// <summary>
    /// Teardown: claims every post-op <paramref name="instance"/> is still owed and calls it with DRAINING on a
    /// copy of the data. The operations themselves go on and complete without this instance.
    /// </summary>
    public static void Drain(Instance instance)
    {
        PostOperationCallback? post = null;
        CallbackData[] all = instance.Volume.CallbackDataPool.All;
        for (int n = 0; n < all.Length; n++)
        {
            CallbackData d = all[n];
            InstanceFrame[] frames = d.Frames;
            for (int i = 0; i < frames.Length; i++)
            {
                long state = Volatile.Read(ref frames[i].State);
                if ((state & 3) != InstanceFrame.PostOwed || !ReferenceEquals(frames[i].Instance, instance)) continue;
                object? context = frames[i].CompletionContext;
                byte major = (byte)d.Iopb.MajorFunction;
                CallbackData copy = d.CloneForDraining();
                if (Interlocked.CompareExchange(ref frames[i].State, (state & ~3L) | InstanceFrame.Claimed, state) != state) continue;
                frames[i].CompletionContext = null;
                post = instance.Filter.PostCallbacks[major];
                if (post is null) continue;
                instance.EnterCallbackForCompletion();
                long started = Stopwatch.GetTimestamp();
                try
                {
                    post(copy, new RelatedObjects(instance.Filter, instance.Volume, instance, copy.Iopb.TargetFileObject), context, PostOperationFlags.Draining);
                }
                catch (Exception e)
                {
                    instance.Volume.Manager.ReportFault(instance, copy.Iopb.MajorFunction, "draining post-operation callback threw", e);
                }
                finally
                {
                    instance.Volume.Manager.Metrics.PostOperationDone(instance, major, started);
                    instance.ExitCallback();
                }
            }
        }
    }
}
