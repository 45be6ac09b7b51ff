// Where sibling projects' build output is (artifacts/bin/<project>/<config>/, next to this test assembly's), and
// whether a mount point is mounted: shared by every test project that starts fltmgrd, fltmc or a client program.
namespace Altitude.TestSupport;

internal static class TestArtifacts
{
    /// <summary>How long a test waits for a child process's line or exit: only turns a hang into a failure.</summary>
    public const int ProcessTimeoutMilliseconds = 120_000;

    /// <summary>artifacts/bin/<paramref name="project"/>/&lt;config&gt;/<paramref name="file"/>, same configuration as this test assembly.</summary>
    public static string ProjectOutput(string project, string file)
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));   // artifacts/bin/<test project>/<config>
        return Path.Combine(here.Parent!.Parent!.FullName, project, here.Name, file);
    }

    /// <summary>The checkout this test assembly was built from (the directory holding Altitude.slnx above it).</summary>
    public static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Altitude.slnx"))) return d.FullName;
        throw new InvalidOperationException("Altitude.slnx not found above " + AppContext.BaseDirectory);
    }

    /// <summary>True while something is mounted exactly at <paramref name="mountPoint"/> (this process's mount namespace).</summary>
    public static bool IsMounted(string mountPoint) =>
        File.ReadAllText("/proc/self/mountinfo").Contains(" " + mountPoint + " ", StringComparison.Ordinal);
}
