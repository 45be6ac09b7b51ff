// A user-mode sample program (scanuser, minispy, avscan...) run as its own process: dotnet PROGRAM.dll ARGS, its standard
// output and error collected line by line, its standard input writable (command mode, 'q' to quit), stopped with SIGTERM
// and then killed in Dispose if a test failed first. Waits are on lines or on the exit, never on time; the bound only turns
// a line that never comes into a failure.
using System.Diagnostics;

namespace Altitude.TestSupport;

internal sealed class ProgramProcess : IDisposable
{
    public const int TimeoutMilliseconds = TestArtifacts.ProcessTimeoutMilliseconds;
    private readonly ProcessOutput lines;
    private readonly Process process;
    private readonly string name;

    /// <summary>Starts <c>dotnet <paramref name="assemblyPath"/> <paramref name="args"/></c>, with <paramref name="environment"/> added.</summary>
    public ProgramProcess(string assemblyPath, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
        : this("dotnet", new[] { assemblyPath }.Concat(args), environment, Path.GetFileNameWithoutExtension(assemblyPath)) { }

    /// <summary>Starts a native program (a C client) itself, with <paramref name="environment"/> added.</summary>
    public static ProgramProcess Native(string path, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null) =>
        new(path, args, environment, Path.GetFileName(path));

    private ProgramProcess(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment, string name)
    {
        this.name = name;
        lines = new ProcessOutput(name, TimeoutMilliseconds);
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = "/",
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        process = new Process { StartInfo = psi };
        lines.Attach(process);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process => process;
    public int Id => process.Id;
    public IReadOnlyList<string> Output => lines.Output;
    public IReadOnlyList<string> Errors => lines.Errors;
    public string Transcript => lines.Transcript;

    /// <summary>Writes one line to the program's standard input.</summary>
    public void WriteLine(string line)
    {
        process.StandardInput.WriteLine(line);
        process.StandardInput.Flush();
    }

    public string WaitForOutput(Func<string, bool> match, string what) => lines.WaitForOutput(process, match, what)[0];
    public string WaitForError(Func<string, bool> match, string what) => lines.WaitForError(process, match, what)[0];

    /// <summary>Waits until <paramref name="count"/> lines of standard output match; returns them.</summary>
    public IReadOnlyList<string> WaitForOutputCount(Func<string, bool> match, int count, string what) => lines.WaitForOutput(process, match, what, count);

    /// <summary>Counts the standard output lines that match so far.</summary>
    public int CountOutput(Func<string, bool> match) => lines.CountOutput(match);

    /// <summary>Waits for the exit and the end of its output; returns the exit code.</summary>
    public int WaitForExit() => lines.WaitForExit(process);

    public void Signal(string signal) => ProcessOutput.Signal(process, signal);

    public void Dispose() => lines.Terminate(process);
}
