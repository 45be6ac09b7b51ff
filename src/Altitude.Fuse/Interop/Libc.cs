// The libc imports of the FUSE layer (its own, so that Altitude.Fuse does not reach into Altitude.FileSystem's
// internals). One file per syscall family; Linux errno values are used as they are (FUSE replies carry them negated).
using System.Runtime.InteropServices;

namespace Altitude.Fuse.Interop;

internal static unsafe partial class Libc
{
    internal const string Name = "libc";

    internal const int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EBUSY = 16,
        EEXIST = 17, ENODEV = 19, EINVAL = 22, ERANGE = 34, ENOSYS = 38, EOPNOTSUPP = 95, ENOTCONN = 107, EALREADY = 114;

    /// <summary>errno of the last import call made with SetLastError.</summary>
    internal static int LastError => Marshal.GetLastPInvokeError();

    /// <summary>Copies a string into a NUL-terminated UTF-8 byte array (setup paths only; allocates).</summary>
    internal static byte[] Z(string s)
    {
        byte[] b = new byte[System.Text.Encoding.UTF8.GetByteCount(s) + 1];
        System.Text.Encoding.UTF8.GetBytes(s, b);
        return b;
    }
}
