// The prerequisite of every FUSE mount test (tests of Altitude.Fuse.Tests and Altitude.Daemon.Tests): root and /dev/fuse.
// Outside CI a missing prerequisite skips the test with the reason; with CI=true it fails.
namespace Altitude.TestSupport;

/// <summary>A fact that needs root and /dev/fuse: skipped with the reason when missing, unless CI=true (then it fails).</summary>
public sealed class MountFactAttribute : FactAttribute
{
    public MountFactAttribute()
    {
        if (MountRequirement.Missing() is string why && Environment.GetEnvironmentVariable("CI") != "true") Skip = why;
    }
}

internal static class MountRequirement
{
    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint geteuid();

    public static string? Missing()
    {
        if (geteuid() != 0) return "Needs root to mount(2) a FUSE file system; run as root or set CI=true to force.";
        if (!File.Exists("/dev/fuse")) return "Needs /dev/fuse (load the fuse module).";
        return null;
    }

    public static void Assert()
    {
        string? why = Missing();
        Xunit.Assert.True(why is null, why);
    }
}
