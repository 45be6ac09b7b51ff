// A daemon that is not root mounts through fusermount3 (the fd comes back over SCM_RIGHTS) and unmounts through
// it on SIGTERM. Run as uid/gid 65534 with setpriv; the programs using the mount run as that user too, because a
// FUSE mount without allow_other admits only its owner (not even root). The daemon runs from a world-readable copy of
// its build output: uid 65534 may not be able to read the checkout (a clone under a 0700 directory).
using System.Diagnostics;
using System.Globalization;
using Altitude.TestSupport;

namespace Altitude.Fuse.Tests;

public class UnprivilegedMountTests : MountTestBase
{
    private const string Nobody = OtherUser.Nobody;

    private static string AsNobody(string command) => OtherUser.Command(Nobody, command);

    [MountFact]
    public void ANonRootDaemonMountsAndUnmountsThroughFusermount3()
    {
        MountRequirement.Assert();
        Assert.True(File.Exists("/usr/bin/fusermount3") || File.Exists("/bin/fusermount3"), "fusermount3 is installed (package fuse3)");
        File.WriteAllText(B("hello"), "from the backing directory\n");
        ShOk($"chown -R {Nobody}:{Nobody} '{Top}' && chmod 755 '{Top}'");
        // fusermount3 opens /dev/fuse with the caller's rights: distributions ship it 0666; some VMs leave it 0600.
        UnixFileMode deviceMode = File.GetUnixFileMode("/dev/fuse");
        const UnixFileMode everyone = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        WorldReadableCopy.AssertReachable(WorldReadableCopy.DotnetHost(), "the dotnet host for uid " + Nobody, execute: true);
        WorldReadableCopy.AssertReachable(Top, "the test directory for uid " + Nobody);
        using var fltmgrd = new WorldReadableCopy(Path.GetDirectoryName(Path.GetFullPath(ProjectOutput("fltmgrd", "fltmgrd.dll")))!, "fltmgrd");
        File.SetUnixFileMode("/dev/fuse", deviceMode | everyone);

        var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        psi.ArgumentList.Add("-c");
        // Its own runtime directory (control endpoint, ports), writable by nobody.
        string run = Path.Combine(Top, "run");
        Directory.CreateDirectory(run);
        File.SetUnixFileMode(run, (UnixFileMode)0x1FF);
        psi.ArgumentList.Add("exec " + AsNobody($"dotnet '{fltmgrd.PathOf("fltmgrd.dll")}' --volume '{Backing}:{MountPoint}' --filter PassThrough --runtime-directory '{run}'"));
        using var daemon = Process.Start(psi)!;
        try
        {
            string? line;
            while ((line = daemon.StandardOutput.ReadLine()) is not null && !line.StartsWith("serving", StringComparison.Ordinal)) { }
            if (line is null) Assert.Fail("fltmgrd did not start: " + daemon.StandardError.ReadToEnd());

            string mountinfo = File.ReadAllText("/proc/self/mountinfo");
            Assert.Contains(" " + MountPoint + " ", mountinfo);
            Assert.Contains("user_id=" + Nobody, mountinfo);

            Assert.Equal("from the backing directory\n", ShOk(AsNobody($"cat '{M("hello")}'")));
            ShOk(AsNobody($"sh -c 'echo written > {M("new")}'"));
            Assert.Equal("written\n", File.ReadAllText(B("new")));
            Assert.Equal(Nobody, ShOk($"stat -c %u '{B("new")}'").Trim());

            Run("kill", ["-TERM", daemon.Id.ToString(CultureInfo.InvariantCulture)]);
            Assert.True(daemon.WaitForExit(60_000), "fltmgrd exits on SIGTERM");
            Assert.DoesNotContain(" " + MountPoint + " ", File.ReadAllText("/proc/self/mountinfo"));
        }
        finally
        {
            if (!daemon.HasExited) daemon.Kill(entireProcessTree: true);
            File.SetUnixFileMode("/dev/fuse", deviceMode);
        }
    }
}
