// The built fltmc run as its own process (dotnet fltmc.dll): with no daemon behind the control socket it prints
// the Windows listing-failed lines for 0x80070002 and exits non-zero. Needs no daemon and no root.
using System.Diagnostics;
using System.Net.Sockets;
using Altitude.TestSupport;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Altitude.Fltmc.Tests;

public sealed class FltmcProcessTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fltmc-process-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    /// <summary>artifacts/bin/fltmc/&lt;config&gt;/fltmc.dll, next to this test assembly's artifacts/bin/Altitude.Fltmc.Tests/&lt;config&gt;.</summary>
    private static string FltmcPath => Altitude.TestSupport.TestArtifacts.ProjectOutput("fltmc", "fltmc.dll");

    private static (int Exit, string[] Output, string Error) Fltmc(IDictionary<string, string?> environment, params string[] args)
    {
        var psi = new ProcessStartInfo(WorldReadableCopy.DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(FltmcPath);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment.Remove("ALTITUDE_CONTROL_SOCKET");
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var error = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "fltmc did not exit");
        return (p.ExitCode, output.Split('\n'), error.Result);
    }

    private static readonly string[] NotFound = ["", "Filter listing failed with error: 0x80070002", "The system cannot find the file specified.", ""];

    [Fact]
    public void No_socket_at_the_control_path_prints_listing_failed_0x80070002_and_exits_nonzero()
    {
        var (exit, output, error) = Fltmc(new Dictionary<string, string?>(), "--control", Path.Combine(directory, "control"));
        Assert.Equal(NotFound, output);
        Assert.Equal(1, exit);
        Assert.Equal("", error);
    }

    [Fact]
    public void A_leftover_socket_nobody_listens_on_is_the_same_error()
    {
        // A socket file bound but not listened on, like the one a killed daemon leaves behind: connect is refused.
        // (Kept open while fltmc runs: disposing a bound socket removes its file.)
        string path = Path.Combine(directory, "stale");
        using var s = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        s.Bind(new UnixDomainSocketEndPoint(path));
        Assert.True(Path.Exists(path));
        var (exit, output, _) = Fltmc(new Dictionary<string, string?>(), "--control", path);
        Assert.Equal(NotFound, output);
        Assert.NotEqual(0, exit);
    }

    [Fact]
    public void Without_control_the_socket_comes_from_ALTITUDE_CONTROL_SOCKET()
    {
        var (exit, output, _) = Fltmc(new Dictionary<string, string?> { ["ALTITUDE_CONTROL_SOCKET"] = Path.Combine(directory, "control") }, "volumes");
        Assert.Equal(["", "Volume listing failed with error: 0x80070002", "The system cannot find the file specified.", ""], output);
        Assert.NotEqual(0, exit);
    }

    [Fact]
    public void An_unknown_verb_exits_2_with_the_message_on_stderr()
    {
        var (exit, output, error) = Fltmc(new Dictionary<string, string?>(), "bogus");
        Assert.Equal(2, exit);
        Assert.Equal([""], output);
        Assert.Contains("Unrecognized command or argument 'bogus'", error);
    }
}
