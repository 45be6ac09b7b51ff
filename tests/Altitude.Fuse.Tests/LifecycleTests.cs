// Lifecycle: unmount with files open, SIGKILL of the serving process and recovery at its next start, two volumes
// at once in one fltmgrd, and unmount on SIGTERM. The daemon runs as a child process killed in teardown.
using System.Diagnostics;

namespace Altitude.Fuse.Tests;

public class LifecycleTests : MountTestBase
{
    private readonly List<Process> daemons = [];

    private Process StartDaemon(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        psi.ArgumentList.Add(ProjectOutput("fltmgrd", "fltmgrd.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        // Its own control endpoint and ports: other tests' daemons may run at the same time.
        psi.ArgumentList.Add("--runtime-directory");
        psi.ArgumentList.Add(Path.Combine(Top, "run"));
        var p = Process.Start(psi)!;
        daemons.Add(p);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            string? line = p.StandardOutput.ReadLine();
            if (line is null) break;
            if (line.StartsWith("serving", StringComparison.Ordinal)) return p;
        }
        throw new InvalidOperationException("fltmgrd did not start: " + p.StandardError.ReadToEnd());
    }

    private static bool IsMounted(string mountPoint) => TestArtifacts.IsMounted(mountPoint);

    [MountFact]
    public void UnmountWithFilesOpen()
    {
        File.WriteAllText(B("held"), "held");
        var v = Mount();
        // The holder opens the file, says so, and reads it only when told to (a line on its standard input).
        var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"exec 3<{M("held")} && echo opened && read -r _ && cat <&3");
        using var holder = Process.Start(psi)!;
        try
        {
            Assert.Equal("opened", holder.StandardOutput.ReadLine());
            // EBUSY → lazy detach; the open file is served until it closes. The unmount waits for the session without
            // a deadline, so nothing but the last close can end it (FuseVolume.Unmount would abort it after 10 s).
            var unmount = Task.Run(() => v.Server.Unmount(Timeout.InfiniteTimeSpan));
            WaitUntil(() => !IsMounted(MountPoint) || unmount.IsCompleted, "the mount point is detached");
            Assert.False(IsMounted(MountPoint));
            Assert.False(unmount.IsCompleted, "the session outlives the detach while a file is open");
            Assert.True(v.Server.IsRunning);
            holder.StandardInput.WriteLine("go");
            holder.StandardInput.Close();
            Assert.Equal("held", holder.StandardOutput.ReadToEnd());   // served after the detach
            Assert.True(holder.WaitForExit(60_000));
            Assert.Equal(0, holder.ExitCode);
            // The holder's exit closed the last file: that, not an abort, ends the session.
            Assert.True(unmount.Wait(60_000), "the session ended when the last file closed");
            Assert.False(v.Server.IsRunning);
            v.Unmount();   // the rest of the volume's teardown (it leaves the Filter Manager)
        }
        finally
        {
            if (!holder.HasExited) holder.Kill();
        }
    }

    [MountFact]
    public void SigkillLeavesADeadMountThatTheNextStartRecovers()
    {
        MountRequirement.Assert();
        File.WriteAllText(B("f"), "survives\n");
        string volume = $"{Backing}:{MountPoint}";
        var first = StartDaemon("--volume", volume);
        Assert.Equal("survives\n", ShOk($"cat {M("f")}"));
        first.Kill();   // SIGKILL
        first.WaitForExit();
        var dead = Sh($"stat {MountPoint}");
        Assert.Contains("not connected", dead.Err);
        var second = StartDaemon("--volume", volume);
        Assert.Equal("survives\n", ShOk($"cat {M("f")}"));
        Run("kill", ["-TERM", second.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(second.WaitForExit(60_000));
        Assert.Equal(0, second.ExitCode);
        Assert.False(IsMounted(MountPoint));
    }

    [MountFact]
    public void TwoVolumesAtOnceAndSigtermUnmountsBoth()
    {
        MountRequirement.Assert();
        string b2 = Path.Combine(Top, "backing2"), m2 = Path.Combine(Top, "mnt2");
        Directory.CreateDirectory(b2);
        Directory.CreateDirectory(m2);
        var d = StartDaemon("--volume", $"{Backing}:{MountPoint}", "--volume", $"{b2}:{m2}", "--filter", "PassThrough");
        ShOk($"echo one > {M("a")} && echo two > {m2}/b && cp {M("a")} {m2}/a");
        Assert.Equal("one\n", File.ReadAllText(Path.Combine(b2, "a")));
        Assert.Equal("two\n", File.ReadAllText(Path.Combine(b2, "b")));
        Run("kill", ["-TERM", d.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(d.WaitForExit(60_000));
        Assert.Equal(0, d.ExitCode);
        Assert.False(IsMounted(MountPoint));
        Assert.False(IsMounted(m2));
    }

    [MountFact]
    public void InPlaceMountOverTheBackingDirectory()
    {
        File.WriteAllText(B("inplace"), "before\n");
        Volume?.Dispose();
        using var v = FuseVolume.Mount(Manager, Backing, Backing);
        Assert.Equal("before\n", ShOk($"cat {B("inplace")}"));   // through the mount now
        ShOk($"echo after > {B("inplace")}");
        v.Unmount();
        Assert.Equal("after\n", File.ReadAllText(B("inplace")));
    }

    public override void Dispose()
    {
        foreach (var p in daemons)
        {
            try { if (!p.HasExited) { p.Kill(); p.WaitForExit(); } } catch (InvalidOperationException) { }
            p.Dispose();
        }
        foreach (var mp in new[] { MountPoint, Path.Combine(Top, "mnt2"), Backing })
            if (IsMounted(mp)) FuseMount.Unmount(mp, lazy: true);
        base.Dispose();
    }
}
