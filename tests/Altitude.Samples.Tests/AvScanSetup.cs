// The AvScan sample's pieces for a test: its shipped package (SamplePackage) and avscan as its own process, connected
// to the daemon's port directory; plus a client of the filter's ports from the test process, for the bad-input cases.
using System.Buffers.Binary;
using Altitude.FilterLib;

namespace Altitude.Samples.Tests;

internal static class AvScanSetup
{
    public const string Prompt = "press 'q' to quit: ";
    public const string Unloading = "The filter is unloading, exit!";

    /// <summary>The shipped AvScan.filter.json with <paramref name="parameters"/>; the main volume.</summary>
    public static void Configure(DaemonProcess d, string startType = "Auto", string parameters = "") =>
        SamplePackage.Configure(d, "AvScan", startType, parameters);

    /// <summary>avscan, connected (its prompt comes after both connects); <paramref name="gate"/> is AVSCAN_SCAN_GATE.</summary>
    public static ProgramProcess StartAvScan(DaemonProcess d, string? gate = null)
    {
        var env = new Dictionary<string, string> { ["ALTITUDE_PORT_DIRECTORY"] = d.PortDirectory };
        if (gate is not null) env["AVSCAN_SCAN_GATE"] = gate;
        var p = new ProgramProcess(DaemonProcess.ProjectOutput("avscan", "avscan.dll"), Array.Empty<string>(), env);
        p.WaitForOutput(l => l == Prompt, "avscan connected");
        return p;
    }

    /// <summary>A connect with a 4-byte AV_CONNECTION_CONTEXT of <paramref name="type"/>; the HRESULT.</summary>
    public static int TryConnect(DaemonProcess d, string port, uint type, out FilterPortHandle? handle)
    {
        var context = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(context, type);
        return FltLib.TryFilterConnectCommunicationPort(port, 0, context, out handle, d.PortDirectory);
    }

    /// <summary>COMMAND_MESSAGE as the filter reads it.</summary>
    public static byte[] Command(uint command, long scanId, uint result = 0)
    {
        var b = new byte[32];
        BinaryPrimitives.WriteUInt32LittleEndian(b, command);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(8), scanId);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24), result);
        return b;
    }

    /// <summary>The ScanId of avscan's line "scan ID thread T reason R" (or any "scan ID …" line).</summary>
    public static long ScanId(string line) => long.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);

    public static Func<string, bool> ScanLine(string reason) => l => l.StartsWith("scan ", StringComparison.Ordinal) && l.EndsWith(" reason " + reason, StringComparison.Ordinal);

    public static Func<string, bool> Result(long scanId, string result) => l => l.StartsWith($"scan {scanId} result {result} ", StringComparison.Ordinal);

    public static Func<string, bool> Waiting(long scanId) => l => l == $"scan {scanId} waiting";

    /// <summary>A FIFO for AVSCAN_SCAN_GATE, outside the backing tree and the mount.</summary>
    public static string MakeGate(DaemonProcess d)
    {
        string gate = Path.Combine(d.Top, "gate");
        var r = Tool.Run("mkfifo", gate);
        Assert.True(r.ExitCode == 0, r.ToString());
        return gate;
    }

    /// <summary>Lets one scan waiting at the gate go on: its open of the FIFO for reading returns once this one opens it for writing.</summary>
    public static void Release(string gate)
    {
        using var _ = new FileStream(gate, FileMode.Open, FileAccess.Write);
    }
}
