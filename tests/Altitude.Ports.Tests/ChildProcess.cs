// Runs tests/PortTestClient in its own process (optionally as another uid through setpriv) and always
// kills it on dispose, so a failing test leaves no process behind. As another uid it runs from a world-readable
// copy of its build output, since that uid may not be able to read the checkout (a clone under a 0700 directory).
using System.Diagnostics;
using Altitude.TestSupport;

namespace Altitude.Ports.Tests;

internal sealed class ChildProcess : IDisposable
{
    private readonly Process process;
    private readonly List<string> lines = new();
    private readonly WorldReadableCopy? copy;

    public ChildProcess(string directory, string port, uint? uid, params string[] command)
    {
        string dotnet = WorldReadableCopy.DotnetHost();
        var psi = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false };
        string client = ClientPath;
        if (uid is { } u)
        {
            // What the child needs besides its own files: the runtime and the port's socket directory.
            WorldReadableCopy.AssertReachable(dotnet, $"the dotnet host for uid {u}", execute: true);
            WorldReadableCopy.AssertReachable(directory, $"the port directory for uid {u}");
            copy = new WorldReadableCopy(Path.GetDirectoryName(ClientPath)!, "porttestclient");
            client = copy.PathOf(Path.GetFileName(ClientPath));
            psi.WorkingDirectory = copy.Directory;   // not the test's working directory, which may be in the checkout
            psi.FileName = "setpriv";
            foreach (var a in new[] { $"--reuid={u}", $"--regid={u}", "--clear-groups", "--", dotnet }) psi.ArgumentList.Add(a);
            // The runtime wants a writable home for nothing important; keep it away from root's.
            psi.Environment["HOME"] = "/tmp";
        }
        else psi.FileName = dotnet;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.ArgumentList.Add(client);
        psi.ArgumentList.Add(directory);
        psi.ArgumentList.Add(port);
        foreach (var a in command) psi.ArgumentList.Add(a);
        try
        {
            process = Process.Start(psi)!;
        }
        catch
        {
            copy?.Dispose();
            throw;
        }
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lines) { lines.Add(e.Data); Monitor.PulseAll(lines); } };
        process.BeginOutputReadLine();
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add("stderr: " + e.Data); };
        process.BeginErrorReadLine();
    }

    public int Id => process.Id;

    /// <summary>Where the build put PortTestClient.dll (next to this test assembly's configuration folder).</summary>
    public static string ClientPath => Altitude.TestSupport.TestArtifacts.ProjectOutput("PortTestClient", "PortTestClient.dll");

    /// <summary>Waits for a line starting with <paramref name="prefix"/>; fails the test with the output so far if it does not come.</summary>
    public string WaitForLine(string prefix, int milliseconds = 60_000)
    {
        var deadline = Environment.TickCount64 + milliseconds;
        lock (lines)
        {
            while (true)
            {
                foreach (var l in lines) if (l.StartsWith(prefix, StringComparison.Ordinal)) return l;
                long left = deadline - Environment.TickCount64;
                Assert.True(left > 0, $"no \"{prefix}\" line from the client; output:\n{string.Join('\n', lines)}");
                Monitor.Wait(lines, (int)Math.Min(left, 100));
            }
        }
    }

    /// <summary>Writes one line to the child's stdin (the modes that wait for the test: serve-when-told, sendphases).</summary>
    public void WriteLine(string line)
    {
        process.StandardInput.WriteLine(line);
        process.StandardInput.Flush();
    }

    /// <summary>Closes the child's stdin: "hold", "idle" and "sendphases" then end.</summary>
    public void CloseInput() => process.StandardInput.Close();

    /// <summary>Every line so far (stderr lines prefixed "stderr: "), for failure messages.</summary>
    public string Output { get { lock (lines) return string.Join('\n', lines); } }

    public void Kill() => process.Kill(entireProcessTree: true);

    public bool WaitForExit(int milliseconds) => process.WaitForExit(milliseconds);

    public void Dispose()
    {
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        process.WaitForExit(60_000);
        process.Dispose();
        copy?.Dispose();
    }
}

/// <summary>A fact that needs root (setpriv to another uid): skipped with a reason when not root, unless CI=true (then it runs and fails).</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (Libc.GetEuid() != 0 && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "Needs root to run a client as another uid (setpriv); run as root or set CI=true to force.";
    }

    public static void Require() => Assert.True(Libc.GetEuid() == 0, "This test needs root (CI=true forces it to run).");
}
