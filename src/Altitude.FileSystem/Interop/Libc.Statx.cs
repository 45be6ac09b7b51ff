// statx(2) with struct statx (256 bytes, layout-stable across architectures) and its constants.
using System.Runtime.InteropServices;

namespace Altitude.FileSystem.Interop;

internal static unsafe partial class Libc
{
    internal const int AT_SYMLINK_NOFOLLOW = 0x100;
    internal const int AT_REMOVEDIR = 0x200;
    internal const int AT_SYMLINK_FOLLOW = 0x400;
    internal const int AT_NO_AUTOMOUNT = 0x800;
    internal const int AT_EMPTY_PATH = 0x1000;
    internal const int AT_STATX_SYNC_AS_STAT = 0x0;

    internal const uint STATX_TYPE = 0x1;
    internal const uint STATX_MODE = 0x2;
    internal const uint STATX_NLINK = 0x4;
    internal const uint STATX_UID = 0x8;
    internal const uint STATX_GID = 0x10;
    internal const uint STATX_ATIME = 0x20;
    internal const uint STATX_MTIME = 0x40;
    internal const uint STATX_CTIME = 0x80;
    internal const uint STATX_INO = 0x100;
    internal const uint STATX_SIZE = 0x200;
    internal const uint STATX_BLOCKS = 0x400;
    internal const uint STATX_BASIC_STATS = 0x7ff;
    internal const uint STATX_BTIME = 0x800;

    // File type bits of st_mode.
    internal const uint S_IFMT = 0xF000;
    internal const uint S_IFSOCK = 0xC000;
    internal const uint S_IFLNK = 0xA000;
    internal const uint S_IFREG = 0x8000;
    internal const uint S_IFBLK = 0x6000;
    internal const uint S_IFDIR = 0x4000;
    internal const uint S_IFCHR = 0x2000;
    internal const uint S_IFIFO = 0x1000;

    /// <summary>struct statx_timestamp, 16 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct StatxTimestamp
    {
        public long Sec;
        public uint Nsec;
        public int Reserved;
    }

    /// <summary>struct statx (linux/stat.h), 256 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Statx
    {
        public uint Mask;
        public uint BlkSize;
        public ulong Attributes;
        public uint Nlink;
        public uint Uid;
        public uint Gid;
        public ushort Mode;
        public ushort Spare0;
        public ulong Ino;
        public ulong Size;
        public ulong Blocks;
        public ulong AttributesMask;
        public StatxTimestamp Atime;
        public StatxTimestamp Btime;
        public StatxTimestamp Ctime;
        public StatxTimestamp Mtime;
        public uint RdevMajor;
        public uint RdevMinor;
        public uint DevMajor;
        public uint DevMinor;
        public ulong MntId;
        public uint DioMemAlign;
        public uint DioOffsetAlign;
        public fixed ulong Spare3[12];
    }

    [LibraryImport(Name, EntryPoint = "statx", SetLastError = true)]
    private static partial int StatxRaw(int dirfd, byte* path, int flags, uint mask, Statx* buf);

    /// <summary>statx(2); EINTR retried.</summary>
    internal static Errno StatxAt(int dirfd, byte* path, int flags, uint mask, out Statx buf)
    {
        Errno e;
        fixed (Statx* b = &buf)
        {
            do
            {
                e = StatxRaw(dirfd, path, flags, mask, b) < 0 ? LastError : Errno.Success;
            }
            while (e == Errno.EINTR);
        }
        return e;
    }

    /// <summary>statx of an fd itself (AT_EMPTY_PATH, not following), works on O_PATH fds.</summary>
    internal static Errno StatxFd(int fd, out Statx buf)
    {
        byte empty = 0;
        return StatxAt(fd, &empty, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME, out buf);
    }

    /// <summary>glibc's makedev(3) encoding of a major/minor pair into a dev_t.</summary>
    internal static ulong MakeDev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000u) << 32) | ((ulong)(major & 0xfffu) << 8) |
        ((ulong)(minor & 0xffffff00u) << 12) | (minor & 0xffu);
}
