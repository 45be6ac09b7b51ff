// getdents64(2) (glibc 2.30+ wraps it) filling a buffer with struct linux_dirent64 records.
using System.Runtime.InteropServices;

namespace Altitude.FileSystem.Interop;

internal static unsafe partial class Libc
{
    /// <summary>Offset of d_name in struct linux_dirent64 (u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type).</summary>
    internal const int DirentNameOffset = 19;

    [LibraryImport(Name, EntryPoint = "getdents64", SetLastError = true)]
    private static partial nint GetDents64Raw(int fd, byte* buf, nuint count);

    /// <summary>getdents64(2): returns bytes filled, 0 at the end, -1 on error. EINTR retried.</summary>
    internal static nint GetDents64(int fd, byte* buf, nuint count, out Errno error)
    {
        nint n;
        do
        {
            n = GetDents64Raw(fd, buf, count);
            error = n < 0 ? LastError : Errno.Success;
        }
        while (error == Errno.EINTR);
        return n;
    }
}
