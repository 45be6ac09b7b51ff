// Shared fixtures for the loopback tests: a temporary backing directory with an "outside" sibling, and skip attributes.
using System.Text;
using Altitude.FileSystem.Interop;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Altitude.FileSystem.Tests;

/// <summary>Creates tmp/altitude-fs-XXXX/{backing,outside}, a LoopbackFileSystem over backing, and removes it all afterwards.</summary>
public abstract class LoopbackTestBase : IDisposable
{
    protected const int ORdOnly = Libc.O_RDONLY;
    protected const int OWrOnly = Libc.O_WRONLY;
    protected const int ORdWr = Libc.O_RDWR;
    protected const int OExcl = Libc.O_EXCL;
    protected const int OTrunc = Libc.O_TRUNC;
    protected const int OAppend = Libc.O_APPEND;
    protected const ulong Root = LoopbackFileSystem.RootNodeId;

    protected LoopbackTestBase()
    {
        Top = Path.Combine(Path.GetTempPath(), "altitude-fs-" + Guid.NewGuid().ToString("N"));
        Backing = Path.Combine(Top, "backing");
        Outside = Path.Combine(Top, "outside");
        Directory.CreateDirectory(Backing);
        Directory.CreateDirectory(Outside);
        Fs = new LoopbackFileSystem(Backing);
    }

    protected string Top { get; }

    protected string Backing { get; }

    protected string Outside { get; }

    protected LoopbackFileSystem Fs { get; }

    protected static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    protected string InBacking(string relative) => Path.Combine(Backing, relative);

    /// <summary>Asserts Success with the errno in the failure message.</summary>
    protected static void Ok(Errno e) => Assert.Equal(Errno.Success, e);

    /// <summary>Looks up a relative path, asserting success.</summary>
    protected ulong NodeOf(string relative)
    {
        Ok(Fs.LookupPath(B(relative), out ulong node, out _, out _));
        return node;
    }

    /// <summary>statx of a raw byte path (names may be non-UTF-8); returns the errno.</summary>
    private protected static unsafe Errno RawStat(ReadOnlySpan<byte> path, out Libc.Statx st)
    {
        byte* p = stackalloc byte[Libc.PathMax];
        path.CopyTo(new Span<byte>(p, Libc.PathMax));
        p[path.Length] = 0;
        return Libc.StatxAt(Libc.AT_FDCWD, p, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, out st);
    }

    /// <summary>Backing path of a raw name as bytes.</summary>
    protected byte[] RawBackingPath(ReadOnlySpan<byte> name)
    {
        byte[] dir = B(Backing + "/");
        byte[] all = new byte[dir.Length + name.Length];
        dir.CopyTo(all, 0);
        name.CopyTo(all.AsSpan(dir.Length));
        return all;
    }

    public virtual void Dispose()
    {
        Fs.Dispose();
        try
        {
            Directory.Delete(Top, recursive: true);
        }
        catch (IOException)
        {
            // A test that leaves non-UTF-8 names may confuse Directory.Delete; fall back to rm.
            using var rm = System.Diagnostics.Process.Start("rm", ["-rf", Top]);
            rm.WaitForExit();
        }
        GC.SuppressFinalize(this);
    }
}

/// <summary>A fact that needs euid 0: skipped with a reason when not root, unless CI=true (then it runs and fails).</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (Libc.GetEuid() != 0 && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "Needs root (chown to other ids / mknod of a device); run as root or set CI=true to force.";
    }
}

/// <summary>Fails the test when it needs root but is forced to run (CI=true) without it.</summary>
internal static class RootRequirement
{
    internal static void Assert() =>
        Xunit.Assert.True(Libc.GetEuid() == 0, "This test needs root (CI=true forces it to run).");
}

/// <summary>A fact skipped when the temporary directory's file system rejects user.* xattrs (ENOTSUP).</summary>
public sealed class XattrFactAttribute : FactAttribute
{
    public XattrFactAttribute()
    {
        if (!Probe())
            Skip = "The file system under Path.GetTempPath() does not support user.* extended attributes.";
    }

    private static unsafe bool Probe()
    {
        string file = Path.Combine(Path.GetTempPath(), "altitude-xattr-probe-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(file, "x");
        try
        {
            byte[] path = Encoding.UTF8.GetBytes(file + "\0");
            byte[] name = "user.altitude.probe\0"u8.ToArray();
            byte v = 1;
            fixed (byte* p = path)
            fixed (byte* n = name)
                return Libc.SetXattr(p, n, &v, 1, 0) is not (Errno.ENOTSUP or Errno.EPERM);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
