// openat(2), openat2(2) with struct open_how and RESOLVE_* flags, close(2).
using System.Runtime.InteropServices;

namespace Altitude.FileSystem.Interop;

internal static unsafe partial class Libc
{
    // open flags (x86_64 values; arm64 differs for O_DIRECTORY/O_NOFOLLOW/O_DIRECT/O_LARGEFILE).
    internal const int O_RDONLY = 0x0;
    internal const int O_WRONLY = 0x1;
    internal const int O_RDWR = 0x2;
    internal const int O_ACCMODE = 0x3;
    internal const int O_CREAT = 0x40;
    internal const int O_EXCL = 0x80;
    internal const int O_NOCTTY = 0x100;
    internal const int O_TRUNC = 0x200;
    internal const int O_APPEND = 0x400;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_DIRECTORY = 0x10000;
    internal const int O_NOFOLLOW = 0x20000;
    internal const int O_CLOEXEC = 0x80000;
    internal const int O_PATH = 0x200000;
    internal const int O_TMPFILE = 0x410000;

    // openat2 resolve flags (linux/openat2.h).
    internal const ulong RESOLVE_NO_XDEV = 0x01;
    internal const ulong RESOLVE_NO_MAGICLINKS = 0x02;
    internal const ulong RESOLVE_NO_SYMLINKS = 0x04;
    internal const ulong RESOLVE_BENEATH = 0x08;
    internal const ulong RESOLVE_IN_ROOT = 0x10;
    internal const ulong RESOLVE_CACHED = 0x20;

    internal const long SYS_openat2 = 437;

    /// <summary>struct open_how (linux/openat2.h), 24 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [LibraryImport(Name, EntryPoint = "openat", SetLastError = true)]
    private static partial int OpenAtRaw(int dirfd, byte* path, int flags, uint mode);

    /// <summary>openat(2): opens <paramref name="path"/> relative to <paramref name="dirfd"/>; -1 and errno on failure. EINTR retried.</summary>
    internal static int OpenAt(int dirfd, byte* path, int flags, uint mode, out Errno error)
    {
        int fd;
        do
        {
            fd = OpenAtRaw(dirfd, path, flags, mode);
            error = fd < 0 ? LastError : Errno.Success;
        }
        while (error == Errno.EINTR);
        return fd;
    }

    /// <summary>openat2(2) (no glibc wrapper): like openat with resolve restrictions. EINTR retried; EAGAIN returned to the caller.</summary>
    internal static int OpenAt2(int dirfd, byte* path, in OpenHow how, out Errno error)
    {
        long fd;
        fixed (OpenHow* h = &how)
        {
            do
            {
                fd = Syscall(SYS_openat2, dirfd, (long)path, (long)h, sizeof(OpenHow));
                error = fd < 0 ? LastError : Errno.Success;
            }
            while (error == Errno.EINTR);
        }
        return (int)fd;
    }

    /// <summary>close(2): never retried on EINTR (the fd is gone either way on Linux).</summary>
    [LibraryImport(Name, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);
}
