// Start and stop as systemd sees them (Type=notify): READY=1 only once the configured volumes serve, with their Auto
// filters already attached (the first request a mount serves goes through them), and STOPPING=1 when the stop begins.
namespace Altitude.Daemon.Tests;

public class StartupTests
{
    [MountFact]
    public void TheFirstRequestOnANewMountReachesTheFilters()
    {
        using var d = new DaemonProcess();
        using var notify = new NotifySocket(Path.Combine(d.Top, "notify"));
        d.WriteMainVolume();
        d.WriteFilterManifest("refusing", "Refusing", Filters.FuseTestFilter, Filters.Refusing, "385000");
        File.WriteAllText(d.B(Filters.RefusedName), "only the filter keeps this from being read\n");
        // A reader that tries the file over and over from before the start: until the mount is there it finds no such
        // file (the empty mount point below); the first time it finds the file, the filter must already refuse it. Had
        // the volume served for a moment without its filters, the reader could have read it then.
        var psi = new System.Diagnostics.ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, WorkingDirectory = "/" };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($$"""
            while :; do out=$(cat '{{d.M(Filters.RefusedName)}}' 2>&1)
              case "$out" in *"No such file"*) ;; *"Permission denied"*) echo denied; exit 0 ;; *) echo "read: $out"; exit 1 ;; esac
            done
            """);
        using var reader = System.Diagnostics.Process.Start(psi)!;
        try
        {
            d.Start(notify.Path);
            Assert.Contains("READY=1", notify.Receive());
            Assert.Equal("denied", reader.StandardOutput.ReadLine());
        }
        finally
        {
            if (!reader.HasExited) reader.Kill();
        }
        // And any later first request of a program is refused too.
        Assert.Throws<UnauthorizedAccessException>(() => File.ReadAllText(d.M(Filters.RefusedName)));
        Assert.Equal("only the filter keeps this from being read\n", File.ReadAllText(d.B(Filters.RefusedName)));
        // The log agrees: the filter was loaded before the volume was mounted.
        d.WaitForOutput(l => l.StartsWith("mounted ", StringComparison.Ordinal), "the mounted line");   // READY came on another channel
        var output = d.Output.ToList();
        int loaded = output.FindIndex(l => l.StartsWith("filter Refusing loaded", StringComparison.Ordinal));
        int mounted = output.FindIndex(l => l.StartsWith("mounted ", StringComparison.Ordinal));
        Assert.True(loaded >= 0 && mounted > loaded, d.Transcript);
        Assert.Equal(0, d.Stop());
    }

    [MountFact]
    public void ReadyComesWhenTheVolumesServeAndStoppingWhenTheStopBegins()
    {
        using var d = new DaemonProcess();
        using var notify = new NotifySocket(Path.Combine(d.Top, "notify"));
        string second = Path.Combine(d.Top, "mnt2"), secondBacking = Path.Combine(d.Top, "backing2");
        Directory.CreateDirectory(second);
        Directory.CreateDirectory(secondBacking);
        d.WriteMainVolume();
        d.WriteVolume("second", $$"""{ "Backing": "{{secondBacking}}", "MountPoint": "{{second}}" }""");
        File.WriteAllText(d.B("f"), "one\n");
        File.WriteAllText(Path.Combine(secondBacking, "g"), "two\n");
        d.Start(notify.Path);
        var ready = notify.Receive();
        Assert.Contains("READY=1", ready);
        // When READY=1 is read, both mounts are there and serve: their files read through them.
        Assert.True(DaemonProcess.IsMounted(d.MountPoint));
        Assert.True(DaemonProcess.IsMounted(second));
        Assert.Equal("one\n", File.ReadAllText(d.M("f")));
        Assert.Equal("two\n", File.ReadAllText(Path.Combine(second, "g")));
        d.Signal("TERM");
        Assert.Contains("STOPPING=1", notify.Receive());
        Assert.Equal(0, d.WaitForExit());
        Assert.False(DaemonProcess.IsMounted(d.MountPoint));
        Assert.False(DaemonProcess.IsMounted(second));
    }
}
