// Spec section 2, "Ordering" and the pre-op/post-op result tables.
namespace Altitude.Tests;

public sealed class DispatchOrderTests : IDisposable
{
    private readonly FilterManager manager = new(new FilterManagerOptions { PendingTimeout = TimeSpan.FromSeconds(30) });
    private readonly EventLog log = new();
    private readonly Volume volume;
    private readonly LambdaFilter high, mid, low;

    public DispatchOrderTests()
    {
        volume = manager.AddVolume(new FakeFileSystem(log));
        // Registered out of order on purpose: order comes from altitudes, not registration.
        mid = new LambdaFilter("Mid", log).Register(manager, "320000");
        low = new LambdaFilter("Low", log).Register(manager, "140000");
        high = new LambdaFilter("High", log).Register(manager, "385100");
    }

    public void Dispose() => manager.Dispose();

    [Fact]
    public void PreOpsRunHighToLowAndPostOpsLowToHigh()
    {
        var st = Ops.RunRead(volume);
        Assert.Equal(new IoStatusBlock(NtStatus.Success, 42), st);
        Assert.Equal("High.pre Mid.pre Low.pre FS Low.post Mid.post High.post", log.ToString());
        Assert.Equal(new[] { "High Instance", "Mid Instance", "Low Instance" }, volume.Instances.Select(i => i.Name));
    }

    [Fact]
    public void SuccessNoCallbackSkipsOnlyThatPostOp()
    {
        mid.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { log.Add("Mid.pre"); c = null; return PreOperationStatus.SuccessNoCallback; };
        Ops.RunRead(volume);
        Assert.Equal("High.pre Mid.pre Low.pre FS Low.post High.post", log.ToString());
    }

    [Fact]
    public void CompleteSkipsFiltersBelowAndItsOwnPostOp()
    {
        mid.Pre = (CallbackData d, in RelatedObjects o, out object? c) =>
        {
            log.Add("Mid.pre");
            d.IoStatus = new IoStatusBlock(NtStatus.AccessDenied, 0);
            c = null;
            return PreOperationStatus.Complete;
        };
        var st = Ops.RunRead(volume);
        Assert.Equal(NtStatus.AccessDenied, st.Status);
        Assert.Equal("High.pre Mid.pre High.post", log.ToString());
    }

    [Fact]
    public void CompletionContextTravelsFromPreToPost()
    {
        var seen = new List<object?>();
        low.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { c = new[] { 7 }; return PreOperationStatus.SuccessWithCallback; };
        low.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) => { lock (seen) seen.Add(c); return PostOperationStatus.FinishedProcessing; };
        Ops.RunRead(volume);
        Ops.RunRead(volume);
        Assert.Equal(2, seen.Count);
        Assert.Equal(7, ((int[])seen[0]!)[0]);
        Assert.NotSame(seen[0], seen[1]);
    }

    [Fact]
    public void RelatedObjectsNameTheInstanceAndVolume()
    {
        Instance? seen = null;
        mid.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { seen = o.Instance; Assert.Same(volume, o.Volume); Assert.Same(mid.Filter, o.Filter); Assert.Null(o.Transaction); c = null; return PreOperationStatus.SuccessNoCallback; };
        Ops.RunRead(volume);
        Assert.Equal("Mid Instance", seen!.Name);
    }

    [Fact]
    public void PostOpsSeeThePostOperationFlagAndTheFinalStatus()
    {
        CallbackDataFlags flags = 0;
        IoStatusBlock status = default;
        high.Post = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) => { flags = d.Flags; status = d.IoStatus; return PostOperationStatus.FinishedProcessing; };
        Ops.RunRead(volume);
        Assert.True((flags & CallbackDataFlags.PostOperation) != 0);
        Assert.Equal(42, status.Information);
    }

    [Fact]
    public void InstancesWithoutCallbacksForTheMajorAreNotCalled()
    {
        var quiet = new LambdaFilter("Quiet", log).Register(manager, "400000", majors: MajorFunction.Cleanup);
        Ops.RunRead(volume);
        Assert.DoesNotContain("Quiet.pre", log.Snapshot());
        Assert.True(volume.HasCallbacksFor(MajorFunction.Cleanup));
        Assert.False(volume.HasCallbacksFor(MajorFunction.LockControl));
    }

    [Fact]
    public void PostOnlyRegistrationGetsEveryPostOp()
    {
        var postOnly = new LambdaFilter("PostOnly", log);
        var reg = new FilterRegistration
        {
            OperationRegistration = new[] { new OperationRegistration(MajorFunction.Read, 0, null, (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) => { log.Add("PostOnly.post"); return PostOperationStatus.FinishedProcessing; }) },
        };
        Assert.Equal(NtStatus.Success, manager.RegisterFilter(FilterConfiguration.Single("PostOnly", "300000"), reg, out var f));
        Assert.Equal(NtStatus.Success, f!.StartFiltering());
        Ops.RunRead(volume);
        Assert.Equal("High.pre Mid.pre Low.pre FS Low.post PostOnly.post Mid.post High.post", log.ToString());
    }

    [Fact]
    public void DisallowStatusesBehaveAsNoCallback()
    {
        mid.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { log.Add("Mid.pre"); c = null; return PreOperationStatus.DisallowFastIo; };
        low.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { log.Add("Low.pre"); c = null; return PreOperationStatus.DisallowFsFilterIo; };
        Ops.RunRead(volume);
        Assert.Equal("High.pre Mid.pre Low.pre FS High.post", log.ToString());
    }

    [Fact]
    public void FilterIssuedIoEntersBelowTheIssuerAndIsMarkedGenerated()
    {
        var flagsSeen = new List<CallbackDataFlags>();
        low.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { log.Add("Low.pre"); flagsSeen.Add(d.Flags); c = null; return PreOperationStatus.SuccessWithCallback; };
        var midInstance = volume.Instances.Single(i => i.Name == "Mid Instance");
        Assert.Equal(NtStatus.Success, midInstance.AllocateCallbackData(new FileObject(volume), out var d));
        d!.Iopb.MajorFunction = MajorFunction.Read;
        d.Iopb.Parameters.Read.Length = 4;
        d.Iopb.Parameters.Read.ReadBuffer = new byte[4];
        Assert.Equal(NtStatus.Success, d.PerformSynchronousIo());
        Assert.Equal(42, d.IoStatus.Information);
        d.Free();
        Assert.Equal("Low.pre FS Low.post", log.ToString());
        Assert.True((flagsSeen.Single() & CallbackDataFlags.GeneratedIo) != 0);
    }

    [Fact]
    public void IoIssuedByTheLowestInstanceReachesOnlyTheFileSystem()
    {
        var lowInstance = volume.Instances.Single(i => i.Name == "Low Instance");
        Assert.Equal(NtStatus.Success, lowInstance.AllocateCallbackData(null, out var d));
        d!.Iopb.MajorFunction = MajorFunction.Write;
        Assert.Equal(NtStatus.Success, d.PerformSynchronousIo());
        d.Free();
        Assert.Equal("FS", log.ToString());
    }

    [Fact]
    public void AsynchronousFilterIoCallsBackAndCreateCannotBeAsynchronous()
    {
        var highInstance = volume.Instances.Single(i => i.Name == "High Instance");
        Assert.Equal(NtStatus.Success, highInstance.AllocateCallbackData(null, out var d));
        d!.Iopb.MajorFunction = MajorFunction.Create;
        Assert.Equal(NtStatus.FltInvalidAsynchronousRequest, d.PerformAsynchronousIo(new CompletionSink()));
        d.Reuse();
        d.Iopb.MajorFunction = MajorFunction.Read;
        var sink = new CompletionSink();
        Assert.Equal(NtStatus.Success, d.PerformAsynchronousIo(sink));
        Assert.Equal(1, sink.Calls);
        Assert.Equal("Mid.pre Low.pre FS Low.post Mid.post", log.ToString());
        d.Free();
    }

    [Fact]
    public void DirtyFlagIsSetAndCleared()
    {
        high.Pre = (CallbackData d, in RelatedObjects o, out object? c) =>
        {
            d.Iopb.Parameters.Read.ByteOffset = 100;
            d.SetDirty();
            Assert.True(d.IsDirty);
            c = null;
            return PreOperationStatus.SuccessNoCallback;
        };
        long offsetAtBottom = -1;
        ((FakeFileSystem)volume.FileSystem).Hook = d => { offsetAtBottom = d.Iopb.Parameters.Read.ByteOffset; return false; };
        Ops.RunRead(volume);
        Assert.Equal(100, offsetAtBottom);
    }
}
