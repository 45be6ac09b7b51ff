// MountVolume, UnmountVolume and LoadFilter through IManagementService (what the control endpoint calls), in-process
// with fltmgrd's FilterService. The test never touches the mount (its own process serves it): it reads the engine's
// volumes and instances and /proc/self/mountinfo only.
using Altitude.Daemon.Configuration;
using Altitude.Daemon.Service;
using Microsoft.Extensions.Logging.Abstractions;

namespace Altitude.Daemon.Tests;

public class RuntimeVolumeTests : IDisposable
{
    private readonly string top = Path.Combine("/tmp", "altitude-rtvol-" + Guid.NewGuid().ToString("N")[..12]);

    [MountFact]
    public void VolumesMountAndUnmountAtRunTimeAndAttachFollowsTheInstanceFlags()
    {
        string backing = Path.Combine(top, "backing"), mountPoint = Path.Combine(top, "mnt");
        Directory.CreateDirectory(Path.Combine(top, "filters.d"));
        Directory.CreateDirectory(backing);
        Directory.CreateDirectory(mountPoint);
        File.WriteAllText(Path.Combine(top, "fltmgrd.json"), $$"""{ "RuntimeDirectory": "{{top}}/run" }""");
        // Automatic: attaches to each new volume. Manual (0x1): only when asked. Loaded after the mount: attaches to it.
        Manifest("auto", "Auto", Filters.NullFilter, "Altitude.Samples.NullFilter.NullFilter", "370020", 0);
        Manifest("manual", "Manual", Filters.DaemonTestFilters, Filters.Port, "380300", 1);
        Manifest("later", "Later", Filters.FuseTestFilter, Filters.Refusing, "385000", 0);
        var config = ConfigurationDirectory.Load(top, out var errors)!;
        Assert.Empty(errors);
        var service = new FilterService(config, DaemonArguments.Parse(["--config", top], out _)!, NullLoggerFactory.Instance);
        try
        {
            Assert.Equal(NtStatus.Success, service.LoadFilter("Auto"));
            Assert.Equal(NtStatus.Success, service.LoadFilter("Manual"));
            Assert.Equal(NtStatus.Success, service.MountVolume(backing, mountPoint, out string? name));
            Assert.True(DaemonProcess.IsMounted(mountPoint));
            Assert.Equal(NtStatus.Success, service.Manager.GetVolumeFromName(name!, out var volume));
            Assert.Equal(mountPoint, volume!.DosName);
            Assert.Equal(["Auto"], InstanceFilters(volume));
            Assert.Equal(NtStatus.Success, service.LoadFilter("Later"));
            Assert.Equal(["Auto", "Later"], InstanceFilters(volume));
            Assert.Equal(NtStatus.ObjectNameCollision, service.MountVolume(backing, mountPoint, out _));
            Assert.Equal(NtStatus.Success, service.UnmountVolume(mountPoint));
            Assert.False(DaemonProcess.IsMounted(mountPoint));
            Assert.Empty(service.Manager.Volumes);
            Assert.Equal(NtStatus.FltVolumeNotFound, service.UnmountVolume(mountPoint));
        }
        finally
        {
            if (DaemonProcess.IsMounted(mountPoint)) service.UnmountVolume(mountPoint);
            service.Manager.Dispose();
        }
    }

    private static string[] InstanceFilters(Volume volume)
    {
        var names = new List<string>();
        foreach (var i in volume.Instances) names.Add(i.Filter.Name);
        names.Sort(StringComparer.Ordinal);
        return names.ToArray();
    }

    private void Manifest(string file, string name, string assembly, string className, string altitude, uint flags) =>
        File.WriteAllText(Path.Combine(top, "filters.d", file + ".json"), $$"""
            { "Name": "{{name}}", "Assembly": "{{assembly}}", "Class": "{{className}}", "StartType": "Demand",
              "Instances": [ { "Name": "{{name}} Instance", "Altitude": "{{altitude}}", "Flags": {{flags}} } ] }
            """);

    public void Dispose()
    {
        if (DaemonProcess.IsMounted(Path.Combine(top, "mnt"))) Altitude.Fuse.FuseMount.Unmount(Path.Combine(top, "mnt"), lazy: true);
        try { Directory.Delete(top, recursive: true); }
        catch (IOException) { }
    }
}
