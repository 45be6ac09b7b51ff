// fltmgrd as these tests start it: a process, read until its "serving" line; stopped with SIGTERM (a background
// child of a test host has SIGINT ignored), killed only if it does not exit within a minute.
using System.Diagnostics;
using System.Globalization;

namespace Altitude.Sdk.Tests;

internal sealed class ServingDaemon : IDisposable
{
    private readonly Process process;

    private ServingDaemon(Process process) => this.process = process;

    /// <summary>Starts <paramref name="file"/> <paramref name="args"/> and returns once it printed "serving".</summary>
    public static ServingDaemon Start(string file, string[] args, Action<ProcessStartInfo>? configure = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (string a in args) psi.ArgumentList.Add(a);
        configure?.Invoke(psi);
        var process = Process.Start(psi)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        var daemon = new ServingDaemon(process);
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null && !line.StartsWith("serving", StringComparison.Ordinal)) { }
        if (line is null)
        {
            daemon.Dispose();
            Assert.Fail($"{file} did not start serving");
        }
        process.StandardOutput.ReadToEndAsync();   // keep draining its output
        return daemon;
    }

    /// <summary>SIGTERM, then its exit code.</summary>
    public int Stop()
    {
        if (!process.HasExited)
        {
            Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
            if (!process.WaitForExit(60_000)) process.Kill(entireProcessTree: true);
        }
        process.WaitForExit();
        return process.ExitCode;
    }

    public void Dispose()
    {
        Stop();
        process.Dispose();
    }
}
