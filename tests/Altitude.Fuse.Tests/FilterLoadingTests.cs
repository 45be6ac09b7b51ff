// fltmgrd --filter PATH.dll loads the public IMiniFilter classes of an assembly, each in its own load context with the
// default configuration derived from the class (docs/configuration.md, "Quick flags"): here the ctx sample and a test
// filter (tests/Altitude.Fuse.TestFilter) that refuses to open one name, so that what the loaded filters do shows
// through the mount. Manifests and the configuration directory are tested in tests/Altitude.Daemon.Tests.
using System.Diagnostics;
using System.Globalization;

namespace Altitude.Fuse.Tests;

public class FilterLoadingTests : MountTestBase
{
    private const string RefusedName = "refused-by-filter";   // RefusingFilter.RefusedName

    /// <summary>dotnet fltmgrd.dll ARGS, both output streams redirected.</summary>
    private static Process StartFltmgrd(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        psi.ArgumentList.Add(ProjectOutput("fltmgrd", "fltmgrd.dll"));
        foreach (string a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    /// <summary>Its standard output up to and with the "serving" line; <paramref name="serving"/> is false when it ended first.</summary>
    private static List<string> ReadUntilServing(Process daemon, out bool serving)
    {
        var lines = new List<string>();
        string? line;
        while ((line = daemon.StandardOutput.ReadLine()) is not null)
        {
            lines.Add(line);
            if (line.StartsWith("serving", StringComparison.Ordinal)) break;
        }
        serving = line is not null;
        return lines;
    }

    [MountFact]
    public void FltmgrdLoadsAMinifilterAssemblyGivenOnTheCommandLine()
    {
        MountRequirement.Assert();
        string ctx = Path.GetFullPath(ProjectOutput("Ctx", "Ctx.dll"));
        string refusing = Path.GetFullPath(ProjectOutput("Altitude.Fuse.TestFilter", "Altitude.Fuse.TestFilter.dll"));
        Assert.True(File.Exists(ctx), ctx);
        Assert.True(File.Exists(refusing), refusing);
        File.WriteAllText(B("f"), "ctx\n");
        File.WriteAllText(B(RefusedName), "only the filter keeps this from being read\n");
        // Also a path that is no assembly at all: reported, and the others still load.
        string missing = Path.Combine(Backing, "no-such-filter.dll");
        using var daemon = StartFltmgrd("--volume", $"{Backing}:{MountPoint}", "--filter", ctx, "--filter", missing, "--filter", refusing, "--runtime-directory", Path.Combine(Top, "run"));
        try
        {
            var lines = ReadUntilServing(daemon, out bool serving);
            if (!serving) Assert.Fail("fltmgrd did not start: " + daemon.StandardError.ReadToEnd());
            Assert.Contains(lines, l => l.StartsWith($"filter Ctx loaded from {ctx}", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith($"filter Refusing loaded from {refusing}", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("mounted ", StringComparison.Ordinal) && l.Contains(": 2 instance(s)", StringComparison.Ordinal));
            // The filters were registered before the volume was mounted: the first request it served went through them.
            int mountedAt = lines.FindIndex(l => l.StartsWith("mounted ", StringComparison.Ordinal));
            Assert.True(mountedAt > 0, string.Join('\n', lines));
            Assert.All(lines.FindAll(l => l.StartsWith("filter ", StringComparison.Ordinal)), l => Assert.True(lines.IndexOf(l) < mountedAt, l));
            // Through the mount: the other file reads as it is (ctx only watches), the refused one fails in the
            // loaded filter's pre-create, although the file is there and readable below.
            Assert.Equal("ctx\n", ShOk($"cat {M("f")}"));
            var refused = Sh($"cat {M(RefusedName)}");
            Assert.NotEqual(0, refused.Exit);
            Assert.Contains("Permission denied", refused.Err);
            Assert.Equal("only the filter keeps this from being read\n", File.ReadAllText(B(RefusedName)));
            Run("kill", ["-TERM", daemon.Id.ToString(CultureInfo.InvariantCulture)]);
            string rest = daemon.StandardOutput.ReadToEnd();
            string errors = daemon.StandardError.ReadToEnd();
            Assert.True(daemon.WaitForExit(60_000), "fltmgrd exits on SIGTERM");
            Assert.Equal(0, daemon.ExitCode);
            // The service stop unmounted, then called FilterUnload (mandatory) of the filters it loaded. (The filter's own
            // line is written directly to the console, the daemon's through its logger's queue: only the daemon's lines
            // are ordered among themselves.)
            int unmounted = rest.IndexOf("unmounted ", StringComparison.Ordinal);
            Assert.True(unmounted >= 0, rest);
            Assert.True(rest.IndexOf("filter Refusing unloaded", StringComparison.Ordinal) > unmounted, rest);
            Assert.Contains("Refusing: FilterUnload (Mandatory)", rest);
            // The broken ones were reported by name, with the reason, and did not stop the others.
            Assert.Contains("fltmgrd: filter Throwing not loaded: DriverEntry threw InvalidOperationException: " + "this filter's Register always throws", errors);
            Assert.Contains($"fltmgrd: filter {missing} not loaded: FileNotFoundException", errors);
        }
        finally
        {
            if (!daemon.HasExited) daemon.Kill(entireProcessTree: true);
        }
    }

    /// <summary>
    /// The SwapBuffers package loads in fltmgrd from a manifest whose parameters turn encryption on with a key file:
    /// the mount shows plaintext, the backing file holds ciphertext. A second manifest of the same package whose key
    /// file others may read is refused by name, with the reason, and the first still serves.
    /// </summary>
    [MountFact]
    public void FltmgrdLoadsTheEncryptingSwapBuffersPackageFromItsManifestParameters()
    {
        MountRequirement.Assert();
        string assembly = Path.GetFullPath(ProjectOutput("SwapBuffers", "SwapBuffers.dll"));
        string key = Path.Combine(Top, "key"), openKey = Path.Combine(Top, "open-key");
        File.WriteAllBytes(key, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        File.SetUnixFileMode(key, UnixFileMode.UserRead);
        File.Copy(key, openKey);
        File.SetUnixFileMode(openKey, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        string Manifest(string name, string altitude, string keyFile)
        {
            string path = Path.Combine(Top, name + ".json");
            File.WriteAllText(path, $$"""
                { "Name": "{{name}}", "Assembly": "{{assembly}}", "Class": "Altitude.Samples.SwapBuffers.SwapBuffersFilter",
                  "StartType": "Auto", "Instances": [ { "Name": "{{name}} Instance", "Altitude": "{{altitude}}" } ],
                  "Parameters": { "Encryption": "1", "KeyFile": "{{keyFile}}" } }
                """);
            return path;
        }
        using var daemon = StartFltmgrd("--volume", $"{Backing}:{MountPoint}",
            "--filter", Manifest("SwapBuffers", "141000", key), "--filter", Manifest("LeakyKey", "141100", openKey), "--runtime-directory", Path.Combine(Top, "run"));
        var errors = new System.Text.StringBuilder();
        daemon.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.AppendLine(e.Data); };
        daemon.BeginErrorReadLine();
        try
        {
            var lines = ReadUntilServing(daemon, out bool serving);
            Assert.True(serving, "fltmgrd did not start: " + string.Join('\n', lines));
            Assert.Contains(lines, l => l.StartsWith("mounted ", StringComparison.Ordinal) && l.Contains(": 1 instance(s)", StringComparison.Ordinal));
            ShOk($"seq 1 20000 > {M("numbers")}");
            Assert.Equal(ShOk("seq 1 20000"), ShOk($"cat {M("numbers")}"));
            Assert.Equal(new FileInfo(B("numbers")).Length, ShOk("seq 1 20000").Length);
            Assert.NotEqual(ShOk("seq 1 20000"), File.ReadAllText(B("numbers")));
            Run("kill", ["-TERM", daemon.Id.ToString(CultureInfo.InvariantCulture)]);
            daemon.StandardOutput.ReadToEnd();
            Assert.True(daemon.WaitForExit(60_000), "fltmgrd exits on SIGTERM");
            daemon.WaitForExit();   // and the standard error reader has seen its end
            Assert.Equal(0, daemon.ExitCode);
            lock (errors)
            {
                Assert.Contains("filter LeakyKey not loaded", errors.ToString());
                Assert.Contains("is accessible to its group or others", errors.ToString());
            }
        }
        finally
        {
            if (!daemon.HasExited) daemon.Kill(entireProcessTree: true);
        }
    }
}
