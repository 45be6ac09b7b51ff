// Data calls: read/pread, write/pwrite, ftruncate/truncate, fallocate, fsync, fdatasync, lseek.
using System.Runtime.InteropServices;

namespace Altitude.FileSystem.Interop;

internal static unsafe partial class Libc
{
    internal const int SEEK_SET = 0;
    internal const int SEEK_CUR = 1;
    internal const int SEEK_END = 2;
    /// <summary>lseek to the next data at or after the offset (ENXIO: none before the end).</summary>
    internal const int SEEK_DATA = 3;
    /// <summary>lseek to the next hole at or after the offset (the end of the file counts as one).</summary>
    internal const int SEEK_HOLE = 4;

    [LibraryImport(Name, EntryPoint = "read", SetLastError = true)]
    private static partial nint ReadRaw(int fd, byte* buf, nuint count);

    [LibraryImport(Name, EntryPoint = "pread64", SetLastError = true)]
    private static partial nint PReadRaw(int fd, byte* buf, nuint count, long offset);

    [LibraryImport(Name, EntryPoint = "write", SetLastError = true)]
    private static partial nint WriteRaw(int fd, byte* buf, nuint count);

    [LibraryImport(Name, EntryPoint = "pwrite64", SetLastError = true)]
    private static partial nint PWriteRaw(int fd, byte* buf, nuint count, long offset);

    [LibraryImport(Name, EntryPoint = "ftruncate64", SetLastError = true)]
    private static partial int FtruncateRaw(int fd, long length);

    [LibraryImport(Name, EntryPoint = "truncate64", SetLastError = true)]
    private static partial int TruncateRaw(byte* path, long length);

    [LibraryImport(Name, EntryPoint = "fallocate64", SetLastError = true)]
    private static partial int FallocateRaw(int fd, int mode, long offset, long len);

    [LibraryImport(Name, EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncRaw(int fd);

    [LibraryImport(Name, EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FdatasyncRaw(int fd);

    [LibraryImport(Name, EntryPoint = "lseek64", SetLastError = true)]
    private static partial long LseekRaw(int fd, long offset, int whence);

    /// <summary>pread(2), or read(2) at the current position when offset is -1. EINTR retried.</summary>
    internal static nint PRead(int fd, byte* buf, nuint count, long offset, out Errno error)
    {
        nint n;
        do
        {
            n = offset < 0 ? ReadRaw(fd, buf, count) : PReadRaw(fd, buf, count, offset);
            error = n < 0 ? LastError : Errno.Success;
        }
        while (error == Errno.EINTR);
        return n;
    }

    /// <summary>pwrite(2), or write(2) at the current position (or the end with O_APPEND) when offset is -1. EINTR retried.</summary>
    internal static nint PWrite(int fd, byte* buf, nuint count, long offset, out Errno error)
    {
        nint n;
        do
        {
            n = offset < 0 ? WriteRaw(fd, buf, count) : PWriteRaw(fd, buf, count, offset);
            error = n < 0 ? LastError : Errno.Success;
        }
        while (error == Errno.EINTR);
        return n;
    }

    /// <summary>ftruncate(2). EINTR retried.</summary>
    internal static Errno Ftruncate(int fd, long length)
    {
        Errno e;
        do { e = FtruncateRaw(fd, length) < 0 ? LastError : Errno.Success; }
        while (e == Errno.EINTR);
        return e;
    }

    /// <summary>truncate(2) by path (used with /proc/self/fd/N). EINTR retried.</summary>
    internal static Errno Truncate(byte* path, long length)
    {
        Errno e;
        do { e = TruncateRaw(path, length) < 0 ? LastError : Errno.Success; }
        while (e == Errno.EINTR);
        return e;
    }

    /// <summary>fallocate(2). EINTR retried.</summary>
    internal static Errno Fallocate(int fd, int mode, long offset, long len)
    {
        Errno e;
        do { e = FallocateRaw(fd, mode, offset, len) < 0 ? LastError : Errno.Success; }
        while (e == Errno.EINTR);
        return e;
    }

    /// <summary>fsync(2). EINTR retried.</summary>
    internal static Errno Fsync(int fd)
    {
        Errno e;
        do { e = FsyncRaw(fd) < 0 ? LastError : Errno.Success; }
        while (e == Errno.EINTR);
        return e;
    }

    /// <summary>fdatasync(2). EINTR retried.</summary>
    internal static Errno Fdatasync(int fd)
    {
        Errno e;
        do { e = FdatasyncRaw(fd) < 0 ? LastError : Errno.Success; }
        while (e == Errno.EINTR);
        return e;
    }

    /// <summary>lseek(2); returns the new offset or -1. EINTR retried.</summary>
    internal static long Lseek(int fd, long offset, int whence, out Errno error)
    {
        long r;
        do
        {
            r = LseekRaw(fd, offset, whence);
            error = r < 0 ? LastError : Errno.Success;
        }
        while (error == Errno.EINTR);
        return r;
    }
}
