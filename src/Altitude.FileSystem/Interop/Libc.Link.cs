// Namespace-changing calls: linkat, unlinkat, renameat2, symlinkat, readlinkat, mkdirat, mknodat.
using System.Runtime.InteropServices;

namespace Altitude.FileSystem.Interop;

internal static unsafe partial class Libc
{
    internal const uint RENAME_NOREPLACE = 1;
    internal const uint RENAME_EXCHANGE = 2;
    internal const uint RENAME_WHITEOUT = 4;

    [LibraryImport(Name, EntryPoint = "linkat", SetLastError = true)]
    private static partial int LinkAtRaw(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, int flags);

    [LibraryImport(Name, EntryPoint = "unlinkat", SetLastError = true)]
    private static partial int UnlinkAtRaw(int dirfd, byte* path, int flags);

    [LibraryImport(Name, EntryPoint = "renameat2", SetLastError = true)]
    private static partial int RenameAt2Raw(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, uint flags);

    [LibraryImport(Name, EntryPoint = "symlinkat", SetLastError = true)]
    private static partial int SymlinkAtRaw(byte* target, int newdirfd, byte* linkpath);

    [LibraryImport(Name, EntryPoint = "readlinkat", SetLastError = true)]
    private static partial nint ReadLinkAtRaw(int dirfd, byte* path, byte* buf, nuint size);

    [LibraryImport(Name, EntryPoint = "mkdirat", SetLastError = true)]
    private static partial int MkdirAtRaw(int dirfd, byte* path, uint mode);

    [LibraryImport(Name, EntryPoint = "mknodat", SetLastError = true)]
    private static partial int MknodAtRaw(int dirfd, byte* path, uint mode, ulong dev);

    /// <summary>linkat(2): new hard link <paramref name="newpath"/> to <paramref name="oldpath"/>. EINTR retried.</summary>
    internal static Errno LinkAt(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, int flags)
    {
        Errno e;
        do { e = LinkAtRaw(olddirfd, oldpath, newdirfd, newpath, flags) < 0 ? LastError : Errno.Success; }
        while (e == Errno.EINTR);
        return e;
    }

    /// <summary>unlinkat(2): removes a name (AT_REMOVEDIR for an empty directory). EINTR retried.</summary>
    internal static Errno UnlinkAt(int dirfd, byte* path, int flags)
    {
        Errno e;
        do { e = UnlinkAtRaw(dirfd, path, flags) < 0 ? LastError : Errno.Success; }
        while (e == Errno.EINTR);
        return e;
    }

    /// <summary>renameat2(2) with RENAME_NOREPLACE/EXCHANGE/WHITEOUT. EINTR retried.</summary>
    internal static Errno RenameAt2(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, uint flags)
    {
        Errno e;
        do { e = RenameAt2Raw(olddirfd, oldpath, newdirfd, newpath, flags) < 0 ? LastError : Errno.Success; }
        while (e == Errno.EINTR);
        return e;
    }

    /// <summary>symlinkat(2): creates <paramref name="linkpath"/> containing <paramref name="target"/>. EINTR retried.</summary>
    internal static Errno SymlinkAt(byte* target, int newdirfd, byte* linkpath)
    {
        Errno e;
        do { e = SymlinkAtRaw(target, newdirfd, linkpath) < 0 ? LastError : Errno.Success; }
        while (e == Errno.EINTR);
        return e;
    }

    /// <summary>readlinkat(2): copies the target (no NUL) into buf; returns its length or -1. EINTR retried.</summary>
    internal static nint ReadLinkAt(int dirfd, byte* path, byte* buf, nuint size, out Errno error)
    {
        nint n;
        do
        {
            n = ReadLinkAtRaw(dirfd, path, buf, size);
            error = n < 0 ? LastError : Errno.Success;
        }
        while (error == Errno.EINTR);
        return n;
    }

    /// <summary>mkdirat(2). EINTR retried.</summary>
    internal static Errno MkdirAt(int dirfd, byte* path, uint mode)
    {
        Errno e;
        do { e = MkdirAtRaw(dirfd, path, mode) < 0 ? LastError : Errno.Success; }
        while (e == Errno.EINTR);
        return e;
    }

    /// <summary>mknodat(2): dev is a glibc-encoded dev_t. EINTR retried.</summary>
    internal static Errno MknodAt(int dirfd, byte* path, uint mode, ulong dev)
    {
        Errno e;
        do { e = MknodAtRaw(dirfd, path, mode, dev) < 0 ? LastError : Errno.Success; }
        while (e == Errno.EINTR);
        return e;
    }
}
