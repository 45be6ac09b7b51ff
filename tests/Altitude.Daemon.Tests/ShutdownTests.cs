// The stop ends within its bound even when a filter's callback never returns: the process exits, the mount is gone,
// and the request stuck in the filter ends with the connection.
using System.Diagnostics;

namespace Altitude.Daemon.Tests;

public class ShutdownTests
{
    [MountFact]
    public void StopWithAHungFilterStillExitsAndUnmounts()
    {
        using var d = new DaemonProcess();
        d.WriteSettings($$"""{ "RuntimeDirectory": "{{Path.Combine(d.Top, "run")}}", "StopTimeoutSeconds": 4 }""");
        d.WriteMainVolume();
        d.WriteFilterManifest("hanging", "Hanging", Filters.DaemonTestFilters, Filters.Hanging, "380000");
        File.WriteAllText(d.B(Filters.HangingName), "never read\n");
        d.StartServing();
        var psi = new ProcessStartInfo("cat") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        psi.ArgumentList.Add(d.M(Filters.HangingName));
        using var stuck = Process.Start(psi)!;
        try
        {
            d.WaitForOutput(l => l == "Hanging: pre-create blocked for good", "the filter's callback is stuck");
            Assert.Equal(0, d.Stop());
            Assert.False(DaemonProcess.IsMounted(d.MountPoint), "the mount is gone");
            // What hung was left behind, and said so.
            Assert.Contains("stopped, leaving behind what did not finish in time", d.Output);
            Assert.True(stuck.WaitForExit(DaemonProcess.StartTimeoutMilliseconds), "the stuck open ends with the daemon");
            Assert.NotEqual(0, stuck.ExitCode);
        }
        finally
        {
            if (!stuck.HasExited) stuck.Kill();
        }
    }
}
