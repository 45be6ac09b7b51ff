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

/// <summary>A theory that needs root and /dev/fuse, under the same rule as <see cref="MountFactAttribute"/>.</summary>
public sealed class MountTheoryAttribute : TheoryAttribute
{
    public MountTheoryAttribute()
    {
        if (MountRequirement.Missing() is string why && Environment.GetEnvironmentVariable("CI") != "true") Skip = why;
    }
}

/// <summary>
/// FUSE over io_uring: a kernel with CONFIG_FUSE_IO_URING, switched on by root through the fuse module's enable_uring
/// parameter. The tests switch it on (it only lets a server ask for io_uring; a server that does not ask is unaffected).
/// Outside CI a kernel without it skips; with CI=true it fails.
/// </summary>
internal static class UringRequirement
{
    private const string Parameter = "/sys/module/fuse/parameters/enable_uring";

    public static string? Missing()
    {
        if (MountRequirement.Missing() is string why) return why;
        if (!File.Exists(Parameter)) return $"Needs a kernel with CONFIG_FUSE_IO_URING ({Parameter} is missing).";
        try
        {
            if (File.ReadAllText(Parameter).Trim() is not ("Y" or "1")) File.WriteAllText(Parameter, "1");
        }
        catch (IOException e) { return $"Cannot switch on {Parameter}: {e.Message}"; }
        catch (UnauthorizedAccessException e) { return $"Cannot switch on {Parameter}: {e.Message}"; }
        return null;
    }

    public static void Assert()
    {
        string? why = Missing();
        Xunit.Assert.True(why is null, why);
    }
}

/// <summary>A theory with io_uring rows: skipped with the reason when <see cref="UringRequirement"/> is missing, unless CI=true.</summary>
public sealed class UringTheoryAttribute : TheoryAttribute
{
    public UringTheoryAttribute()
    {
        if (UringRequirement.Missing() is string why && Environment.GetEnvironmentVariable("CI") != "true") Skip = why;
    }
}

/// <summary>A fact that needs FUSE over io_uring, under the same rule.</summary>
public sealed class UringFactAttribute : FactAttribute
{
    public UringFactAttribute()
    {
        if (UringRequirement.Missing() is string why && Environment.GetEnvironmentVariable("CI") != "true") Skip = why;
    }
}
