// Filter unload (spec section 2, "Unload callback"): mandatory and not, veto, no callback.
namespace Altitude.Tests;

public sealed class UnloadTests : IDisposable
{
    private readonly FilterManager manager = new();
    private readonly Volume volume;

    public UnloadTests() => volume = manager.AddVolume(new FakeFileSystem());

    public void Dispose() => manager.Dispose();

    [Fact]
    public void AFilterWithoutAnUnloadCallbackCanNeverUnload()
    {
        var f = new LambdaFilter("Forever") { Unload = null }.Register(manager, "10");
        Assert.Equal(NtStatus.FltDoNotDetach, manager.UnloadFilter("Forever"));
        Assert.Equal(NtStatus.FltDoNotDetach, manager.UnloadFilter("Forever", mandatory: true));
        Assert.Equal(FilterState.Started, f.Filter.State);
    }

    [Fact]
    public void ANonMandatoryUnloadCanBeVetoedAndAMandatoryOneCannot()
    {
        var flags = new List<FilterUnloadFlags>();
        var f = new LambdaFilter("Vetoer") { Unload = fl => { flags.Add(fl); return NtStatus.FltDoNotDetach; } }.Register(manager, "10");
        Assert.Equal(NtStatus.FltDoNotDetach, manager.UnloadFilter("Vetoer"));
        Assert.Single(volume.Instances);
        Assert.Equal(NtStatus.Success, manager.UnloadFilter("Vetoer", mandatory: true));
        Assert.Equal(new[] { FilterUnloadFlags.None, FilterUnloadFlags.Mandatory }, flags);
        Assert.Empty(volume.Instances);
        Assert.Equal(FilterState.Unloaded, f.Filter.State);
        Assert.Equal((1, 1, InstanceTeardownFlags.MandatoryFilterUnload), (f.TeardownStarts, f.TeardownCompletes, f.LastTeardownReason));
        Assert.Equal(NtStatus.FltFilterNotFound, manager.UnloadFilter("Vetoer"));
    }

    [Fact]
    public void DoNotSupportServiceStopFailsAMandatoryUnloadWithoutCallingTheCallback()
    {
        int calls = 0;
        new LambdaFilter("NoStop") { Unload = _ => { calls++; return NtStatus.Success; } }
            .Register(manager, "10", flags: FilterRegistrationFlags.DoNotSupportServiceStop);
        Assert.Equal(NtStatus.FltDoNotDetach, manager.UnloadFilter("NoStop", mandatory: true));
        Assert.Equal(0, calls);
        Assert.Equal(NtStatus.Success, manager.UnloadFilter("NoStop"));
        Assert.Equal(1, calls);
    }

    [Fact]
    public void UnloadTearsDownEveryInstanceWithFilterUnload()
    {
        var second = manager.AddVolume(new FakeFileSystem());
        var f = new LambdaFilter("Two").Register(manager, "10");
        Assert.Equal(2, f.Filter.Instances.Count);
        Assert.Equal(NtStatus.Success, manager.UnloadFilter("Two"));
        Assert.Equal((2, 2, InstanceTeardownFlags.FilterUnload), (f.TeardownStarts, f.TeardownCompletes, f.LastTeardownReason));
        Assert.Empty(volume.Instances);
        Assert.Empty(second.Instances);
        Assert.Equal(NtStatus.FltDeletingObject, f.Filter.StartFiltering());
    }

    [Fact]
    public void AMandatoryUnloadThatUnregistersInTheCallbackTearsDownWithTheMandatoryReason()
    {
        var f = new LambdaFilter("SelfMandatory");
        f.Unload = _ => { f.Filter.Unregister(); return NtStatus.Success; };
        f.Register(manager, "10");
        Assert.Equal(NtStatus.Success, manager.UnloadFilter("SelfMandatory", mandatory: true));
        Assert.Equal(InstanceTeardownFlags.MandatoryFilterUnload, f.LastTeardownReason);
    }

    [Fact]
    public void AnUnloadCallbackThatUnregistersItselfIsFine()
    {
        var f = new LambdaFilter("Self");
        f.Unload = _ => { f.Filter.Unregister(); return NtStatus.Success; };
        f.Register(manager, "10");
        Assert.Equal(NtStatus.Success, manager.UnloadFilter("Self"));
        Assert.Equal(1, f.TeardownCompletes);
        Assert.Equal(FilterState.Unloaded, f.Filter.State);
    }
}
