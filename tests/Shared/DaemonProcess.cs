// The daemon fixture: a temporary configuration directory (fltmgrd.json, volumes.d, filters.d), fltmgrd started from it as
// a separate process (dotnet fltmgrd.dll --config DIR) with its output collected line by line, stopped with SIGTERM (also
// in Dispose when a test failed first), and every mount point under the temporary directory unmounted in Dispose whatever
// happened.
using System.Diagnostics;
using Altitude.Fuse;

namespace Altitude.TestSupport;

internal sealed class DaemonProcess : IDisposable
{
    public const int StartTimeoutMilliseconds = TestArtifacts.ProcessTimeoutMilliseconds;
    private readonly ProcessOutput lines = new("fltmgrd", StartTimeoutMilliseconds);
    private Process? process;

    public DaemonProcess()
    {
        Top = Path.Combine("/tmp", "altitude-daemon-" + Guid.NewGuid().ToString("N")[..12]);
        ConfigDirectory = Path.Combine(Top, "config");
        Directory.CreateDirectory(Path.Combine(ConfigDirectory, "volumes.d"));
        Directory.CreateDirectory(Path.Combine(ConfigDirectory, "filters.d"));
        Backing = Path.Combine(Top, "backing");
        MountPoint = Path.Combine(Top, "mnt");
        Directory.CreateDirectory(Backing);
        Directory.CreateDirectory(MountPoint);
        // Ports and the control socket under the test's directory, never the machine's /run/altitude.
        WriteSettings($$"""{ "RuntimeDirectory": "{{RuntimeDirectory}}", "StopTimeoutSeconds": 20 }""");
    }

    /// <summary>The daemon's RuntimeDirectory (as the default settings say): the control socket and the ports.</summary>
    public string RuntimeDirectory => Path.Combine(Top, "run");
    /// <summary>The control endpoint, RuntimeDirectory/control (what fltmc --control takes).</summary>
    public string ControlSocket => Path.Combine(RuntimeDirectory, "control");
    /// <summary>The ports' sockets, RuntimeDirectory/ports (a port client's portDirectory, $ALTITUDE_PORT_DIRECTORY).</summary>
    public string PortDirectory => Path.Combine(RuntimeDirectory, "ports");

    public string Top { get; }
    public string ConfigDirectory { get; }
    public string Backing { get; }
    public string MountPoint { get; }
    public Process Process => process ?? throw new InvalidOperationException("not started");

    public string M(string relative) => Path.Combine(MountPoint, relative);
    public string B(string relative) => Path.Combine(Backing, relative);

    public string WriteSettings(string json) => Write(SettingsPath, json);
    public string SettingsPath => Path.Combine(ConfigDirectory, "fltmgrd.json");
    public string WriteVolume(string name, string json) => Write(Path.Combine(ConfigDirectory, "volumes.d", name + ".json"), json);
    public string WriteManifest(string name, string json) => Write(Path.Combine(ConfigDirectory, "filters.d", name + ".json"), json);

    /// <summary>volumes.d/main.json: Backing at MountPoint, with optional extra keys of the Options section.</summary>
    public string WriteMainVolume(string options = "") =>
        WriteVolume("main", $$"""{ "Backing": "{{Backing}}", "MountPoint": "{{MountPoint}}", "Options": { {{options}} } }""");

    /// <summary>A manifest for one class of a test filter assembly, started at daemon start unless told otherwise.</summary>
    public string WriteFilterManifest(string file, string name, string assembly, string className, string altitude, string startType = "Auto", string parameters = "{}") =>
        WriteManifest(file, $$"""
            {
              "Name": "{{name}}", "Assembly": "{{assembly}}", "Class": "{{className}}", "StartType": "{{startType}}",
              "Instances": [ { "Name": "{{name}} Instance", "Altitude": "{{altitude}}" } ],
              "Parameters": {{parameters}}
            }
            """);

    private static string Write(string path, string text)
    {
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Starts fltmgrd --config DIR (plus <paramref name="extraArgs"/>), with NOTIFY_SOCKET when given.</summary>
    public void Start(string? notifySocket = null, params string[] extraArgs)
    {
        lines.Clear();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        psi.ArgumentList.Add(ProjectOutput("fltmgrd", "fltmgrd.dll"));
        psi.ArgumentList.Add("--config");
        psi.ArgumentList.Add(ConfigDirectory);
        foreach (string a in extraArgs) psi.ArgumentList.Add(a);
        psi.Environment.Remove("JOURNAL_STREAM");   // plain lines, whatever runs the tests
        if (notifySocket is null) psi.Environment.Remove("NOTIFY_SOCKET");
        else psi.Environment["NOTIFY_SOCKET"] = notifySocket;
        var p = new Process { StartInfo = psi };
        lines.Attach(p);
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        process = p;
    }

    /// <summary>Starts and waits for the "serving" line (the mounts are up then).</summary>
    public void StartServing(params string[] extraArgs)
    {
        Start(null, extraArgs);
        WaitForOutput(l => l.StartsWith("serving", StringComparison.Ordinal), "fltmgrd serving");
    }

    public IReadOnlyList<string> Output => lines.Output;
    public IReadOnlyList<string> Errors => lines.Errors;
    public string Transcript => lines.Transcript;

    public string WaitForOutput(Func<string, bool> match, string what) => lines.WaitForOutput(process, match, what)[0];
    public string WaitForError(Func<string, bool> match, string what) => lines.WaitForError(process, match, what)[0];

    /// <summary>SIGTERM, then waits for the exit (and the end of its output); returns the exit code.</summary>
    public int Stop()
    {
        Signal("TERM");
        return WaitForExit();
    }

    public int WaitForExit() => lines.WaitForExit(Process);

    public void Signal(string signal) => ProcessOutput.Signal(Process, signal);

    public static bool IsMounted(string mountPoint) => TestArtifacts.IsMounted(mountPoint);

    public static string ProjectOutput(string project, string file) => TestArtifacts.ProjectOutput(project, file);

    public void Dispose()
    {
        // A test that failed before its stop: SIGTERM first (the daemon unmounts and unloads), SIGKILL only if that stop
        // does not end within the bound (20 s configured; this waits longer).
        lines.Terminate(process);
        // Whatever the test did: nothing stays mounted under the test's directory (the topmost mount first).
        var mounts = new List<string>();
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            string[] f = line.Split(' ');
            if (f.Length > 4 && f[4].StartsWith(Top + "/", StringComparison.Ordinal)) mounts.Add(f[4]);
        }
        for (int i = mounts.Count - 1; i >= 0; i--) FuseMount.Unmount(mounts[i], lazy: true);
        try { Directory.Delete(Top, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
