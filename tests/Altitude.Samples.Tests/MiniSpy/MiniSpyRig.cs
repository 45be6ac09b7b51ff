// One MiniSpy scenario's processes: fltmgrd with the MiniSpy package loaded (its three instances flagged 0x1, so nothing
// attaches until asked) and a main volume, minispy runs as their own processes against its control socket and port
// directory, and shell commands run in the mount. Dispose stops minispy before the daemon (which unmounts).
using System.Text.RegularExpressions;

namespace Altitude.Samples.Tests.MiniSpy;

internal sealed partial class MiniSpyRig : IDisposable
{
    private readonly List<ProgramProcess> programs = new();

    public MiniSpyRig(uint maxRecords = 500)
    {
        MountRequirement.Assert();
        Daemon = new DaemonProcess();
        SamplePackage.Configure(Daemon, "MiniSpy", parameters: $"\"MaxRecords\": {maxRecords}");
        Daemon.StartServing();
        Fltmc = new Fltmc(Daemon.ControlSocket);
    }

    public DaemonProcess Daemon { get; }
    public Fltmc Fltmc { get; }
    public string PortDirectory => Daemon.PortDirectory;
    /// <summary>The volume's name: normalized names are this plus the path from the root.</summary>
    public const string VolumeName = "/dev/altitude/volume1";
    public static string V(string relative) => VolumeName + "/" + relative;

    /// <summary>Starts minispy with <paramref name="args"/> (its command line) against this daemon.</summary>
    public ProgramProcess StartMinispy(params string[] args)
    {
        var p = new ProgramProcess(DaemonProcess.ProjectOutput("minispy", "minispy.dll"), args, new Dictionary<string, string>
        {
            ["ALTITUDE_CONTROL_SOCKET"] = Daemon.ControlSocket,
            ["ALTITUDE_PORT_DIRECTORY"] = PortDirectory,
        });
        programs.Add(p);
        return p;
    }

    /// <summary>Runs <c>sh -c <paramref name="script"/></c> in the mount, waits for it and returns its pid.</summary>
    public int Shell(string script)
    {
        using var sh = Tool.StartIn(Daemon.MountPoint, "sh", "-c", script);
        var r = sh.Wait();
        Assert.True(r.ExitCode == 0, $"sh -c '{script}': {r}");
        return sh.Id;
    }

    public void Dispose()
    {
        foreach (var p in programs) p.Dispose();
        Fltmc.Dispose();
        Daemon.Dispose();
    }

    /// <summary>One record line of the screen output, parsed.</summary>
    public sealed record ScreenRecord(string Kind, uint Sequence, string PreTime, string PostTime, ulong ProcessId, ulong ThreadId,
        string Major, string IrpFlags, string Letters, string Status, ulong Information, ulong[] Args, string Name);

    /// <summary>
    /// The x64 screen line of ScreenDump: kind, %08X sequence, two HH:MM:SS:mmm times, %8Ix.%-4Ix, the major in 35 columns,
    /// %08lx IrpFlags and NPSY letters, three %p objects, %08lx:%p status and information, 1:..5:%p 6:%08I64x, name.
    /// </summary>
    [GeneratedRegex(@"^(IRP|FIO|FSF|ERR) ([0-9A-F]{8}) (\d\d:\d\d:\d\d:\d\d\d) (\d\d:\d\d:\d\d:\d\d\d) ([ 0-9a-f]{8})\.([0-9a-f ]{4,}) (\S.{34}) ([0-9a-f]{8}) ([N-][P-][S-][Y-]) ([0-9A-F]{16}) ([0-9A-F]{16}) ([0-9A-F]{16}) ([0-9a-f]{8}):([0-9A-F]{16}) 1:([0-9A-F]{16}) 2:([0-9A-F]{16}) 3:([0-9A-F]{16}) 4:([0-9A-F]{16}) 5:([0-9A-F]{16}) 6:([0-9a-f]{8,16}) (.*)$")]
    private static partial Regex ScreenLine();

    public static ScreenRecord? ParseScreen(string line)
    {
        var m = ScreenLine().Match(line);
        if (!m.Success) return null;
        ulong H(int g) => Convert.ToUInt64(m.Groups[g].Value.Trim(), 16);
        return new ScreenRecord(m.Groups[1].Value, (uint)H(2), m.Groups[3].Value, m.Groups[4].Value, H(5), H(6), m.Groups[7].Value.TrimEnd(),
            m.Groups[8].Value, m.Groups[9].Value, m.Groups[13].Value, H(14), [H(15), H(16), H(17), H(18), H(19), H(20)], m.Groups[21].Value);
    }

    public static List<ScreenRecord> Records(IEnumerable<string> lines)
    {
        var list = new List<ScreenRecord>();
        foreach (string l in lines)
            if (ParseScreen(l) is { } r) list.Add(r);
        return list;
    }

    public static bool IsRecord(string line, string major, string name) =>
        ParseScreen(line) is { } r && r.Major == major && r.Name == name;
}
