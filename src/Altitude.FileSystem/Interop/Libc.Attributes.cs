// Attribute changes: fchmodat, fchmodat2 (syscall 452), fchmod, fchownat, utimensat; geteuid.
using System.Runtime.InteropServices;

namespace Altitude.FileSystem.Interop;

internal static unsafe partial class Libc
{
    internal const long SYS_fchmodat2 = 452;

    /// <summary>tv_nsec value asking utimensat for the current time.</summary>
    internal const long UTIME_NOW = (1L << 30) - 1;

    /// <summary>tv_nsec value asking utimensat to leave the timestamp unchanged.</summary>
    internal const long UTIME_OMIT = (1L << 30) - 2;

    [LibraryImport(Name, EntryPoint = "fchmodat", SetLastError = true)]
    private static partial int FchmodAtRaw(int dirfd, byte* path, uint mode, int flags);

    [LibraryImport(Name, EntryPoint = "fchmod", SetLastError = true)]
    private static partial int FchmodRaw(int fd, uint mode);

    [LibraryImport(Name, EntryPoint = "fchownat", SetLastError = true)]
    private static partial int FchownAtRaw(int dirfd, byte* path, uint owner, uint group, int flags);

    [LibraryImport(Name, EntryPoint = "utimensat", SetLastError = true)]
    private static partial int UtimensAtRaw(int dirfd, byte* path, TimeSpec* times, int flags);

    /// <summary>geteuid(2): effective uid of the process.</summary>
    [LibraryImport(Name, EntryPoint = "geteuid")]
    internal static partial uint GetEuid();

    /// <summary>fchmodat(2) (glibc; flags other than AT_SYMLINK_NOFOLLOW unsupported). EINTR retried.</summary>
    internal static Errno FchmodAt(int dirfd, byte* path, uint mode, int flags)
    {
        Errno e;
        do { e = FchmodAtRaw(dirfd, path, mode, flags) < 0 ? LastError : Errno.Success; }
        while (e == Errno.EINTR);
        return e;
    }

    /// <summary>fchmodat2(2) (Linux 6.6+, no glibc wrapper): accepts AT_EMPTY_PATH on O_PATH fds. EINTR retried.</summary>
    internal static Errno FchmodAt2(int dirfd, byte* path, uint mode, int flags)
    {
        Errno e;
        do { e = Syscall(SYS_fchmodat2, dirfd, (long)path, mode, flags) < 0 ? LastError : Errno.Success; }
        while (e == Errno.EINTR);
        return e;
    }

    /// <summary>fchmod(2) on an open (non-O_PATH) fd. EINTR retried.</summary>
    internal static Errno Fchmod(int fd, uint mode)
    {
        Errno e;
        do { e = FchmodRaw(fd, mode) < 0 ? LastError : Errno.Success; }
        while (e == Errno.EINTR);
        return e;
    }

    /// <summary>fchownat(2); uint.MaxValue leaves the id unchanged. EINTR retried.</summary>
    internal static Errno FchownAt(int dirfd, byte* path, uint owner, uint group, int flags)
    {
        Errno e;
        do { e = FchownAtRaw(dirfd, path, owner, group, flags) < 0 ? LastError : Errno.Success; }
        while (e == Errno.EINTR);
        return e;
    }

    /// <summary>utimensat(2) with times[0] = atime, times[1] = mtime. EINTR retried.</summary>
    internal static Errno UtimensAt(int dirfd, byte* path, TimeSpec* times, int flags)
    {
        Errno e;
        do { e = UtimensAtRaw(dirfd, path, times, flags) < 0 ? LastError : Errno.Success; }
        while (e == Errno.EINTR);
        return e;
    }
}
