// PENDING, SYNCHRONIZE and MORE_PROCESSING_REQUIRED (spec section 2), completed from other threads; pend tokens
// (PendedOperation) against late completions of a reused callback data; cancellation bound to its operation.
namespace Altitude.Tests;

public sealed class PendingTests : IDisposable
{
    private readonly FilterManager manager = new(new FilterManagerOptions { PendingTimeout = TimeSpan.FromSeconds(30) });
    private readonly EventLog log = new();
    private readonly Volume volume;
    private readonly LambdaFilter high, mid, low;

    public PendingTests()
    {
        volume = manager.AddVolume(new FakeFileSystem(log));
        high = new LambdaFilter("High", log).Register(manager, "300000");
        mid = new LambdaFilter("Mid", log).Register(manager, "200000");
        low = new LambdaFilter("Low", log).Register(manager, "100000");
    }

    public void Dispose() => manager.Dispose();

    private static bool IsParked(PendedOperation op) =>
        Volatile.Read(ref op.Data.PendState) == CallbackData.Pend(op.Key, CallbackData.PendParked);

    /// <summary>Runs <paramref name="complete"/> on a pool thread once the operation is really parked (the callback returned).</summary>
    private static Task CompleteWhenParked(PendedOperation op, Func<PendedOperation, NtStatus> complete, List<NtStatus>? results = null) => Task.Run(() =>
    {
        Assert.True(SpinWait.SpinUntil(() => IsParked(op), 30_000), "the operation parked");
        var st = complete(op);
        if (results is not null) lock (results) results.Add(st);
    });

    [Fact]
    public void PendedPreOpCompletedFromAnotherThreadContinuesDownWithItsContext()
    {
        var results = new List<NtStatus>();
        Task? completer = null;
        object? postContext = null;
        mid.Pre = (CallbackData d, in RelatedObjects o, out object? c) =>
        {
            log.Add("Mid.pre");
            completer = CompleteWhenParked(d.PendedOperation, op => op.CompletePreOperation(PreOperationStatus.SuccessWithCallback, "late-ctx"), results);
            c = null;
            return PreOperationStatus.Pending;
        };
        mid.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) => { postContext = c; log.Add("Mid.post"); return PostOperationStatus.FinishedProcessing; };

        var d = Ops.Read(volume);
        var sink = new CompletionSink();
        bool sync = volume.StartOperation(d, sink);
        Assert.False(sync);
        Assert.True(sink.Done.Wait(30_000));
        Assert.True(completer!.Wait(30_000));
        Assert.Equal(1, sink.Calls);
        Assert.Equal(NtStatus.Success, sink.Status.Status);
        Assert.Equal(new[] { NtStatus.Success }, results);
        Assert.Equal("late-ctx", postContext);
        Assert.Equal("High.pre Mid.pre Low.pre FS Low.post Mid.post High.post", log.ToString());
        d.Free();
    }

    [Fact]
    public void PendedPreOpCompletedWithCompleteRunsOnlyThePostOpsAbove()
    {
        mid.Pre = (CallbackData d, in RelatedObjects o, out object? c) =>
        {
            log.Add("Mid.pre");
            CompleteWhenParked(d.PendedOperation, op => op.Complete(NtStatus.AccessDenied));
            c = null;
            return PreOperationStatus.Pending;
        };
        var st = Ops.RunRead(volume);   // PerformOperation blocks until completion
        Assert.Equal(NtStatus.AccessDenied, st.Status);
        Assert.Equal("High.pre Mid.pre High.post", log.ToString());
    }

    [Fact]
    public void CompletionBeforeThePreOpReturnsIsNotLost()
    {
        mid.Pre = (CallbackData d, in RelatedObjects o, out object? c) =>
        {
            Assert.Equal(NtStatus.Success, d.PendedOperation.CompletePreOperation(PreOperationStatus.SuccessNoCallback));
            c = null;
            return PreOperationStatus.Pending;
        };
        var d = Ops.Read(volume);
        var sink = new CompletionSink();
        Assert.True(volume.StartOperation(d, sink));   // finished on this thread after all
        Assert.Equal(0, sink.Calls);
        Assert.Equal("High.pre Low.pre FS Low.post High.post", log.ToString());
        d.Free();
    }

    [Fact]
    public void CompletingAnOperationThatIsNotPendedFails()
    {
        var d = Ops.Read(volume);
        Assert.Equal(NtStatus.InvalidParameter, d.CompletePendedPreOperation(PreOperationStatus.SuccessNoCallback));
        Assert.Equal(NtStatus.InvalidParameter, d.CompletePendedPostOperation());
        Assert.Equal(NtStatus.InvalidParameter, d.CompletePendedPreOperation(PreOperationStatus.Pending));
        d.Free();
    }

    [Fact]
    public void SynchronizeRunsThePostOpOnTheIssuingThreadOfASynchronousIssuer()
    {
        int postThread = 0, lowCompletionThread = 0;
        high.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { c = "sync"; return PreOperationStatus.Synchronize; };
        high.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) => { postThread = Environment.CurrentManagedThreadId; Assert.Equal("sync", c); return PostOperationStatus.FinishedProcessing; };
        low.Pre = (CallbackData d, in RelatedObjects o, out object? c) =>
        {
            CompleteWhenParked(d.PendedOperation, op => { lowCompletionThread = Environment.CurrentManagedThreadId; return op.CompletePreOperation(PreOperationStatus.SuccessWithCallback); });
            c = null;
            return PreOperationStatus.Pending;
        };
        var d = Ops.Read(volume);
        Assert.Equal(NtStatus.Success, volume.PerformOperation(d));   // the issuer waits; the post-op comes back to it
        Assert.Equal(Environment.CurrentManagedThreadId, postThread);
        Assert.NotEqual(0, lowCompletionThread);
        Assert.NotEqual(postThread, lowCompletionThread);
        d.Free();
    }

    [Fact]
    public void SynchronizeOfAnAsynchronousIssuerRunsOnASystemWorkerAndNeverPinsTheIssuer()
    {
        // The FUSE readers' situation: the issuer must go back to work while a lower filter holds the operation.
        int postThread = 0, completerThread = 0;
        bool postOnWorker = false;
        using var release = new ManualResetEventSlim(false);
        high.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { c = "sync"; return PreOperationStatus.Synchronize; };
        high.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
        {
            postThread = Environment.CurrentManagedThreadId;
            postOnWorker = SystemWorkerQueue.IsWorkerThread;
            return PostOperationStatus.FinishedProcessing;
        };
        PendedOperation pended = default;
        low.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { pended = d.PendedOperation; c = null; return PreOperationStatus.Pending; };
        var d = Ops.Read(volume);
        var sink = new CompletionSink();
        Assert.False(volume.StartOperation(d, sink));   // returned while the operation is still pended below
        Assert.Equal(0, sink.Calls);
        var completer = Task.Run(() => { completerThread = Environment.CurrentManagedThreadId; return pended.CompletePreOperation(PreOperationStatus.SuccessNoCallback); });
        Assert.Equal(NtStatus.Success, completer.Result);
        Assert.True(sink.Done.Wait(30_000));
        Assert.True(postOnWorker, "the SYNCHRONIZE post-op ran on a system worker");
        Assert.NotEqual(completerThread, postThread);
        Assert.NotEqual(Environment.CurrentManagedThreadId, postThread);
        Assert.Equal(postThread, sink.ThreadId);   // and the completion went on from there
        d.Free();
    }

    [Fact]
    public void TwoSynchronizeFiltersOnDifferentThreadsDoNotDeadlock()
    {
        // High asks for SYNCHRONIZE on the issuing thread; Mid pends and resumes on a pool thread, where Low asks for
        // SYNCHRONIZE too; a fourth filter pends again. Completion must come back to the issuing thread, once.
        var bottom = new LambdaFilter("Bottom", log).Register(manager, "50000");
        var posts = new List<string>();
        high.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { c = null; return PreOperationStatus.Synchronize; };
        high.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) => { lock (posts) posts.Add("High@" + Environment.CurrentManagedThreadId); return PostOperationStatus.FinishedProcessing; };
        mid.Pre = (CallbackData d, in RelatedObjects o, out object? c) =>
        {
            CompleteWhenParked(d.PendedOperation, op => op.CompletePreOperation(PreOperationStatus.SuccessNoCallback));
            c = null;
            return PreOperationStatus.Pending;
        };
        low.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { c = null; return PreOperationStatus.Synchronize; };
        low.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) => { lock (posts) posts.Add("Low"); return PostOperationStatus.FinishedProcessing; };
        bottom.Pre = (CallbackData d, in RelatedObjects o, out object? c) =>
        {
            CompleteWhenParked(d.PendedOperation, op => op.CompletePreOperation(PreOperationStatus.SuccessNoCallback));
            c = null;
            return PreOperationStatus.Pending;
        };
        var d = Ops.Read(volume);
        int issuing = 0;
        var run = Task.Run(() => { issuing = Environment.CurrentManagedThreadId; return volume.PerformOperation(d); });
        Assert.True(run.Wait(30_000), "the issuing thread was released");
        Assert.Equal(NtStatus.Success, run.Result);
        Assert.Equal(new[] { "Low", "High@" + issuing }, posts);
        d.Free();
    }

    [Fact]
    public void TargetInstanceIsTheInstanceBeingCalled()
    {
        var seen = new List<string>();
        PreOperationCallback record = (CallbackData d, in RelatedObjects o, out object? c) => { lock (seen) seen.Add(d.Iopb.TargetInstance!.Name + "=" + o.Instance!.Name); c = null; return PreOperationStatus.SuccessNoCallback; };
        high.Pre = record;
        low.Pre = record;
        Ops.RunRead(volume);
        Assert.Equal(new[] { "High Instance=High Instance", "Low Instance=Low Instance" }, seen);
    }

    private (LambdaFilter creator, Func<int> postThread, Func<bool> onWorker) PostCreateRecorder()
    {
        var f = new LambdaFilter("Creator", log).Register(manager, "350000", majors: MajorFunction.Create);
        int postThread = 0;
        bool onWorker = false;
        f.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags fl) =>
        {
            postThread = Environment.CurrentManagedThreadId;
            onWorker = SystemWorkerQueue.IsWorkerThread;
            return PostOperationStatus.FinishedProcessing;
        };
        low.Pre = (CallbackData d, in RelatedObjects o, out object? c) =>
        {
            CompleteWhenParked(d.PendedOperation, op => op.CompletePreOperation(PreOperationStatus.SuccessNoCallback));
            c = null;
            return PreOperationStatus.Pending;
        };
        return (f, () => postThread, () => onWorker);
    }

    [Fact]
    public void PostCreateRunsInTheOriginatingThreadOfASynchronousIssuer()
    {
        var (_, postThread, _) = PostCreateRecorder();
        var d = volume.AllocateCallbackData(new FileObject(volume));
        d.Iopb.MajorFunction = MajorFunction.Create;
        volume.PerformOperation(d);
        Assert.Equal(Environment.CurrentManagedThreadId, postThread());
        d.Free();
    }

    [Fact]
    public void PostCreateOfAnAsynchronousIssuerRunsOnASystemWorker()
    {
        var (_, postThread, onWorker) = PostCreateRecorder();
        var d = volume.AllocateCallbackData(new FileObject(volume));
        d.Iopb.MajorFunction = MajorFunction.Create;
        var sink = new CompletionSink();
        Assert.False(volume.StartOperation(d, sink));   // the issuer is not held until the post-create ran
        Assert.True(sink.Done.Wait(30_000));
        Assert.True(onWorker(), "post-create ran on a system worker");
        Assert.NotEqual(Environment.CurrentManagedThreadId, postThread());
        d.Free();
    }

    [Fact]
    public void MoreProcessingRequiredParksCompletionUntilResumed()
    {
        var results = new List<NtStatus>();
        Task? resumer = null;
        PendedOperation token = default;
        mid.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
        {
            log.Add("Mid.post");
            token = d.PendedOperation;
            resumer = CompleteWhenParked(token, op => { log.Add("Mid.resume"); return op.CompletePostOperation(); }, results);
            return PostOperationStatus.MoreProcessingRequired;
        };
        var d = Ops.Read(volume);
        var sink = new CompletionSink();
        Assert.False(volume.StartOperation(d, sink));
        Assert.True(sink.Done.Wait(30_000));
        Assert.True(resumer!.Wait(30_000));
        Assert.Equal(new[] { NtStatus.Success }, results);
        Assert.Equal("High.pre Mid.pre Low.pre FS Low.post Mid.post Mid.resume High.post", log.ToString());
        Assert.Equal(NtStatus.RequestAborted, token.CompletePostOperation());   // a second resume is refused
        d.Free();
    }

    [Fact]
    public void ALateCompletionAfterTheWatchdogEndedTheOperationIsRefusedAndTheNextOperationIsUntouched()
    {
        using var m = new FilterManager(new FilterManagerOptions { PendingTimeout = TimeSpan.FromMilliseconds(100), WatchdogInterval = TimeSpan.FromMilliseconds(20) });
        var l = new EventLog();
        var v = m.AddVolume(new FakeFileSystem(l));
        var f = new LambdaFilter("Pender", l).Register(m, "100000");
        var tokens = new List<PendedOperation>();
        f.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { lock (tokens) tokens.Add(d.PendedOperation); c = null; return PreOperationStatus.Pending; };

        var data = Ops.Read(v);
        var first = new CompletionSink();
        Assert.False(v.StartOperation(data, first));
        Assert.True(first.Done.Wait(30_000));              // the watchdog ended it
        Assert.Equal(NtStatus.IoTimeout, first.Status.Status);

        // The same pooled object now carries a second operation, pended in the same filter.
        data.Reuse();
        data.Iopb.MajorFunction = MajorFunction.Read;
        data.Iopb.Parameters.Read.Length = 16;
        data.Iopb.Parameters.Read.ReadBuffer = new byte[16];
        var second = new CompletionSink();
        Assert.False(v.StartOperation(data, second));
        PendedOperation late = tokens[0], current = tokens[1];
        Assert.NotEqual(late, current);
        Assert.False(late.IsCurrent);

        // The late call of the first operation fails with a clear status, and writes nothing into the second.
        Assert.Equal(NtStatus.RequestAborted, late.Complete(NtStatus.AccessDenied));
        Assert.Equal(NtStatus.RequestAborted, late.CompletePreOperation(PreOperationStatus.SuccessNoCallback));
        Assert.NotEqual(NtStatus.AccessDenied, data.IoStatus.Status);

        // The second operation completes through its own token (or, if the machine is slow, through the watchdog).
        NtStatus own = current.CompletePreOperation(PreOperationStatus.SuccessNoCallback);
        Assert.True(second.Done.Wait(30_000));
        Assert.Equal(1, second.Calls);
        Assert.NotEqual(NtStatus.AccessDenied, second.Status.Status);
        if (own == NtStatus.Success) Assert.Equal(NtStatus.Success, second.Status.Status);
        else
        {
            Assert.Equal(NtStatus.RequestAborted, own);
            Assert.Equal(NtStatus.IoTimeout, second.Status.Status);
        }
        Assert.Equal(NtStatus.RequestAborted, current.CompletePreOperation(PreOperationStatus.SuccessNoCallback));
        data.Free();
    }

    [Fact]
    public void ACancelAimedAtAFinishedOperationNeverReachesTheNextOne()
    {
        var routineCalls = new List<long>();
        PendedOperation pendedToken = default;
        mid.Pre = (CallbackData d, in RelatedObjects o, out object? c) =>
        {
            pendedToken = d.PendedOperation;
            Assert.Equal(NtStatus.Success, d.SetCancelCompletion(op => { lock (routineCalls) routineCalls.Add(op.Activation); op.Complete(NtStatus.Cancelled); }));
            c = null;
            return PreOperationStatus.Pending;
        };
        var d = Ops.Read(volume);
        var sink = new CompletionSink();
        Assert.False(volume.StartOperation(d, sink));
        PendedOperation first = pendedToken;
        Assert.True(first.Cancel());                      // the routine ran, with this operation's token
        Assert.True(sink.Done.Wait(30_000));
        Assert.Equal(NtStatus.Cancelled, sink.Status.Status);
        Assert.False(first.Cancel());                     // over: nothing to cancel

        // The next operation on the same object pends again; the old token cancels nothing.
        d.Reuse();
        Assert.False(first.IsCurrent);   // reused but not started yet: still over
        Assert.Equal(NtStatus.RequestAborted, first.CompletePreOperation(PreOperationStatus.SuccessNoCallback));
        d.Iopb.MajorFunction = MajorFunction.Read;
        d.Iopb.Parameters.Read.ReadBuffer = new byte[16];
        d.Iopb.Parameters.Read.Length = 16;
        var next = new CompletionSink();
        Assert.False(volume.StartOperation(d, next));
        Assert.False(first.Cancel());
        Assert.False(d.IsCanceled);
        // A late worker of the first operation cannot bind a cancel routine to the second one either.
        Assert.Equal(NtStatus.RequestAborted, first.SetCancelCompletion(_ => routineCalls.Add(-1)));
        Assert.Equal(NtStatus.Unsuccessful, first.ClearCancelCompletion());
        Assert.Equal(new[] { first.Activation }, routineCalls);
        Assert.Equal(NtStatus.Success, pendedToken.CompletePreOperation(PreOperationStatus.SuccessNoCallback));
        Assert.True(next.Done.Wait(30_000));
        Assert.Equal(NtStatus.Success, next.Status.Status);
        d.Free();
    }

    [Fact]
    public void ALateResumeOfATimedOutPostOpCannotResumeALaterPendOfTheSameOperation()
    {
        using var m = new FilterManager(new FilterManagerOptions { PendingTimeout = TimeSpan.FromMilliseconds(100), WatchdogInterval = TimeSpan.FromMilliseconds(20) });
        var l = new EventLog();
        var v = m.AddVolume(new FakeFileSystem(l));
        var upper = new LambdaFilter("Upper", l).Register(m, "300000");
        var lower = new LambdaFilter("Lower", l).Register(m, "100000");
        PendedOperation lowerPend = default, upperPend = default;
        using var upperParked = new ManualResetEventSlim(false);
        lower.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) => { lowerPend = d.PendedOperation; return PostOperationStatus.MoreProcessingRequired; };
        upper.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
        {
            upperPend = d.PendedOperation;
            upperParked.Set();
            return PostOperationStatus.MoreProcessingRequired;
        };
        var data = Ops.Read(v);
        var sink = new CompletionSink();
        Assert.False(v.StartOperation(data, sink));
        // The watchdog resumes the lower post-op; the upper one then pends in the same operation.
        Assert.True(upperParked.Wait(30_000));
        Assert.Equal(lowerPend.Activation, upperPend.Activation);
        Assert.NotEqual(lowerPend, upperPend);
        // The lower filter's late resume names its own pend, which is over: it must not resume the upper one's.
        Assert.Equal(NtStatus.RequestAborted, lowerPend.CompletePostOperation());
        NtStatus own = upperPend.CompletePostOperation();   // Success, or RequestAborted if the watchdog came first
        Assert.True(own == NtStatus.Success || own == NtStatus.RequestAborted, own.Describe());
        Assert.True(sink.Done.Wait(30_000));
        Assert.Equal(1, sink.Calls);
        data.Free();
    }

    [Fact]
    public void ACancelForTheNextOperationIsRememberedUntilItStarts()
    {
        bool canceledInPre = false;
        mid.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { canceledInPre = d.IsCanceled; c = null; return PreOperationStatus.SuccessNoCallback; };
        var d = Ops.Read(volume);
        Assert.False(d.PendedOperation.Next.Cancel());   // nothing to call yet: remembered
        volume.PerformOperation(d);
        Assert.True(canceledInPre);
        d.Free();
    }

    [Fact]
    public void EveryPendedOperationCompletesExactlyOnceUnderConcurrency()
    {
        int posts = 0, refused = 0;
        // Completers of their own: Parallel.For blocks pool threads in PerformOperation, and completions queued behind
        // them on the same pool would wait for thread injection (past the pending timeout on a loaded machine).
        using var queue = new System.Collections.Concurrent.BlockingCollection<PendedOperation>();
        var completers = new Thread[2];
        for (int t = 0; t < completers.Length; t++)
        {
            completers[t] = new Thread(() =>
            {
                foreach (PendedOperation op in queue.GetConsumingEnumerable())
                    if (op.CompletePreOperation(PreOperationStatus.SuccessWithCallback, null) != NtStatus.Success) Interlocked.Increment(ref refused);
            }) { IsBackground = true };
            completers[t].Start();
        }
        mid.Pre = (CallbackData d, in RelatedObjects o, out object? c) =>
        {
            // Races the return of PENDING: the completion is taken early or parked, and never refused.
            queue.Add(d.PendedOperation);
            c = null;
            return PreOperationStatus.Pending;
        };
        mid.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) => { Interlocked.Increment(ref posts); return PostOperationStatus.FinishedProcessing; };
        const int N = 2000;
        Parallel.For(0, N, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            var st = Ops.RunRead(volume);
            Assert.Equal(NtStatus.Success, st.Status);
        });
        queue.CompleteAdding();
        foreach (var t in completers) Assert.True(t.Join(30_000));
        Assert.Equal(N, posts);
        Assert.Equal(0, refused);
    }
}
