// Detach while operations are in flight (spec section 2, "InstanceTeardownStart" and DRAINING).
namespace Altitude.Tests;

public sealed class TeardownDrainTests : IDisposable
{
    private readonly FilterManager manager = new(new FilterManagerOptions { PendingTimeout = TimeSpan.FromSeconds(30) });
    private readonly EventLog log = new();
    private readonly Volume volume;

    public TeardownDrainTests() => volume = manager.AddVolume(new FakeFileSystem(log));

    public void Dispose() => manager.Dispose();

    [Fact]
    public void OwedPostOpIsDrainedOnACopyAndNeverCalledAgain()
    {
        var high = new LambdaFilter("High", log).Register(manager, "300");
        var low = new LambdaFilter("Low", log).Register(manager, "100");
        var drainedFlags = new List<(PostOperationFlags, CallbackDataFlags, object?)>();
        high.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
        {
            lock (drainedFlags) drainedFlags.Add((f, d.Flags, c));
            return PostOperationStatus.FinishedProcessing;
        };
        CallbackData? parked = null;
        low.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { parked = d; c = null; return PreOperationStatus.Pending; };

        var d = Ops.Read(volume);
        var sink = new CompletionSink();
        Assert.False(volume.StartOperation(d, sink));

        Assert.Equal(NtStatus.Success, high.Filter.DetachVolume(volume, null));   // must not wait for the pended read
        Assert.Single(drainedFlags);
        Assert.Equal(PostOperationFlags.Draining, drainedFlags[0].Item1);
        Assert.True((drainedFlags[0].Item2 & CallbackDataFlags.Draining) != 0);
        Assert.Equal("High.ctx", drainedFlags[0].Item3);
        Assert.Equal(1, high.TeardownCompletes);

        Assert.Equal(NtStatus.Success, parked!.CompletePendedPreOperation(PreOperationStatus.SuccessNoCallback));
        Assert.True(sink.Done.Wait(60_000));
        Assert.Equal(NtStatus.Success, sink.Status.Status);   // the reply is not lost
        Assert.Single(drainedFlags);                             // and the post-op ran exactly once
        d.Free();
    }

    [Fact]
    public void DetachOfAnInstanceHoldingAPendedOperationWaitsForTeardownStartToCompleteIt()
    {
        var f = new LambdaFilter("Pender", log);
        var pended = new List<CallbackData>();
        f.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { lock (pended) pended.Add(d); c = null; return PreOperationStatus.Pending; };
        f.OnTeardownStart = _ =>
        {
            // What the spec asks of TeardownStart: complete every pended operation.
            lock (pended) foreach (var p in pended) p.CompletePendedPreOperation(PreOperationStatus.SuccessWithCallback);
        };
        bool completedBeforeTeardownComplete = false;
        var sink = new CompletionSink();
        f.OnTeardownComplete = _ => completedBeforeTeardownComplete = sink.Done.IsSet;
        f.Register(manager, "500");

        var d = Ops.Read(volume);
        Assert.False(volume.StartOperation(d, sink));
        Assert.Equal(NtStatus.Success, f.Filter.DetachVolume(volume, null));
        Assert.True(completedBeforeTeardownComplete);
        Assert.Equal(NtStatus.Success, sink.Status.Status);
        Assert.Equal("FS Pender.post", log.ToString());   // the owed post ran (drained or normal), once
        d.Free();
    }

    [Fact]
    public void NoCallbackReachesAnInstanceAfterTeardownStarts()
    {
        var f = new LambdaFilter("Gone", log).Register(manager, "500");
        Assert.Equal(NtStatus.Success, f.Filter.DetachVolume(volume, null));
        Ops.RunRead(volume);
        Assert.Equal("FS", log.ToString());
    }
}
