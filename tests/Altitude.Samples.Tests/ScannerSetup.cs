// The Scanner sample's pieces for a test: its package in the daemon's filters.d (SamplePackage), the main volume, and
// scanuser as its own process with ALTITUDE_PORT_DIRECTORY pointing at the daemon's port directory.
namespace Altitude.Samples.Tests;

internal static class ScannerSetup
{
    public const string Received = "Received message, size 1048";
    public const string Found = "Found a string";
    public const string ReplyUnsafe = "Replying message, SafeToOpen: 0";
    public const string ReplySafe = "Replying message, SafeToOpen: 1";
    public const string Replied = "Replied message";
    public const string Disconnected = "Scanner: Port is disconnected, probably due to scanner filter unloading.";
    public const string AllDone = "Scanner:  All done. Result = 0x00000000";

    public static string ScanUser => DaemonProcess.ProjectOutput("scanuser", "scanuser.dll");

    /// <summary>The shipped Scanner.filter.json with <paramref name="startType"/> and <paramref name="parameters"/>; the main volume.</summary>
    public static void Configure(DaemonProcess d, string startType = "Auto", string parameters = "") =>
        SamplePackage.Configure(d, "Scanner", startType, parameters);

    /// <summary>scanuser ARGS, connected: waits for its line that says every get is posted.</summary>
    public static ProgramProcess StartScanUser(DaemonProcess d, bool replies = true, params string[] args)
    {
        var p = Start(d.PortDirectory, replies, args);
        p.WaitForOutput(l => l.StartsWith(@"Scanner: Port = \ScannerPort", StringComparison.Ordinal), "scanuser connected");
        return p;
    }

    /// <summary>scanuser ARGS as it starts, connected or not.</summary>
    public static ProgramProcess Start(string portDirectory, bool replies, params string[] args)
    {
        var env = new Dictionary<string, string> { ["ALTITUDE_PORT_DIRECTORY"] = portDirectory };
        if (!replies) env["ALTITUDE_SCANUSER_NO_REPLY"] = "1";
        return new ProgramProcess(ScanUser, args, env);
    }

    public static Func<string, bool> Is(string line) => l => l == line;
}
