// ioctl(2) on open files: the file ioctls IRP_MJ_DEVICE_CONTROL forwards (FIGETBSZ, FS_IOC_GETFLAGS ...). ioctl is
// variadic; its one optional argument is passed as a fixed pointer, which the x86-64 and arm64 Linux ABIs allow.
using System.Runtime.InteropServices;

namespace Altitude.FileSystem.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(Name, EntryPoint = "ioctl", SetLastError = true)]
    private static partial int IoctlRaw(int fd, nuint request, void* argument);

    /// <summary>ioctl(fd, request, argument). EINTR retried.</summary>
    internal static Errno Ioctl(int fd, uint request, void* argument)
    {
        Errno e;
        do { e = IoctlRaw(fd, request, argument) < 0 ? LastError : Errno.Success; }
        while (e == Errno.EINTR);
        return e;
    }
}
