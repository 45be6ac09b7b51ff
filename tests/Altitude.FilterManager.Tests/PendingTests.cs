// PENDING, SYNCHRONIZE and MORE_PROCESSING_REQUIRED (spec section 2), completed from other threads.
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

    private static Task CompleteLater(Func<NtStatus> complete, List<NtStatus> results) => Task.Run(async () =>
    {
        await Task.Delay(20);
        var st = complete();
        lock (results) results.Add(st);
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
            completer = CompleteLater(() => d.CompletePendedPreOperation(PreOperationStatus.SuccessWithCallback, "late-ctx"), results);
            c = null;
            return PreOperationStatus.Pending;
        };
        mid.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) => { postContext = c; log.Add("Mid.post"); return PostOperationStatus.FinishedProcessing; };

        var d = Ops.Read(volume);
        var sink = new CompletionSink();
        bool sync = volume.StartOperation(d, sink);
        Assert.False(sync);
        Assert.True(sink.Done.Wait(5000));
        Assert.True(completer!.Wait(5000));
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
        var results = new List<NtStatus>();
        mid.Pre = (CallbackData d, in RelatedObjects o, out object? c) =>
        {
            log.Add("Mid.pre");
            CompleteLater(() => { d.IoStatus = new IoStatusBlock(NtStatus.AccessDenied, 0); return d.CompletePendedPreOperation(PreOperationStatus.Complete); }, results);
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
            Assert.Equal(NtStatus.Success, d.CompletePendedPreOperation(PreOperationStatus.SuccessNoCallback));
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
    public void SynchronizeRunsThePostOpOnTheIssuingThreadEvenWhenALowerFilterCompletesElsewhere()
    {
        int postThread = 0;
        high.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { c = "sync"; return PreOperationStatus.Synchronize; };
        high.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) => { postThread = Environment.CurrentManagedThreadId; Assert.Equal("sync", c); return PostOperationStatus.FinishedProcessing; };
        var results = new List<NtStatus>();
        int lowCompletionThread = 0;
        low.Pre = (CallbackData d, in RelatedObjects o, out object? c) =>
        {
            Task.Run(() => { Thread.Sleep(20); lowCompletionThread = Environment.CurrentManagedThreadId; lock (results) results.Add(d.CompletePendedPreOperation(PreOperationStatus.SuccessWithCallback)); });
            c = null;
            return PreOperationStatus.Pending;
        };
        int issuing = Environment.CurrentManagedThreadId;
        var d = Ops.Read(volume);
        var sink = new CompletionSink();
        volume.StartOperation(d, sink);   // blocks in the SYNCHRONIZE filter's thread until the post-op ran here
        Assert.True(sink.Done.Wait(5000));
        Assert.Equal(issuing, postThread);
        Assert.NotEqual(issuing, lowCompletionThread);
        d.Free();
    }

    [Fact]
    public void TwoSynchronizeFiltersOnDifferentThreadsDoNotDeadlock()
    {
        // High asks for SYNCHRONIZE on this thread; Mid pends and resumes on a pool thread, where Low asks for
        // SYNCHRONIZE too; a fourth filter pends again. Completion must come back to this thread, once.
        var bottom = new LambdaFilter("Bottom", log).Register(manager, "50000");
        var posts = new List<string>();
        high.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { c = null; return PreOperationStatus.Synchronize; };
        high.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) => { lock (posts) posts.Add("High@" + Environment.CurrentManagedThreadId); return PostOperationStatus.FinishedProcessing; };
        mid.Pre = (CallbackData d, in RelatedObjects o, out object? c) =>
        {
            Task.Run(() => { Thread.Sleep(10); d.CompletePendedPreOperation(PreOperationStatus.SuccessNoCallback); });
            c = null;
            return PreOperationStatus.Pending;
        };
        low.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { c = null; return PreOperationStatus.Synchronize; };
        low.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) => { lock (posts) posts.Add("Low"); return PostOperationStatus.FinishedProcessing; };
        bottom.Pre = (CallbackData d, in RelatedObjects o, out object? c) =>
        {
            Task.Run(() => { Thread.Sleep(10); d.CompletePendedPreOperation(PreOperationStatus.SuccessNoCallback); });
            c = null;
            return PreOperationStatus.Pending;
        };
        var d = Ops.Read(volume);
        var sink = new CompletionSink();
        var issuing = Environment.CurrentManagedThreadId;
        var run = Task.Run(() => volume.StartOperation(d, sink));
        Assert.True(sink.Done.Wait(10_000), "the operation completed");
        Assert.True(run.Wait(10_000), "the issuing thread was released");
        Assert.Equal(2, posts.Count);
        Assert.Equal("Low", posts[0]);
        Assert.Equal(1, sink.Calls);
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

    [Fact]
    public void PostCreateRunsInTheOriginatingThread()
    {
        var f = new LambdaFilter("Creator", log).Register(manager, "350000", majors: MajorFunction.Create);
        int postThread = 0;
        f.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags fl) => { postThread = Environment.CurrentManagedThreadId; return PostOperationStatus.FinishedProcessing; };
        low.Pre = (CallbackData d, in RelatedObjects o, out object? c) =>
        {
            Task.Run(() => { Thread.Sleep(10); d.CompletePendedPreOperation(PreOperationStatus.SuccessNoCallback); });
            c = null;
            return PreOperationStatus.Pending;
        };
        var d = volume.AllocateCallbackData(new FileObject(volume));
        d.Iopb.MajorFunction = MajorFunction.Create;
        var sink = new CompletionSink();
        volume.StartOperation(d, sink);
        Assert.True(sink.Done.Wait(5000));
        Assert.Equal(Environment.CurrentManagedThreadId, postThread);
        d.Free();
    }

    [Fact]
    public void MoreProcessingRequiredParksCompletionUntilResumed()
    {
        var results = new List<NtStatus>();
        mid.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
        {
            log.Add("Mid.post");
            CompleteLater(() => { log.Add("Mid.resume"); return d.CompletePendedPostOperation(); }, results);
            return PostOperationStatus.MoreProcessingRequired;
        };
        var d = Ops.Read(volume);
        var sink = new CompletionSink();
        Assert.False(volume.StartOperation(d, sink));
        Assert.True(sink.Done.Wait(5000));
        Thread.Sleep(10);
        Assert.Equal(new[] { NtStatus.Success }, results);
        Assert.Equal("High.pre Mid.pre Low.pre FS Low.post Mid.post Mid.resume High.post", log.ToString());
        Assert.Equal(NtStatus.InvalidParameter, d.CompletePendedPostOperation());   // a second resume is refused
        d.Free();
    }

    [Fact]
    public void EveryPendedOperationCompletesExactlyOnceUnderConcurrency()
    {
        int posts = 0;
        mid.Pre = (CallbackData d, in RelatedObjects o, out object? c) =>
        {
            ThreadPool.UnsafeQueueUserWorkItem(_ => d.CompletePendedPreOperation(PreOperationStatus.SuccessWithCallback, null), null);
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
        Assert.Equal(N, posts);
    }
}
