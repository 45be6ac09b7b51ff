// open/read/writev/close: the /dev/fuse device (and small /proc reads).
using System.Runtime.InteropServices;

namespace Altitude.Fuse.Interop;

internal static unsafe partial class Libc
{
    internal const int O_RDONLY = 0, O_RDWR = 2, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    internal const short POLLIN = 1;

    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>poll(2): an extra reader waits for a request with a timeout, so that it can retire when idle.</summary>
    [LibraryImport(Name, EntryPoint = "poll", SetLastError = true)]
    internal static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    /// <summary>readv(2): one whole FUSE request per call, into a request's small buffer and on into a landing buffer.</summary>
    [LibraryImport(Name, EntryPoint = "readv", SetLastError = true)]
    internal static partial nint Readv(int fd, IoVec* iov, int iovcnt);

    [StructLayout(LayoutKind.Sequential)]
    internal struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary>open(2); returns the fd or -1 (errno in LastError).</summary>
    [LibraryImport(Name, EntryPoint = "open", SetLastError = true)]
    internal static partial int Open(byte* path, int flags, uint mode);

    /// <summary>read(2): one whole FUSE request per call on /dev/fuse.</summary>
    [LibraryImport(Name, EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(int fd, void* buffer, nuint count);

    /// <summary>writev(2): one whole FUSE reply per call.</summary>
    [LibraryImport(Name, EntryPoint = "writev", SetLastError = true)]
    internal static partial nint Writev(int fd, IoVec* iov, int iovcnt);

    /// <summary>
    /// malloc_trim(3) (glibc): gives the free pages of the native heap back to the kernel after a burst of requests in
    /// flight was freed; small freed buffers otherwise stay in the process's RSS.
    /// </summary>
    [LibraryImport(Name, EntryPoint = "malloc_trim")]
    internal static partial int MallocTrim(nuint pad);

    /// <summary>close(2); never retried.</summary>
    [LibraryImport(Name, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    internal const int AT_FDCWD = -100, AT_STATX_FORCE_SYNC = 0x2000, STATX_TYPE = 1;

    /// <summary>
    /// statx(2) into a 256-byte buffer: with AT_STATX_FORCE_SYNC it asks the file system even when attributes are
    /// cached, which is how a dead FUSE mount shows itself (ENOTCONN); access(2) would be answered from the dentry cache.
    /// </summary>
    [LibraryImport(Name, EntryPoint = "statx", SetLastError = true)]
    internal static partial int Statx(int dirfd, byte* path, int flags, uint mask, void* buffer);

    /// <summary>geteuid(2).</summary>
    [LibraryImport(Name, EntryPoint = "geteuid")]
    internal static partial uint GetEuid();
}
