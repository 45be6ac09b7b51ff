// The built fltmc (artifacts/bin/fltmc/<config>/fltmc.dll) run as its own process against a daemon's control socket:
// as root, or as another uid through setpriv from a world-readable copy of its build output (that uid may not be able
// to read the checkout). Each run waits for fltmc's exit; the bound only turns a hang into a failure.

namespace Altitude.TestSupport;

/// <summary>One fltmc run: the exit code, standard output as lines (the final newline ends the last line), standard error.</summary>
internal sealed record FltmcRun(int ExitCode, string[] Lines, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{string.Join('\n', Lines)}\nstderr:\n{Error}";
}

internal sealed class Fltmc(string controlSocket) : IDisposable
{
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
        // The working directory is not the checkout (Tool runs from /): another uid may not be able to enter it.
        var r = Tool.Run(command[0], [.. command[1..], "--control", controlSocket, .. args], psi =>
        {
            psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            psi.Environment.Remove("ALTITUDE_CONTROL_SOCKET");
        });
        string text = r.Output;
        if (text.EndsWith('\n')) text = text[..^1];
        return new FltmcRun(r.ExitCode, text.Split('\n'), r.Error);
    }

    public void Dispose() => copy?.Dispose();
}
