// A user-mode sample program (scanuser, minispy, avscan...) run as its own process: dotnet PROGRAM.dll ARGS, its standard
// output and error collected line by line, its standard input writable (command mode, 'q' to quit), stopped with SIGTERM
// and then killed in Dispose if a test failed first. Waits are on lines or on the exit, never on time; the bound only turns
// a line that never comes into a failure.
using System.Diagnostics;
using System.Globalization;

namespace Altitude.TestSupport;

internal sealed class ProgramProcess : IDisposable
{
    public const int TimeoutMilliseconds = 120_000;
    private readonly object gate = new();
    private readonly List<string> output = new(), errors = new();
    private readonly Process process;
    private readonly string name;

    /// <summary>Starts <c>dotnet <paramref name="assemblyPath"/> <paramref name="args"/></c>, with <paramref name="environment"/> added.</summary>
    public ProgramProcess(string assemblyPath, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        name = Path.GetFileNameWithoutExtension(assemblyPath);
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = "/",
        };
        psi.ArgumentList.Add(assemblyPath);
        foreach (string a in args) psi.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Add(output, e.Data);
        process.ErrorDataReceived += (_, e) => Add(errors, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process => process;
    public int Id => process.Id;
    public IReadOnlyList<string> Output { get { lock (gate) return output.ToArray(); } }
    public IReadOnlyList<string> Errors { get { lock (gate) return errors.ToArray(); } }
    public string Transcript { get { lock (gate) return $"{name} stdout:\n" + string.Join('\n', output) + "\nstderr:\n" + string.Join('\n', errors); } }

    private void Add(List<string> lines, string? line)
    {
        if (line is null) return;
        lock (gate)
        {
            lines.Add(line);
            Monitor.PulseAll(gate);
        }
    }

    /// <summary>Writes one line to the program's standard input.</summary>
    public void WriteLine(string line)
    {
        process.StandardInput.WriteLine(line);
        process.StandardInput.Flush();
    }

    public string WaitForOutput(Func<string, bool> match, string what) => WaitFor(output, match, what, 1)[0];
    public string WaitForError(Func<string, bool> match, string what) => WaitFor(errors, match, what, 1)[0];

    /// <summary>Waits until <paramref name="count"/> lines of standard output match; returns them.</summary>
    public IReadOnlyList<string> WaitForOutputCount(Func<string, bool> match, int count, string what) => WaitFor(output, match, what, count);

    /// <summary>Counts the standard output lines that match so far.</summary>
    public int CountOutput(Func<string, bool> match)
    {
        lock (gate)
        {
            int n = 0;
            foreach (string l in output) if (match(l)) n++;
            return n;
        }
    }

    private List<string> WaitFor(List<string> lines, Func<string, bool> match, string what, int count)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(TimeoutMilliseconds);
        var found = new List<string>();
        int seen = 0;
        while (true)
        {
            bool exited = process.HasExited;
            if (exited) process.WaitForExit();   // outside the lock: the rest of its output arrives first
            lock (gate)
            {
                for (; seen < lines.Count; seen++)
                    if (match(lines[seen]))
                    {
                        found.Add(lines[seen]);
                        if (found.Count == count) return found;
                    }
                if (exited) Assert.Fail($"{what}: {name} exited ({process.ExitCode}) first, {found.Count} of {count} seen\n{Transcript}");
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) Assert.Fail($"{what}: {found.Count} of {count} seen within {TimeoutMilliseconds / 1000} s\n{Transcript}");
                Monitor.Wait(gate, left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
            }
        }
    }

    /// <summary>Waits for the exit and the end of its output; returns the exit code.</summary>
    public int WaitForExit()
    {
        Assert.True(process.WaitForExit(TimeoutMilliseconds), $"{name} exits\n{Transcript}");
        process.WaitForExit();
        return process.ExitCode;
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill!.WaitForExit();
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                Signal("TERM");
                if (!process.WaitForExit(TimeoutMilliseconds)) process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
        }
        catch (InvalidOperationException) { }
        process.Dispose();
    }
}
