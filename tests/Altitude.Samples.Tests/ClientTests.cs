// The clients outside .NET against a real fltmgrd serving a mount with the Scanner sample: clients/c built with gcc
// (its scanner and fltctl examples run as their own processes), and clients/python installed with pip into a fresh
// virtual environment and tested there with pytest. Needs gcc, make, python3 with venv, pytest and setuptools
// (.ci/run installs them).
using static Altitude.Samples.Tests.ScannerSetup;

namespace Altitude.Samples.Tests;

public sealed class ClientTests
{
    /// <summary>make in clients/c into a directory of the test's own (the checkout is only read).</summary>
    private static string BuildCClient(DaemonProcess d)
    {
        string output = Path.Combine(d.Top, "c-client");
        var make = Tool.Run("make", "-C", Path.Combine(TestArtifacts.RepositoryRoot(), "clients", "c"), "OUT=" + output);
        Assert.True(make.ExitCode == 0, "the C client must build with gcc -Wall -Wextra -Werror: " + make);
        return output;
    }

    [MountFact]
    public void TheCScannerDeniesAFoulFileAndAllowsACleanOneAndFltctlManagesTheFilter()
    {
        using var d = new DaemonProcess();
        File.WriteAllText(d.B("good.txt"), "all clean\n");
        File.WriteAllText(d.B("bad.txt"), "this is foul stuff\n");
        Configure(d);
        d.StartServing();
        string bin = BuildCClient(d);
        var env = new Dictionary<string, string> { ["ALTITUDE_PORT_DIRECTORY"] = d.PortDirectory, ["ALTITUDE_CONTROL_SOCKET"] = d.ControlSocket };
        using var scanner = ProgramProcess.Native(Path.Combine(bin, "scanner"), ["2"], env);
        scanner.WaitForOutput(l => l.StartsWith(@"Scanner: Port = \ScannerPort", StringComparison.Ordinal), "the C scanner connected");

        var good = Tool.Run("cat", d.M("good.txt"));
        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.Equal("all clean\n", good.Output);
        var bad = Tool.Run("cat", d.M("bad.txt"));
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("Permission denied", bad.Error);
        scanner.WaitForOutputCount(Is(Replied), 2, "both replies");
        Assert.Equal(2, scanner.CountOutput(Is(Received)));
        Assert.Equal(1, scanner.CountOutput(Is(Found)));
        Assert.Equal(1, scanner.CountOutput(Is(ReplyUnsafe)));
        Assert.Equal(1, scanner.CountOutput(Is(ReplySafe)));

        // The management calls from C: the listing, an unknown name, then the unload that ends the scanner's gets.
        ToolResult Ctl(params string[] args) => Tool.Run(Path.Combine(bin, "fltctl"), args, psi => psi.Environment["ALTITUDE_CONTROL_SOCKET"] = d.ControlSocket);
        var listing = Ctl("filters");
        Assert.True(listing.ExitCode == 0, listing.ToString());
        Assert.Contains("Scanner 265000", listing.Output);
        var unknown = Ctl("unload", "NoSuchFilter");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("0x801f0013", unknown.Output);
        var unload = Ctl("unload", "Scanner");
        Assert.True(unload.ExitCode == 0, unload.ToString());
        scanner.WaitForOutputCount(Is(Disconnected), 2, "both scanner threads see the port go");
        Assert.Equal(0, scanner.WaitForExit());
        Assert.Contains(AllDone, scanner.Output);
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (string dir in Directory.GetDirectories(from))
            if (Path.GetFileName(dir) is not ("build" or "__pycache__" or ".pytest_cache") && !dir.EndsWith(".egg-info", StringComparison.Ordinal))
                CopyTree(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    [MountFact]
    public void ThePythonClientInstallsWithPipAndPassesItsTestsAgainstTheDaemon()
    {
        using var d = new DaemonProcess();
        Configure(d);
        d.StartServing();
        string venv = Path.Combine(d.Top, "venv"), source = Path.Combine(d.Top, "python-client");
        // A copy: pip builds in the source directory (build/, *.egg-info), and the checkout is only read.
        CopyTree(Path.Combine(TestArtifacts.RepositoryRoot(), "clients", "python"), source);
        // Debian's python3 with its pytest and setuptools: the registries here have no PyPI, so nothing is downloaded.
        var create = Tool.Run("/usr/bin/python3", "-m", "venv", "--system-site-packages", venv);
        Assert.True(create.ExitCode == 0, "python3 -m venv (package python3-venv): " + create);
        var install = Tool.Run(Path.Combine(venv, "bin", "pip"), "install", "--no-build-isolation", "--no-index", source);
        Assert.True(install.ExitCode == 0, "pip install clients/python: " + install);
        var pytest = Tool.Run(Path.Combine(venv, "bin", "python"), ["-m", "pytest", "-q", "-p", "no:cacheprovider", Path.Combine(source, "tests")], psi =>
        {
            psi.Environment["ALTITUDE_PORT_DIRECTORY"] = d.PortDirectory;
            psi.Environment["ALTITUDE_CONTROL_SOCKET"] = d.ControlSocket;
            psi.Environment["ALTITUDE_TEST_MOUNT"] = d.MountPoint;
            psi.Environment["ALTITUDE_TEST_BACKING"] = d.Backing;
            psi.Environment["ALTITUDE_TEST_INSTALLED"] = "1";
            psi.Environment["CI"] = "true";   // a test that cannot find the daemon fails instead of skipping
            psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";   // nothing written into the checkout
        });
        Assert.True(pytest.ExitCode == 0, pytest.ToString());
        Assert.Contains("11 passed", pytest.Output);
    }
}
