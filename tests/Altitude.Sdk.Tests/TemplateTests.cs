// The template as a new user meets it: installed from the built package into a clean dotnet home, a project made in
// a temporary directory outside the repository, its tests run with plain `dotnet test`, and the filter it builds
// (against the SDK package) loaded into a running fltmgrd with `fltmc load`, then seen at work on the mount.
using System.Diagnostics;

namespace Altitude.Sdk.Tests;

[Collection("packages")]
public sealed class TemplateTests(PackageFixture packages)
{
    private const string Name = "Guard";

    /// <summary>Installs the template and makes the project once per run (the tests share it); returns its directory and dotnet new's output.</summary>
    private (string Directory, string NewOutput) Generate()
    {
        string directory = Path.Combine(packages.Top, Name);
        string log = Path.Combine(packages.Top, "new.log");
        if (File.Exists(log)) return (directory, File.ReadAllText(log));
        Assert.True(packages.PackExit == 0, packages.PackOutput);
        var install = packages.Dotnet(packages.Top, "new", "install", packages.Package("Altitude.Templates"));
        Assert.True(install.Exit == 0, install.Output);
        var made = packages.Dotnet(packages.Top, "new", "altitude-minifilter", "-n", Name, "-o", directory, "--altitude", "370500");
        Assert.True(made.Exit == 0, made.Output);
        packages.WriteNugetConfig(directory);
        File.WriteAllText(log, made.Output);
        return (directory, made.Output);
    }

    [Fact]
    public void TheGeneratedProjectPassesItsTestsOutOfTheBoxAndSaysHowToLoadIt()
    {
        var (directory, output) = Generate();
        Assert.Contains("fltmc load", output);   // dotnet new prints how to load it at the end
        Assert.True(File.Exists(Path.Combine(directory, Name, Name + ".filter.json")));
        Assert.Contains("\"370500\"", File.ReadAllText(Path.Combine(directory, Name, Name + ".filter.json")));
        var test = packages.Dotnet(directory, "test");
        Assert.True(test.Exit == 0, test.Output);
        Assert.Contains("Passed!", test.Output);
        Assert.Contains("Passed:     3", test.Output);
    }

    [MountFact]
    public void TheGeneratedFilterLoadsIntoARunningFltmgrdWithFltmcLoadAndDeniesItsBlockedNames()
    {
        var (directory, _) = Generate();
        var build = packages.Dotnet(directory, "build");
        Assert.True(build.Exit == 0, build.Output);
        string output = Path.Combine(directory, Name, "bin", "Debug", "net10.0");
        // Built against the SDK package (not this repository's project): its deps file names the package. A library's
        // package references are not copied beside it; fltmgrd gives the filter the daemon's own copy of the contract.
        Assert.Contains($"\"Altitude.FilterManager/{packages.Version}\"", File.ReadAllText(Path.Combine(output, Name + ".deps.json")));

        string config = Path.Combine(packages.Top, "config"), run = Path.Combine(packages.Top, "run");
        string backing = Path.Combine(packages.Top, "backing"), mount = Path.Combine(packages.Top, "mnt");
        foreach (string d in new[] { Path.Combine(config, "filters.d"), Path.Combine(config, "volumes.d"), backing, mount }) Directory.CreateDirectory(d);
        File.WriteAllText(Path.Combine(config, "fltmgrd.json"), $$"""{ "RuntimeDirectory": "{{run}}" }""");
        File.WriteAllText(Path.Combine(config, "volumes.d", "test.json"), $$"""{ "Backing": "{{backing}}", "MountPoint": "{{mount}}" }""");
        // The installable manifest the build wrote (its Assembly is the full path), dropped into filters.d.
        File.Copy(Path.Combine(output, Name + ".install.json"), Path.Combine(config, "filters.d", Name + ".json"));
        File.WriteAllText(Path.Combine(backing, "plan.blocked"), "secret\n");
        File.WriteAllText(Path.Combine(backing, "plan.txt"), "public\n");

        using (var daemon = ServingDaemon.Start("dotnet", [TestArtifacts.ProjectOutput("fltmgrd", "fltmgrd.dll"), "--config", config]))
        {
            string control = Path.Combine(run, "control");
            // Demand start: nothing denies the blocked name until the filter is loaded.
            Assert.Equal("secret\n", File.ReadAllText(Path.Combine(mount, "plan.blocked")));
            var load = Fltmc(control, "load", Name);
            Assert.True(load.Exit == 0, load.Output);
            var filters = Fltmc(control, "filters");
            Assert.Contains(Name, filters.Output);
            Assert.Throws<UnauthorizedAccessException>(() => File.ReadAllText(Path.Combine(mount, "plan.blocked")));
            Assert.Equal("public\n", File.ReadAllText(Path.Combine(mount, "plan.txt")));
            var unload = Fltmc(control, "unload", Name);
            Assert.True(unload.Exit == 0, unload.Output);
            Assert.Equal("secret\n", File.ReadAllText(Path.Combine(mount, "plan.blocked")));
            Assert.Equal(0, daemon.Stop());
        }
        Assert.False(TestArtifacts.IsMounted(mount));
    }

    private static (int Exit, string Output) Fltmc(string control, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        psi.ArgumentList.Add(TestArtifacts.ProjectOutput("fltmc", "fltmc.dll"));
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--control");
        psi.ArgumentList.Add(control);
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(TestArtifacts.ProcessTimeoutMilliseconds), "fltmc " + string.Join(' ', args));
        return (p.ExitCode, stdout + stderr);
    }
}
