// Extended attributes by path: getxattr, listxattr, setxattr, removexattr (used with /proc/self/fd/N).
using System.Runtime.InteropServices;

namespace Altitude.FileSystem.Interop;

internal static unsafe partial class Libc
{
    internal const int XATTR_CREATE = 1;
    internal const int XATTR_REPLACE = 2;

    [LibraryImport(Name, EntryPoint = "getxattr", SetLastError = true)]
    private static partial nint GetXattrRaw(byte* path, byte* name, byte* value, nuint size);

    [LibraryImport(Name, EntryPoint = "listxattr", SetLastError = true)]
    private static partial nint ListXattrRaw(byte* path, byte* list, nuint size);

    [LibraryImport(Name, EntryPoint = "setxattr", SetLastError = true)]
    private static partial int SetXattrRaw(byte* path, byte* name, byte* value, nuint size, int flags);

    [LibraryImport(Name, EntryPoint = "removexattr", SetLastError = true)]
    private static partial int RemoveXattrRaw(byte* path, byte* name);

    /// <summary>getxattr(2): size 0 asks for the value's length. EINTR retried.</summary>
    internal static nint GetXattr(byte* path, byte* name, byte* value, nuint size, out Errno error)
    {
        nint n;
        do
        {
            n = GetXattrRaw(path, name, value, size);
            error = n < 0 ? LastError : Errno.Success;
        }
        while (error == Errno.EINTR);
        return n;
    }

    /// <summary>listxattr(2): NUL-separated names; size 0 asks for the length. EINTR retried.</summary>
    internal static nint ListXattr(byte* path, byte* list, nuint size, out Errno error)
    {
        nint n;
        do
        {
            n = ListXattrRaw(path, list, size);
            error = n < 0 ? LastError : Errno.Success;
        }
        while (error == Errno.EINTR);
        return n;
    }

    /// <summary>setxattr(2) with XATTR_CREATE/XATTR_REPLACE. EINTR retried.</summary>
    internal static Errno SetXattr(byte* path, byte* name, byte* value, nuint size, int flags)
    {
        Errno e;
        do { e = SetXattrRaw(path, name, value, size, flags) < 0 ? LastError : Errno.Success; }
        while (e == Errno.EINTR);
        return e;
    }

    /// <summary>removexattr(2). EINTR retried.</summary>
    internal static Errno RemoveXattr(byte* path, byte* name)
    {
        Errno e;
        do { e = RemoveXattrRaw(path, name) < 0 ? LastError : Errno.Success; }
        while (e == Errno.EINTR);
        return e;
    }
}
