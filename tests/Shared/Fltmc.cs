// The built fltmc (artifacts/bin/fltmc/<config>/fltmc.dll) run as its own process against a daemon's control socket:
// as root, or as another uid through setpriv from a world-readable copy of its build output (that uid may not be able
// to read the checkout). Each run waits for fltmc's exit; the bound only turns a hang into a failure.
using System.Diagnostics;

namespace Altitude.TestSupport;

/// <summary>One fltmc run: the exit code, standard output as lines (the final newline ends the last line), standard error.</summary>
internal sealed record FltmcRun(int ExitCode, string[] Lines, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{string.Join('\n', Lines)}\nstderr:\n{Error}";
}

internal sealed class Fltmc(string controlSocket) : IDisposable
{
    private const int ExitTimeoutMilliseconds = 120_000;
    private WorldReadableCopy? copy;

    public static string Path => DaemonProcess.ProjectOutput("fltmc", "fltmc.dll");

    /// <summary>fltmc --control SOCKET ARGS as root.</summary>
    public FltmcRun Run(params string[] args) => Start([WorldReadableCopy.DotnetHost(), Path], args);

    /// <summary>fltmc --control SOCKET ARGS as <paramref name="uid"/> (gid the same), with <paramref name="groups"/> as supplementary groups or none.</summary>
    public FltmcRun RunAs(string uid, string? groups, params string[] args)
    {
        string dotnet = WorldReadableCopy.DotnetHost();
        WorldReadableCopy.AssertReachable(dotnet, $"the dotnet host for uid {uid}", execute: true);
        WorldReadableCopy.AssertReachable(System.IO.Path.GetDirectoryName(controlSocket)!, $"the control socket's directory for uid {uid}");
        copy ??= new WorldReadableCopy(System.IO.Path.GetDirectoryName(Path)!, "fltmc");
        return Start([.. OtherUser.Setpriv(uid, groups), dotnet, copy.PathOf("fltmc.dll")], args);
    }

    /// <summary>Runs and asserts exit 0; returns the output lines.</summary>
    public string[] Ok(params string[] args)
    {
        var run = Run(args);
        Assert.True(run.ExitCode == 0, $"fltmc {string.Join(' ', args)}: {run}");
        return run.Lines;
    }

    private FltmcRun Start(string[] command, string[] args)
    {
        // The working directory is not the checkout: another uid may not be able to enter it.
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        for (int i = 1; i < command.Length; i++) psi.ArgumentList.Add(command[i]);
        psi.ArgumentList.Add("--control");
        psi.ArgumentList.Add(controlSocket);
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment.Remove("ALTITUDE_CONTROL_SOCKET");
        using var p = Process.Start(psi)!;
        var error = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(ExitTimeoutMilliseconds))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"fltmc {string.Join(' ', args)} did not exit within {ExitTimeoutMilliseconds / 1000} s");
        }
        p.WaitForExit();
        string text = output.Result;
        if (text.EndsWith('\n')) text = text[..^1];
        return new FltmcRun(p.ExitCode, text.Split('\n'), error.Result);
    }

    public void Dispose() => copy?.Dispose();
}
