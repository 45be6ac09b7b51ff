// A real program (cat, sh, dd) run against the mount as its own process, in the C locale (strerror's English text):
// started at once, waited for by its exit; the bound only turns a hang into a failure.
using System.Diagnostics;

namespace Altitude.Samples.Tests;

/// <summary>What a finished program gave: exit code, standard output, standard error.</summary>
internal sealed record ToolResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Output}\nstderr: {Error}";
}

internal sealed class Tool : IDisposable
{
    private const int ExitTimeoutMilliseconds = 120_000;
    private readonly Process process;
    private readonly Task<string> output, error;
    private readonly string command;

    private Tool(string file, string[] args)
    {
        command = file + " " + string.Join(' ', args);
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        process = Process.Start(psi)!;
        output = process.StandardOutput.ReadToEndAsync();
        error = process.StandardError.ReadToEndAsync();
    }

    public static Tool Start(string file, params string[] args) => new(file, args);

    public static ToolResult Run(string file, params string[] args)
    {
        using var t = Start(file, args);
        return t.Wait();
    }

    /// <summary>sh -c SCRIPT.</summary>
    public static ToolResult Shell(string script) => Run("sh", "-c", script);

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
            process.WaitForExit();
        }
        catch (InvalidOperationException) { }
        process.Dispose();
    }
}
