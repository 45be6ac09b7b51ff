// `fltmc volume mount` and `fltmc volume unmount` against a real fltmgrd: the new volume is listed, real programs use
// it through the filters that attach automatically (and not through an instance flagged 0x1), and after the unmount it
// is gone from the kernel's mount table and from the listing.
namespace Altitude.Daemon.Tests;

public class FltmcVolumeTests
{
    [MountFact]
    public void AVolumeMountedAtRunTimeServesThroughItsFiltersAndUnmounts()
    {
        using var d = new DaemonProcess();   // no volumes.d: nothing is mounted at start
        d.WriteFilterManifest("refusing", "Refusing", Filters.FuseTestFilter, Filters.Refusing, "385000");
        d.WriteManifest("manual", $$"""
            { "Name": "Manual", "Assembly": "{{Filters.DaemonTestFilters}}", "Class": "{{Filters.Detachable}}", "StartType": "Auto",
              "Instances": [ { "Name": "Manual Instance", "Altitude": "385100", "Flags": "0x1" } ] }
            """);
        File.WriteAllText(d.B("f"), "through the mount\n");
        File.WriteAllText(d.B(Filters.RefusedName), "only the filter keeps this from being read\n");
        d.StartServing();
        using var fltmc = new Fltmc(d.ControlSocket);
        Assert.Equal([""], fltmc.Ok("volumes"));   // no volumes: no table
        Assert.False(DaemonProcess.IsMounted(d.MountPoint));

        Assert.Equal(["", $"/dev/altitude/volume1 mounted at {d.MountPoint}"], fltmc.Ok("volume", "mount", d.Backing, d.MountPoint));
        Assert.True(DaemonProcess.IsMounted(d.MountPoint));
        var volumes = fltmc.Ok("volumes");
        Assert.Equal(4, volumes.Length);
        Assert.StartsWith(d.MountPoint + " /dev/altitude/volume1 ", volumes[3], StringComparison.Ordinal);
        // Refusing attached by itself; Manual's only instance is flagged 0x1, so it did not.
        var instances = fltmc.Ok("instances");
        Assert.Equal(4, instances.Length);
        Assert.StartsWith($"Refusing              {d.MountPoint,-37}     385000     Refusing Instance", instances[3], StringComparison.Ordinal);

        // Real programs through the new mount: ls and cat work, and the filter refuses its name.
        var ls = Tool.Run("ls", d.MountPoint);
        Assert.Equal(0, ls.ExitCode);
        Assert.Equal(["f", Filters.RefusedName], ls.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        Assert.Equal(new ToolResult(0, "through the mount\n", ""), Tool.Run("cat", d.M("f")));
        var refused = Tool.Run("cat", d.M(Filters.RefusedName));
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("Permission denied", refused.Error);

        // Unmount: silent; gone from the mount table and the listing; a second unmount finds no volume.
        Assert.Equal([""], fltmc.Ok("volume", "unmount", d.MountPoint));
        Assert.False(DaemonProcess.IsMounted(d.MountPoint));
        Assert.Equal([""], fltmc.Ok("volumes"));
        FltmcTests.AssertFails(fltmc.Run("volume", "unmount", d.MountPoint), "Unmount failed with error: 0x801f0014", "The system could not find the volume specified.");
        // The backing directory is untouched, and the daemon still answers.
        Assert.Equal("through the mount\n", File.ReadAllText(d.B("f")));
        Assert.Equal(0, d.Stop());
    }
}
