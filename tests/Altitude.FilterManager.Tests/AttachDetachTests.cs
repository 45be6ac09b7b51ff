// FltRegisterFilter, FltStartFiltering, FltAttachVolume(AtAltitude), FltDetachVolume: spec section 2 statuses.
namespace Altitude.Tests;

public sealed class AttachDetachTests : IDisposable
{
    private readonly FilterManager manager = new();
    private readonly Volume volume;

    public AttachDetachTests() => volume = manager.AddVolume(new FakeFileSystem(), "/mnt/test");

    public void Dispose() => manager.Dispose();

    private static FilterRegistration Registration(Func<NtStatus>? setup = null, bool queryTeardown = true) => new()
    {
        OperationRegistration = new[] { new OperationRegistration(MajorFunction.Read, 0, null, null) },
        FilterUnload = _ => NtStatus.Success,
        InstanceSetup = setup is null ? null : (in RelatedObjects o, InstanceSetupFlags f, VolumeDeviceType t, FileSystemType fs) => setup(),
        InstanceQueryTeardown = queryTeardown ? (in RelatedObjects o, InstanceTeardownFlags f) => NtStatus.Success : null,
    };

    private static FilterConfiguration Minispy() => new("minispy", "Minispy - Top Instance", new[]
    {
        new InstanceConfiguration("Minispy - Top Instance", "385100", InstanceConfiguration.NoAutomaticAttach),
        new InstanceConfiguration("Minispy - Middle Instance", "370000", InstanceConfiguration.NoAutomaticAttach),
        new InstanceConfiguration("Minispy - Bottom Instance", "361000", InstanceConfiguration.NoAutomaticAttach),
    });

    [Fact]
    public void RegisterRejectsAWrongVersionAMissingDefaultInstanceAndADuplicateName()
    {
        Assert.Equal(NtStatus.InvalidParameter, manager.RegisterFilter(FilterConfiguration.Single("a", "1"), new FilterRegistration { Version = 1 }, out _));
        Assert.Equal(NtStatus.ObjectNameNotFound, manager.RegisterFilter(new FilterConfiguration("b", "nope", new[] { new InstanceConfiguration("x", "1") }), Registration(), out _));
        Assert.Equal(NtStatus.InvalidParameter, manager.RegisterFilter(FilterConfiguration.Single("c", "12a"), Registration(), out _));
        Assert.Equal(NtStatus.Success, manager.RegisterFilter(FilterConfiguration.Single("d", "1"), Registration(), out _));
        Assert.Equal(NtStatus.ObjectNameCollision, manager.RegisterFilter(FilterConfiguration.Single("D", "2"), Registration(), out _));
        var power = new FilterRegistration { OperationRegistration = new[] { new OperationRegistration(MajorFunction.Power, 0, null, null) } };
        Assert.Equal(NtStatus.InvalidParameter, manager.RegisterFilter(FilterConfiguration.Single("e", "1"), power, out _));
    }

    [Fact]
    public void AttachBeforeStartFilteringIsFilterNotReadyAndStartTwiceIsInvalid()
    {
        manager.RegisterFilter(FilterConfiguration.Single("f", "100"), Registration(), out var f);
        Assert.Equal(NtStatus.FltFilterNotReady, f!.AttachVolume(volume, null, out var inst));
        Assert.Null(inst);
        Assert.Equal(NtStatus.Success, f.StartFiltering());
        Assert.Equal(NtStatus.InvalidParameter, f.StartFiltering());
    }

    [Fact]
    public void StartFilteringAttachesTheDefaultInstanceToMountedVolumesUnlessFlaggedNoAutomaticAttach()
    {
        manager.RegisterFilter(FilterConfiguration.Single("auto", "100"), Registration(), out var auto);
        auto!.StartFiltering();
        Assert.Single(volume.Instances);
        manager.RegisterFilter(Minispy(), Registration(), out var spy);
        spy!.StartFiltering();
        Assert.Single(volume.Instances);
        var second = manager.AddVolume(new FakeFileSystem());
        Assert.Equal("auto Instance", second.Instances.Single().Name);
    }

    [Fact]
    public void AttachWithoutANameUsesTheDefaultInstanceAndOrdersByAltitude()
    {
        manager.RegisterFilter(Minispy(), Registration(), out var spy);
        spy!.StartFiltering();
        Assert.Equal(NtStatus.Success, spy.AttachVolume(volume, "Minispy - Bottom Instance", out _));
        Assert.Equal(NtStatus.Success, spy.AttachVolume(volume, null, out var top));
        Assert.Equal("Minispy - Top Instance", top!.Name);
        Assert.Equal(NtStatus.Success, spy.AttachVolume(volume, "Minispy - Middle Instance", out _));
        Assert.Equal(new[] { "385100", "370000", "361000" }, volume.Instances.Select(i => i.Altitude.Text));
        Assert.Equal(3, spy.Instances.Count);
    }

    [Fact]
    public void AttachStatuses()
    {
        manager.RegisterFilter(Minispy(), Registration(), out var spy);
        spy!.StartFiltering();
        Assert.Equal(NtStatus.Success, spy.AttachVolume(volume, null, out _));
        Assert.Equal(NtStatus.FltInstanceNameCollision, spy.AttachVolume(volume, "Minispy - Top Instance", out _));
        Assert.Equal(NtStatus.ObjectNameNotFound, spy.AttachVolume(volume, "No Such Instance", out _));

        // Another filter whose configured altitude is taken: OBJECT_NAME_COLLISION; at an explicit altitude: ALTITUDE_COLLISION.
        manager.RegisterFilter(new FilterConfiguration("other", "o", new[] { new InstanceConfiguration("o", "385100.000", InstanceConfiguration.NoAutomaticAttach) }), Registration(), out var other);
        other!.StartFiltering();
        Assert.Equal(NtStatus.ObjectNameCollision, other.AttachVolume(volume, null, out _));
        Assert.Equal(NtStatus.FltInstanceAltitudeCollision, other.AttachVolumeAtAltitude(volume, "0385100", "o", out _));
        Assert.Equal(NtStatus.InvalidParameter, other.AttachVolumeAtAltitude(volume, "38a", "o", out _));
        Assert.Equal(NtStatus.Success, other.AttachVolumeAtAltitude(volume, "385100.5", "o", out var o));
        Assert.Equal("385100.5", o!.Altitude.Text);
        Assert.Same(o, volume.Instances[0]);
    }

    [Fact]
    public void InstanceSetupCanRefuseAndNoManualAttachFlagRefuses()
    {
        manager.RegisterFilter(new FilterConfiguration("picky", "p", new[] { new InstanceConfiguration("p", "5", InstanceConfiguration.NoAutomaticAttach) }),
            Registration(setup: () => NtStatus.FltDoNotAttach), out var picky);
        picky!.StartFiltering();
        Assert.Equal(NtStatus.FltDoNotAttach, picky.AttachVolume(volume, null, out _));
        Assert.Empty(volume.Instances);

        manager.RegisterFilter(new FilterConfiguration("nomanual", "n", new[] { new InstanceConfiguration("n", "6", InstanceConfiguration.NoManualAttach) }), Registration(), out var nm);
        nm!.StartFiltering();   // automatic attach is allowed
        Assert.Single(volume.Instances);
        Assert.Equal(NtStatus.Success, nm.DetachVolume(volume, null));
        Assert.Equal(NtStatus.FltDoNotAttach, nm.AttachVolume(volume, null, out _));
    }

    [Fact]
    public void DetachStatuses()
    {
        manager.RegisterFilter(Minispy(), Registration(), out var spy);
        spy!.StartFiltering();
        Assert.Equal(NtStatus.FltInstanceNotFound, spy.DetachVolume(volume, null));
        spy.AttachVolume(volume, "Minispy - Bottom Instance", out _);
        spy.AttachVolume(volume, "Minispy - Top Instance", out _);
        // A null name detaches the highest instance.
        Assert.Equal(NtStatus.Success, spy.DetachVolume(volume, null));
        Assert.Equal("Minispy - Bottom Instance", volume.Instances.Single().Name);
        Assert.Equal(NtStatus.FltInstanceNotFound, spy.DetachVolume(volume, "Minispy - Top Instance"));

        manager.RegisterFilter(FilterConfiguration.Single("stuck", "7"), Registration(queryTeardown: false), out var stuck);
        stuck!.StartFiltering();
        Assert.Equal(NtStatus.FltDoNotDetach, stuck.DetachVolume(volume, null));

        bool veto = true;
        var vetoReg = Registration();
        var vetoing = new FilterRegistration
        {
            OperationRegistration = vetoReg.OperationRegistration,
            InstanceQueryTeardown = (in RelatedObjects o, InstanceTeardownFlags f) => veto ? NtStatus.FltDoNotDetach : NtStatus.Success,
        };
        manager.RegisterFilter(FilterConfiguration.Single("veto", "8"), vetoing, out var v);
        v!.StartFiltering();
        Assert.Equal(NtStatus.FltDoNotDetach, v.DetachVolume(volume, null));
        veto = false;
        Assert.Equal(NtStatus.Success, v.DetachVolume(volume, null));
    }

    [Fact]
    public void DetachAndAttachDuringTeardownSeeDeletingObject()
    {
        var log = new EventLog();
        var f = new LambdaFilter("Tear", log);
        NtStatus detachDuring = 0, attachDuring = 0;
        f.OnTeardownStart = inst =>
        {
            detachDuring = f.Filter.DetachVolume(volume, null);
            attachDuring = f.Filter.AttachVolume(volume, null, out _);
        };
        f.Register(manager, "1000");
        Assert.Equal(NtStatus.Success, manager.UnloadFilter("Tear"));
        Assert.Equal(NtStatus.FltDeletingObject, detachDuring);
        Assert.Equal(NtStatus.FltDeletingObject, attachDuring);
    }

    [Fact]
    public void TeardownCallbacksRunOnceWithTheReason()
    {
        var f = new LambdaFilter("T").Register(manager, "1000");
        Assert.Equal(NtStatus.Success, f.Filter.DetachVolume(volume, null));
        Assert.Equal((1, 1, InstanceTeardownFlags.Manual), (f.TeardownStarts, f.TeardownCompletes, f.LastTeardownReason));
        Assert.Equal(NtStatus.Success, f.Filter.AttachVolume(volume, null, out _));
        manager.RemoveVolume(volume);
        Assert.Equal((2, 2, InstanceTeardownFlags.VolumeDismount), (f.TeardownStarts, f.TeardownCompletes, f.LastTeardownReason));
        Assert.Equal(NtStatus.FltDeletingObject, f.Filter.AttachVolume(volume, null, out _));
    }

    [Fact]
    public void LookupByName()
    {
        new LambdaFilter("Named").Register(manager, "10");
        Assert.Equal(NtStatus.Success, manager.GetFilterFromName("named", out var f));
        Assert.Equal("Named", f!.Name);
        Assert.Equal(NtStatus.FltFilterNotFound, manager.GetFilterFromName("nope", out _));
        Assert.Equal(NtStatus.Success, manager.GetVolumeFromName("/mnt/test/", out var v));
        Assert.Same(volume, v);
        Assert.Equal(NtStatus.Success, manager.GetVolumeFromName(volume.Name, out _));
        Assert.Equal(NtStatus.FltVolumeNotFound, manager.GetVolumeFromName("/nowhere", out _));
        Assert.StartsWith("/dev/altitude/volume", volume.Name);
    }
}
