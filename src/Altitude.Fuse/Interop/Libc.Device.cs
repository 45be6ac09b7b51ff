// open/read/writev/close: the /dev/fuse device (and small /proc reads).
using System.Runtime.InteropServices;

namespace Altitude.Fuse.Interop;

internal static unsafe partial class Libc
{
    internal const int O_RDONLY = 0, O_RDWR = 2, O_CLOEXEC = 0x80000;

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

    /// <summary>close(2); never retried.</summary>
    [LibraryImport(Name, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    /// <summary>access(2): used to recognise a dead mount (ENOTCONN) without following anything into it.</summary>
    [LibraryImport(Name, EntryPoint = "access", SetLastError = true)]
    internal static partial int Access(byte* path, int mode);

    /// <summary>geteuid(2).</summary>
    [LibraryImport(Name, EntryPoint = "geteuid")]
    internal static partial uint GetEuid();
}
