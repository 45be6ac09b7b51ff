// Shared pieces of the libc interop: library name, errno access, and NUL-terminated name copies.
// Each syscall family lives in its own Libc.<Family>.cs file with its structs and constants.
using System.Runtime.InteropServices;

namespace Altitude.FileSystem.Interop;

internal static unsafe partial class Libc
{
    /// <summary>glibc, resolved by the runtime as libc.so.6.</summary>
    internal const string Name = "libc";

    /// <summary>Longest single path component (NAME_MAX).</summary>
    internal const int NameMax = 255;

    /// <summary>Longest path including the terminating NUL (PATH_MAX).</summary>
    internal const int PathMax = 4096;

    /// <summary>Special dirfd meaning "the current working directory".</summary>
    internal const int AT_FDCWD = -100;

    /// <summary>errno of the last failed import call, as an <see cref="Errno"/>.</summary>
    internal static Errno LastError => (Errno)Marshal.GetLastPInvokeError();

    /// <summary>
    /// Copies one path component into <paramref name="dest"/> (at least NameMax + 1 bytes) and appends a NUL.
    /// Empty: ENOENT; longer than NAME_MAX: ENAMETOOLONG; contains '/' or NUL, or is "." or "..": EINVAL.
    /// </summary>
    internal static Errno CopyComponent(ReadOnlySpan<byte> name, Span<byte> dest)
    {
        if (name.IsEmpty)
            return Errno.ENOENT;
        if (name.Length > NameMax)
            return Errno.ENAMETOOLONG;
        if (name.IndexOfAny((byte)'/', (byte)0) >= 0)
            return Errno.EINVAL;
        if (name[0] == (byte)'.' && (name.Length == 1 || (name.Length == 2 && name[1] == (byte)'.')))
            return Errno.EINVAL;
        name.CopyTo(dest);
        dest[name.Length] = 0;
        return Errno.Success;
    }

    /// <summary>Copies a path or symlink target (no NUL inside, at most PathMax - 1 bytes) and appends a NUL.</summary>
    internal static Errno CopyPath(ReadOnlySpan<byte> path, Span<byte> dest)
    {
        if (path.IsEmpty)
            return Errno.ENOENT;
        if (path.Length >= PathMax || path.Length >= dest.Length)
            return Errno.ENAMETOOLONG;
        if (path.IndexOf((byte)0) >= 0)
            return Errno.EINVAL;
        path.CopyTo(dest);
        dest[path.Length] = 0;
        return Errno.Success;
    }

    /// <summary>Writes "/proc/self/fd/N\0" into <paramref name="dest"/> (at least 32 bytes).</summary>
    internal static void ProcFdPath(int fd, Span<byte> dest)
    {
        ReadOnlySpan<byte> prefix = "/proc/self/fd/"u8;
        prefix.CopyTo(dest);
        int pos = prefix.Length;
        // fd is never negative here; format its decimal digits without allocating.
        uint value = (uint)fd;
        int digits = 1;
        for (uint v = value; v >= 10; v /= 10)
            digits++;
        for (int i = digits - 1; i >= 0; i--)
        {
            dest[pos + i] = (byte)('0' + (value % 10));
            value /= 10;
        }
        dest[pos + digits] = 0;
    }

    /// <summary>syscall(2): raw system call for calls glibc 2.36 does not wrap (openat2, fchmodat2).</summary>
    [LibraryImport(Name, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall(long number, long a1, long a2, long a3, long a4);
}
