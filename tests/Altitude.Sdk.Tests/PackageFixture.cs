// Packs every package of the repository once per test run (dotnet pack --no-build of the solution's Release build,
// into a temporary feed), and runs dotnet in an isolated home: its own template store and package folder, so nothing
// a run installs or caches outlives it, and no stale copy of an unchanged version number is ever restored.
using System.Diagnostics;
using System.Text;

namespace Altitude.Sdk.Tests;

public sealed class PackageFixture : IDisposable
{
    public PackageFixture()
    {
        Top = Directory.CreateTempSubdirectory("altitude-sdk-").FullName;
        Feed = Path.Combine(Top, "feed");
        Home = Path.Combine(Top, "home");
        Directory.CreateDirectory(Home);
        RepositoryRoot = TestArtifacts.RepositoryRoot();
        Version = ReadVersion(Path.Combine(RepositoryRoot, "Directory.Build.props"));
        var (exit, output) = Dotnet(RepositoryRoot, "pack", Path.Combine(RepositoryRoot, "Altitude.slnx"), "-c", "Release", "--no-build", "-o", Feed, "-v", "q", "-nologo");
        PackOutput = output;
        PackExit = exit;
    }

    public string Top { get; }
    public string Feed { get; }
    public string Home { get; }
    public string RepositoryRoot { get; }
    public string Version { get; }
    public int PackExit { get; }
    public string PackOutput { get; }

    public string Package(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

    /// <summary>A nuget.config for a project made outside the repository: this feed first, then the usual registry, with a package folder of its own.</summary>
    public void WriteNugetConfig(string directory)
    {
        string user = Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? "/root", ".nuget", "packages");
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{Path.Combine(Top, "packages")}" /></config>
              <packageSources>
                <clear />
                <add key="altitude" value="{Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <fallbackPackageFolders><add key="user" value="{user}" /></fallbackPackageFolders>
            </configuration>
            """);
    }

    /// <summary>dotnet with the isolated home (see <see cref="Run"/>).</summary>
    public (int Exit, string Output) Dotnet(string workingDirectory, params string[] args)
    {
        var (exit, output, _) = Run("dotnet", workingDirectory, args, env =>
        {
            env["DOTNET_CLI_HOME"] = Home;
            env["DOTNET_NOLOGO"] = "1";
            env["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            env["MSBUILDDISABLENODEREUSE"] = "1";
        });
        return (exit, output);
    }

    /// <summary>
    /// A program, without the variables the outer dotnet test set for its own MSBuild and test host. Output is standard
    /// output then standard error; Stdout alone, for a program whose last line is its result.
    /// </summary>
    public static (int Exit, string Output, string Stdout) Run(string file, string workingDirectory, string[] args, Action<IDictionary<string, string?>>? environment = null)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        foreach (string key in psi.Environment.Keys.ToArray())
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
                || key.Equals("DOTNET_HOST_PATH", StringComparison.Ordinal))
                psi.Environment.Remove(key);
        environment?.Invoke(psi.Environment);
        using var p = Process.Start(psi)!;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(900_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 15 minutes");
        }
        p.WaitForExit();
        lock (stdout) lock (stderr) return (p.ExitCode, stdout.ToString() + stderr, stdout.ToString());
    }

    private static string ReadVersion(string props)
    {
        string text = File.ReadAllText(props);
        int start = text.IndexOf("<Version>", StringComparison.Ordinal) + "<Version>".Length;
        return text[start..text.IndexOf("</Version>", start, StringComparison.Ordinal)];
    }

    public void Dispose()
    {
        try { Directory.Delete(Top, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition("packages")]
public sealed class PackageCollection : ICollectionFixture<PackageFixture> { }
