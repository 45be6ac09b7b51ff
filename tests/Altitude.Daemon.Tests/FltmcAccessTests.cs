// Who may use fltmc against a real fltmgrd. fltmc runs as nobody (uid 65534) from a world-readable copy of its build
// output. Without the admin group, the control socket's descriptor does not admit it: every call is denied. In the
// admin group (fltmgrd.json's AdminGroup, a gid given to nobody with setpriv --groups) it may list, but the calls that
// need uid 0 (load, unload, attach, detach, volume mount and unmount) are denied by the endpoint itself.
namespace Altitude.Daemon.Tests;

public class FltmcAccessTests
{
    /// <summary>A gid for the admin group; only setpriv --groups gives it to nobody, whatever /etc/group says.</summary>
    private const string AdminGid = "4242";
    private const string Denied = "Access is denied.";

    [MountFact]
    public void NonRootIsDeniedAndTheAdminGroupMayListButNotManage()
    {
        using var d = new DaemonProcess();
        d.WriteSettings($$"""{ "RuntimeDirectory": "{{d.RuntimeDirectory}}", "StopTimeoutSeconds": 20, "AdminGroup": "{{AdminGid}}" }""");
        d.WriteMainVolume();
        d.WriteFilterManifest("passthrough", "PassThrough", Filters.PassThrough, Filters.PassThroughClass, "370030");
        d.WriteFilterManifest("detachable", "Detachable", Filters.DaemonTestFilters, Filters.Detachable, "385100", startType: "Demand");
        // nobody must reach the control socket whatever the umask: its directories are searchable by all (0755).
        Directory.CreateDirectory(d.RuntimeDirectory);
        foreach (string dir in new[] { d.Top, d.RuntimeDirectory }) File.SetUnixFileMode(dir, (UnixFileMode)0x1ED);
        d.StartServing();
        using var fltmc = new Fltmc(d.ControlSocket);
        string[] listing = fltmc.Ok("filters"), instances = fltmc.Ok("instances");
        Assert.Equal(4, listing.Length);   // blank, header, rule, PassThrough
        Assert.Equal(4, instances.Length);

        // Not root, not in the admin group: the connection itself is refused.
        FltmcTests.AssertFails(fltmc.RunAs(OtherUser.Nobody, null, "filters"), "Filter listing failed with error: 0x80070005", Denied);
        FltmcTests.AssertFails(fltmc.RunAs(OtherUser.Nobody, null, "load", "Detachable"), "Load failed with error: 0x80070005", Denied);

        // In the admin group: listings work, exactly as root sees them.
        var asAdmin = fltmc.RunAs(OtherUser.Nobody, AdminGid, "filters");
        Assert.True(asAdmin.ExitCode == 0, asAdmin.ToString());
        Assert.Equal(listing, asAdmin.Lines);
        Assert.Equal(instances, fltmc.RunAs(OtherUser.Nobody, AdminGid, "instances").Lines);
        // ...but what needs uid 0 is refused, and nothing happens.
        FltmcTests.AssertFails(fltmc.RunAs(OtherUser.Nobody, AdminGid, "load", "Detachable"), "Load failed with error: 0x80070005", Denied);
        FltmcTests.AssertFails(fltmc.RunAs(OtherUser.Nobody, AdminGid, "unload", "PassThrough"), "Unload failed with error: 0x80070005", Denied);
        FltmcTests.AssertFails(fltmc.RunAs(OtherUser.Nobody, AdminGid, "detach", "PassThrough", d.MountPoint), "Detach failed with error: 0x80070005", Denied);
        FltmcTests.AssertFails(fltmc.RunAs(OtherUser.Nobody, AdminGid, "attach", "PassThrough", d.MountPoint, "-a", "123456", "-i", "X"), "Attach failed with error: 0x80070005", Denied);
        FltmcTests.AssertFails(fltmc.RunAs(OtherUser.Nobody, AdminGid, "volume", "unmount", d.MountPoint), "Unmount failed with error: 0x80070005", Denied);
        string warning = d.WaitForError(l => l.Contains("FilterLoad(Detachable) from uid 65534", StringComparison.Ordinal), "the refused load logged");
        Assert.EndsWith("refused: needs uid 0", warning, StringComparison.Ordinal);

        Assert.Equal(listing, fltmc.Ok("filters"));
        Assert.Equal(instances, fltmc.Ok("instances"));
        Assert.True(DaemonProcess.IsMounted(d.MountPoint));
        Assert.Equal(0, d.Stop());
    }
}
