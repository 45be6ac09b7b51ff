// A real program (cat, sh, dd, stat) run against the mount as its own process, in the C locale (strerror's English text):
// started at once, waited for by its exit; the bound only turns a hang into a failure. Shared by the test projects that
// drive a daemon's mount.
using System.Diagnostics;

namespace Altitude.TestSupport;

/// <summary>What a finished program gave: exit code, standard output, standard error.</summary>
internal sealed record ToolResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Output}\nstderr: {Error}";
}

internal sealed class Tool : IDisposable
{
    private const int ExitTimeoutMilliseconds = TestArtifacts.ProcessTimeoutMilliseconds;
    private readonly Process process;
    private readonly Task<string> output, error;
    private readonly string command;

    private Tool(string workingDirectory, string file, IEnumerable<string> args, Action<ProcessStartInfo>? configure = null)
    {
        command = file + " " + string.Join(' ', args);
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        configure?.Invoke(psi);
        process = Process.Start(psi)!;
        output = process.StandardOutput.ReadToEndAsync();
        error = process.StandardError.ReadToEndAsync();
    }

    public static Tool Start(string file, params string[] args) => new("/", file, args);

    /// <summary>Starts <paramref name="file"/> in <paramref name="workingDirectory"/> (relative paths in the mount).</summary>
    public static Tool StartIn(string workingDirectory, string file, params string[] args) => new(workingDirectory, file, args);

    /// <summary>Runs <paramref name="file"/> from / with <paramref name="configure"/> applied to its start (environment).</summary>
    public static ToolResult Run(string file, IEnumerable<string> args, Action<ProcessStartInfo> configure)
    {
        using var t = new Tool("/", file, args, configure);
        return t.Wait();
    }

    public static ToolResult Run(string file, params string[] args)
    {
        using var t = Start(file, args);
        return t.Wait();
    }

    /// <summary>sh -c SCRIPT.</summary>
    public static ToolResult Shell(string script) => Run("sh", "-c", script);

    /// <summary>The program's standard output; fails with its standard error when it exits non-zero.</summary>
    public static string Output(string file, params string[] args)
    {
        var r = Run(file, args);
        Assert.True(r.ExitCode == 0, $"{file} {string.Join(' ', args)}: {r}");
        return r.Output;
    }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    public ToolResult Wait()
    {
        Assert.True(process.WaitForExit(ExitTimeoutMilliseconds), $"{command} exits within {ExitTimeoutMilliseconds / 1000} s");
        process.WaitForExit();
        return new ToolResult(process.ExitCode, output.Result, error.Result);
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            // Bounded: a program in a FUSE request the daemon holds cannot die until it is answered (or the mount goes).
            process.WaitForExit(ExitTimeoutMilliseconds);
        }
        catch (InvalidOperationException) { }
        process.Dispose();
    }
}
