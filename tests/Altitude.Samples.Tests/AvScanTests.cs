// The AvScan sample end to end: fltmgrd loads samples/AvScan on a mount, avscan runs as its own process and scans
// through the section descriptors the filter hands it; cat and sh use the mount.
using System.Diagnostics;
using Altitude.FilterLib;

namespace Altitude.Samples.Tests;

public sealed class AvScanTests : IDisposable
{
    private readonly DaemonProcess daemon = new();
    private ProgramProcess? avscan;

    private void Start(IReadOnlyDictionary<string, string>? environment = null)
    {
        daemon.WriteMainVolume();
        daemon.WriteFilterManifest("avscan", "AvScan", DaemonProcess.ProjectOutput("AvScan", "AvScan.dll"), "Altitude.Samples.AvScan.AvScanFilter", "265010",
            parameters: """{ "LocalScanTimeout": 120000 }""");
        daemon.StartServing();
        var env = new Dictionary<string, string> { ["ALTITUDE_PORT_DIRECTORY"] = Path.Combine(daemon.RuntimeDirectory, "ports") };
        if (environment is not null) foreach (var kv in environment) env[kv.Key] = kv.Value;
        avscan = new ProgramProcess(DaemonProcess.ProjectOutput("avscan", "avscan.dll"), Array.Empty<string>(), env);
        avscan.WaitForOutput(l => l.StartsWith("press 'q' to quit: ", StringComparison.Ordinal), "avscan prompt");
    }

    private static (int Exit, string Error) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(ProgramProcess.TimeoutMilliseconds), $"{file} did not exit");
        return (p.ExitCode, err);
    }

    [MountFact]
    public void AnInfectedFileIsRefusedAndACleanOneOpens()
    {
        File.WriteAllText(daemon.B("infected.txt"), "some text, message to be found, more text");
        File.WriteAllText(daemon.B("clean.txt"), "nothing to see here");
        Start();
        var infected = Run("cat", daemon.M("infected.txt"));
        Assert.NotEqual(0, infected.Exit);
        Assert.Contains("Permission denied", infected.Error);   // STATUS_VIRUS_INFECTED -> EACCES
        avscan!.WaitForOutput(l => l.Contains("result Infected", StringComparison.Ordinal), "the infected verdict");
        Assert.Equal(0, Run("cat", daemon.M("clean.txt")).Exit);
        avscan.WaitForOutput(l => l.Contains("result Clean", StringComparison.Ordinal), "the clean verdict");
    }

    [MountFact]
    public void ACleanFileModifiedToCarryTheSignatureIsRefusedAtTheNextOpen()
    {
        File.WriteAllText(daemon.B("later.txt"), "clean for now");
        Start();
        Assert.Equal(0, Run("cat", daemon.M("later.txt")).Exit);
        // The write goes through; the close's cleanup scans the modified file and caches Infected.
        Assert.Equal(0, Run("sh", "-c", $"echo 'message to be found' >> '{daemon.M("later.txt")}'").Exit);
        avscan!.WaitForOutput(l => l.Contains("reason OnCleanup", StringComparison.Ordinal), "the cleanup scan");
        var again = Run("cat", daemon.M("later.txt"));
        Assert.NotEqual(0, again.Exit);
        Assert.Contains("Permission denied", again.Error);
    }

    [MountFact]
    public void AWriteDuringAScanAbortsIt()
    {
        string gate = Path.Combine(daemon.Top, "gate");
        Assert.Equal(0, Run("mkfifo", gate).Exit);
        File.WriteAllText(daemon.B("busy.txt"), "clean data");
        Start(new Dictionary<string, string> { ["AVSCAN_SCAN_GATE"] = gate });
        // The open's scan blocks in avscan (the gate); a writer through another open conflicts with it.
        var reader = Task.Run(() => Run("cat", daemon.M("busy.txt")));
        string waiting = avscan!.WaitForOutput(l => l.EndsWith(" waiting", StringComparison.Ordinal), "the scan waiting at the gate");
        string scanId = waiting.Split(' ')[1];
        // Its own open finds the scan running (no second scan); its write aborts the first one.
        var writer = Task.Run(() => Run("sh", "-c", $"echo more >> '{daemon.M("busy.txt")}'"));
        avscan.WaitForOutput(l => l.StartsWith($"abort {scanId} ", StringComparison.Ordinal), "the abort of the scan");
        using (var release = new FileStream(gate, FileMode.Open, FileAccess.Write)) { }
        avscan.WaitForOutput(l => l.StartsWith($"scan {scanId} result Undetermined", StringComparison.Ordinal), "the aborted scan's verdict");
        Assert.True(reader.Wait(ProgramProcess.TimeoutMilliseconds));
        Assert.Equal(0, reader.Result.Exit);   // Undetermined: the open goes on
        Assert.True(writer.Wait(ProgramProcess.TimeoutMilliseconds));
        Assert.Equal(0, writer.Result.Exit);   // the write went through
        Assert.Equal("clean data" + "more\n", File.ReadAllText(daemon.B("busy.txt")));
    }

    [MountFact]
    public void AConnectWithAnUnknownConnectionTypeIsRefused()
    {
        Start();
        var context = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(context, 7);
        int hr = FltLib.TryFilterConnectCommunicationPort(@"\MicrosoftAvSampleFilterQueryPort", 0, context, out var handle, Path.Combine(daemon.RuntimeDirectory, "ports"));
        handle?.Dispose();
        Assert.Equal(unchecked((int)0x80070057), hr);   // STATUS_INVALID_PARAMETER_3 -> ERROR_INVALID_PARAMETER
    }

    public void Dispose()
    {
        avscan?.Dispose();
        daemon.Dispose();
    }
}
