// The Debian package as an administrator meets it: dist/deb/build-deb.sh builds it, dpkg installs it into a scratch
// root (maintainer scripts without chroot, honouring DPKG_ROOT), the installed fltmgrd serves a real mount from a
// temporary configuration, the installed fltmc talks to it, and dpkg removes the package again.

namespace Altitude.Sdk.Tests;

[Collection("packages")]
public sealed class DebianPackageTests(PackageFixture packages)
{
    private static (int Exit, string Output, string Stdout) Run(string file, params string[] args) => PackageFixture.Run(file, "/", args);

    [MountFact]
    public void ThePackageBuildsInstallsIntoAScratchRootAndItsDaemonServesAMount()
    {
        string top = Path.Combine(packages.Top, "deb");
        Directory.CreateDirectory(top);
        var build = Run("bash", Path.Combine(packages.RepositoryRoot, "dist", "deb", "build-deb.sh"), Path.Combine(top, "out"));
        Assert.True(build.Exit == 0, build.Output);
        string deb = build.Stdout.TrimEnd().Split('\n')[^1];
        Assert.Equal($"altitude_{packages.Version}_amd64.deb", Path.GetFileName(deb));

        var info = Run("dpkg-deb", "--field", deb, "Package", "Version", "Depends");
        Assert.Contains("Package: altitude", info.Output);
        Assert.Contains($"Version: {packages.Version}", info.Output);
        Assert.Contains("fuse3", info.Output);
        var contents = Run("dpkg-deb", "--contents", deb).Output;
        foreach (string path in new[] { "./usr/lib/altitude/fltmgrd", "./usr/lib/altitude/fltmc", "./usr/bin/fltmgrd -> ../lib/altitude/fltmgrd",
            "./lib/systemd/system/fltmgrd.service", "./etc/altitude/fltmgrd.json", "./etc/altitude/filters.d/passthrough.json" })
            Assert.Contains(path, contents);
        Assert.Contains("root/root", contents);   // owned by root whoever built it
        var conffiles = Run("dpkg-deb", "--info", deb, "conffiles");
        Assert.Contains("/etc/altitude/fltmgrd.json", conffiles.Output);
        Assert.Contains("/etc/altitude/filters.d/passthrough.json", conffiles.Output);

        // Install into a scratch root: a dpkg database of its own, scripts run outside a chroot with DPKG_ROOT set.
        string root = Path.Combine(top, "root");
        foreach (string d in new[] { "var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers" }) Directory.CreateDirectory(Path.Combine(root, d));
        File.WriteAllText(Path.Combine(root, "var/lib/dpkg/status"), "");
        var install = Run("dpkg", "--root=" + root, "--force-script-chrootless", "--force-depends", "--log=/dev/null", "-i", deb);
        Assert.True(install.Exit == 0, install.Output);
        string unit = File.ReadAllText(Path.Combine(root, "lib/systemd/system/fltmgrd.service"));
        Assert.Contains("ExecStart=/usr/lib/altitude/fltmgrd --config /etc/altitude", unit);
        Assert.Contains("Type=notify", unit);
        var listed = Run("dpkg", "--root=" + root, "-L", "altitude");
        Assert.Contains("/etc/altitude/fltmgrd.json", listed.Output);

        // The installed daemon, against a temporary configuration (the installed one has no volume), with the
        // installed PassThrough manifest: it is self-contained, so nothing from this checkout or SDK is used.
        string config = Path.Combine(top, "config"), run = Path.Combine(top, "run"), backing = Path.Combine(top, "backing"), mount = Path.Combine(top, "mnt");
        foreach (string d in new[] { Path.Combine(config, "filters.d"), Path.Combine(config, "volumes.d"), backing, mount }) Directory.CreateDirectory(d);
        File.WriteAllText(Path.Combine(config, "fltmgrd.json"), $$"""{ "RuntimeDirectory": "{{run}}" }""");
        File.WriteAllText(Path.Combine(config, "volumes.d", "test.json"), $$"""{ "Backing": "{{backing}}", "MountPoint": "{{mount}}" }""");
        File.WriteAllText(Path.Combine(config, "filters.d", "passthrough.json"),
            File.ReadAllText(Path.Combine(root, "etc/altitude/filters.d/passthrough.json")).Replace("/usr/lib/altitude/", Path.Combine(root, "usr/lib/altitude") + "/"));
        File.WriteAllText(Path.Combine(backing, "hello.txt"), "from the installed daemon\n");
        // Self-contained: it must not need DOTNET_ROOT.
        using (var daemon = ServingDaemon.Start(Path.Combine(root, "usr/bin/fltmgrd"), ["--config", config], psi => psi.Environment.Remove("DOTNET_ROOT")))
        {
            Assert.Equal("from the installed daemon\n", File.ReadAllText(Path.Combine(mount, "hello.txt")));
            string control = Path.Combine(run, "control");
            var load = Run(Path.Combine(root, "usr/bin/fltmc"), "load", "PassThrough", "--control", control);
            Assert.True(load.Exit == 0, load.Output);
            var instances = Run(Path.Combine(root, "usr/bin/fltmc"), "instances", "--control", control);
            Assert.True(instances.Exit == 0, instances.Output);
            Assert.Contains("PassThrough", instances.Output);
            File.WriteAllText(Path.Combine(mount, "written.txt"), "through the filter\n");
            Assert.Equal("through the filter\n", File.ReadAllText(Path.Combine(backing, "written.txt")));
            Assert.Equal(0, daemon.Stop());
        }
        Assert.False(TestArtifacts.IsMounted(mount));

        // Removal takes the program away and keeps the edited-or-not conffiles (remove, not purge).
        var remove = Run("dpkg", "--root=" + root, "--force-script-chrootless", "--log=/dev/null", "-r", "altitude");
        Assert.True(remove.Exit == 0, remove.Output);
        Assert.False(File.Exists(Path.Combine(root, "usr/lib/altitude/fltmgrd")));
        Assert.True(File.Exists(Path.Combine(root, "etc/altitude/fltmgrd.json")));
    }
}
