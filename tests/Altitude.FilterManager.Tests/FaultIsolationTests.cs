// A filter that throws or hangs fails one operation, is logged and counted, and never takes the host down.
namespace Altitude.Tests;

public sealed class FaultIsolationTests : IDisposable
{
    private readonly FilterManager manager = new(new FilterManagerOptions { PendingTimeout = TimeSpan.FromMilliseconds(200), WatchdogInterval = TimeSpan.FromMilliseconds(20) });
    private readonly EventLog log = new();
    private readonly Volume volume;
    private readonly List<FilterFault> faults = new();

    public FaultIsolationTests()
    {
        volume = manager.AddVolume(new FakeFileSystem(log));
        manager.FaultReported += f => { lock (faults) faults.Add(f); };
    }

    public void Dispose() => manager.Dispose();

    [Fact]
    public void AThrowingPreOpFailsThatOperationOnlyAndIsReportedWithFilterInstanceAndOperation()
    {
        var above = new LambdaFilter("Above", log).Register(manager, "300");
        var bad = new LambdaFilter("Bad", log).Register(manager, "200");
        bad.Pre = (CallbackData d, in RelatedObjects o, out object? c) => throw new InvalidOperationException("boom");
        var st = Ops.RunRead(volume);
        Assert.Equal(NtStatus.UnhandledException, st.Status);
        Assert.Equal("Above.pre Above.post", log.ToString());
        Assert.Equal(1, manager.FaultCount);
        Assert.Equal(1, bad.Filter.FaultCount);
        var fault = faults.Single();
        Assert.Equal(("Bad", "Bad Instance", MajorFunction.Read), (fault.FilterName, fault.InstanceName, fault.Major!.Value));
        Assert.Contains("IRP_MJ_Read", fault.ToString());
        Assert.Contains("boom", fault.ToString());

        bad.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { c = null; return PreOperationStatus.SuccessNoCallback; };
        Assert.Equal(NtStatus.Success, Ops.RunRead(volume).Status);   // the next operation is fine
    }

    [Fact]
    public void AThrowingPostOpLeavesTheStatusOfWhatAlreadyHappened()
    {
        var bad = new LambdaFilter("BadPost", log).Register(manager, "200");
        bad.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) => throw new Exception("post boom");
        var st = Ops.RunRead(volume);
        Assert.Equal(new IoStatusBlock(NtStatus.Success, 42), st);
        Assert.Equal(1, bad.Filter.FaultCount);
    }

    [Fact]
    public void AnInvalidPreOpResultFailsTheOperation()
    {
        var bad = new LambdaFilter("Weird", log).Register(manager, "200");
        bad.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { c = null; return (PreOperationStatus)42; };
        Assert.Equal(NtStatus.FltInternalError, Ops.RunRead(volume).Status);
        Assert.Equal(1, manager.FaultCount);
    }

    [Fact]
    public void APreOpThatPendsForeverIsFailedByTheWatchdogWithIoTimeout()
    {
        var above = new LambdaFilter("Above", log).Register(manager, "300");
        var hang = new LambdaFilter("Hang", log).Register(manager, "200");
        hang.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { log.Add("Hang.pre"); c = null; return PreOperationStatus.Pending; };
        var d = Ops.Read(volume);
        var sink = new CompletionSink();
        Assert.False(volume.StartOperation(d, sink));
        Assert.True(sink.Done.Wait(60_000));
        Assert.Equal(NtStatus.IoTimeout, sink.Status.Status);
        Assert.Equal("Above.pre Hang.pre Above.post", log.ToString());
        Assert.Contains("PENDING past the pending timeout", faults.Single().What);
        // A late completion is refused instead of resuming a finished operation.
        Assert.Equal(NtStatus.RequestAborted, d.CompletePendedPreOperation(PreOperationStatus.SuccessNoCallback));
        d.Free();
        // Detach is bounded too.
        Assert.Equal(NtStatus.Success, hang.Filter.DetachVolume(volume, null));
    }

    [Fact]
    public void APostOpThatNeverResumesIsResumedByTheWatchdogWithTheStatusUnchanged()
    {
        var hang = new LambdaFilter("HangPost", log).Register(manager, "200");
        hang.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) => PostOperationStatus.MoreProcessingRequired;
        var st = Ops.RunRead(volume);
        Assert.Equal(new IoStatusBlock(NtStatus.Success, 42), st);
        Assert.Equal(1, hang.Filter.FaultCount);
    }

    [Fact]
    public void ThrowingSetupAndTeardownCallbacksAreContained()
    {
        var f = new LambdaFilter("Brittle") { Setup = () => throw new Exception("setup") };
        f.Register(manager, "200");   // automatic attach is refused, registration still works
        Assert.Empty(volume.Instances);
        f.Setup = null;
        f.OnTeardownStart = _ => throw new Exception("teardown");
        Assert.Equal(NtStatus.Success, f.Filter.AttachVolume(volume, null, out _));
        Assert.Equal(NtStatus.Success, f.Filter.DetachVolume(volume, null));
        Assert.Empty(volume.Instances);
        Assert.Equal(2, f.Filter.FaultCount);
    }

    [Fact]
    public void AThrowingFileSystemFailsTheOperation()
    {
        ((FakeFileSystem)volume.FileSystem).Hook = _ => throw new IOException("disk on fire");
        Assert.Equal(NtStatus.UnhandledException, Ops.RunRead(volume).Status);
    }
}
