// Bounded teardown: FilterManagerOptions.TeardownTimeout ends the waits for a callback that never returns, and
// UnloadFilter with a timeout stops waiting for a FilterUnload that hangs. Only order and relations are asserted.
namespace Altitude.Tests;

public sealed class TeardownTimeoutTests : IDisposable
{
    // The pending timeout is long: only TeardownTimeout can end the waits within the test's bounds.
    private readonly FilterManager manager = new(new FilterManagerOptions { PendingTimeout = TimeSpan.FromMinutes(10), TeardownTimeout = TimeSpan.FromMilliseconds(100) });
    private readonly Volume volume;
    private readonly List<FilterFault> faults = new();
    private readonly ManualResetEventSlim release = new(false);

    public TeardownTimeoutTests()
    {
        volume = manager.AddVolume(new FakeFileSystem());
        manager.FaultReported += f => { lock (faults) faults.Add(f); };
    }

    public void Dispose()
    {
        release.Set();
        manager.Dispose();
    }

    private FilterFault[] Faults() { lock (faults) return faults.ToArray(); }

    [Fact]
    public void AMandatoryUnloadCompletesWhileAPreCreateIsStillBlocked()
    {
        var f = new LambdaFilter("Hung");
        var entered = new ManualResetEventSlim(false);
        f.Pre = (CallbackData d, in RelatedObjects o, out object? c) =>
        {
            c = null;
            if (d.Iopb.MajorFunction == MajorFunction.Create) { entered.Set(); release.Wait(); }
            return PreOperationStatus.SuccessNoCallback;
        };
        f.Register(manager, "300");
        var createDone = new ManualResetEventSlim(false);
        var issuer = new Thread(() =>
        {
            var d = volume.AllocateCallbackData(new FileObject(volume));
            d.Iopb.MajorFunction = MajorFunction.Create;
            volume.PerformOperation(d);
            d.Free();
            createDone.Set();
        }) { IsBackground = true };
        issuer.Start();
        Assert.True(entered.Wait(60_000));

        Assert.Equal(NtStatus.Success, manager.UnloadFilter(f.Filter, mandatory: true));
        bool stillBlocked = !createDone.IsSet;

        Assert.True(stillBlocked, "the unload must return while the pre-create is still blocked");
        Assert.Equal(FilterState.Unloaded, f.Filter.State);
        Assert.Equal(1, f.TeardownCompletes);
        Assert.Empty(volume.Instances);
        var fault = Assert.Single(Faults());
        Assert.Equal("Hung", fault.FilterName);
        Assert.Contains("teardown timeout", fault.What);

        release.Set();
        Assert.True(createDone.Wait(60_000));
        Assert.True(issuer.Join(60_000));
    }

    [Fact]
    public void AParkedOperationIsEndedWhenTheTeardownRunsOutOfTime()
    {
        var f = new LambdaFilter("Parks");
        f.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { c = null; return PreOperationStatus.Pending; };
        f.Register(manager, "300");
        var d = Ops.Read(volume);
        var sink = new CompletionSink();
        Assert.False(volume.StartOperation(d, sink));

        Assert.Equal(NtStatus.Success, f.Filter.DetachVolume(volume, null));
        // Ended by the detach itself, not the (ten-minute) watchdog: the issuer learned the outcome before detach returned.
        Assert.True(sink.Done.IsSet);
        Assert.Equal(NtStatus.IoTimeout, sink.Status.Status);
        Assert.Contains(Faults(), x => x.FilterName == "Parks" && x.What.Contains("teardown timeout"));
        d.Free();
    }

    [Fact]
    public void AHungUnloadCallbackIsAbandonedAndAMandatoryUnloadUnregistersAnyway()
    {
        var f = new LambdaFilter("HungUnload");
        var entered = new ManualResetEventSlim(false);
        f.Unload = _ => { entered.Set(); release.Wait(); return NtStatus.Success; };
        f.Register(manager, "300");

        Assert.Equal(NtStatus.Success, manager.UnloadFilter(f.Filter, mandatory: true, TimeSpan.FromMilliseconds(100)));

        Assert.True(entered.IsSet);
        Assert.Equal(FilterState.Unloaded, f.Filter.State);
        Assert.Empty(manager.Filters);
        var fault = Assert.Single(Faults());
        Assert.Equal("HungUnload", fault.FilterName);
        Assert.Contains("did not return", fault.What);
    }

    [Fact]
    public void AHungNonMandatoryUnloadFailsWithIoTimeoutAndLeavesTheFilterLoaded()
    {
        var f = new LambdaFilter("HungOptional");
        var returned = new ManualResetEventSlim(false);
        f.Unload = _ => { release.Wait(); returned.Set(); return NtStatus.Success; };
        f.Register(manager, "300");

        Assert.Equal(NtStatus.IoTimeout, manager.UnloadFilter(f.Filter, mandatory: false, TimeSpan.FromMilliseconds(100)));

        Assert.False(returned.IsSet);
        Assert.Equal(FilterState.Started, f.Filter.State);
        Assert.Single(volume.Instances);
        Assert.Contains("did not return", Assert.Single(Faults()).What);
        // While the first callback still runs, a second unload (fltmc unload again, or the service stop) does not run
        // the callback a second time beside it.
        Assert.Equal(NtStatus.FltDeletingObject, manager.UnloadFilter(f.Filter, mandatory: false, TimeSpan.FromMilliseconds(100)));
        Assert.Equal(NtStatus.FltDeletingObject, manager.UnloadFilter(f.Filter, mandatory: true, TimeSpan.FromMilliseconds(100)));
        Assert.False(returned.IsSet);
        // The callback returns later: its result changes nothing, and the filter can be unloaded once its thread is done.
        release.Set();
        Assert.True(returned.Wait(60_000));
        Assert.Equal(FilterState.Started, f.Filter.State);
        NtStatus again = NtStatus.FltDeletingObject;
        Assert.True(SpinWait.SpinUntil(() => (again = manager.UnloadFilter(f.Filter, mandatory: false, TimeSpan.FromMinutes(1))) != NtStatus.FltDeletingObject, 60_000));
        Assert.Equal(NtStatus.Success, again);
        Assert.Equal(FilterState.Unloaded, f.Filter.State);
    }

    [Fact]
    public void AnUnloadCallbackThatReturnsInTimeIsUsedAsIs()
    {
        var f = new LambdaFilter("Vetoes");
        f.Unload = _ => NtStatus.FltDoNotDetach;
        f.Register(manager, "300");
        Assert.Equal(NtStatus.FltDoNotDetach, manager.UnloadFilter(f.Filter, mandatory: false, TimeSpan.FromMinutes(1)));
        Assert.Equal(FilterState.Started, f.Filter.State);
        Assert.Empty(Faults());
    }
}
