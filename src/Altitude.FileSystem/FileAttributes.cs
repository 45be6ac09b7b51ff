// Attributes of a node, taken from statx(2). Note: the name shadows System.IO.FileAttributes;
// code that imports both namespaces should alias one of them.
using Altitude.FileSystem.Interop;

namespace Altitude.FileSystem;

/// <summary>What statx reported for a node (the FUSE attr fields plus birth time).</summary>
public readonly struct FileAttributes
{
    /// <summary>
    /// Inode number in the backing file system; for a node on a file system mounted inside the backing tree, that number
    /// with the device's index in the top 8 bits (InodeNumbers.cs), so numbers stay unique under one st_dev.
    /// </summary>
    public ulong Inode { get; init; }

    /// <summary>File type and permission bits (st_mode).</summary>
    public uint Mode { get; init; }

    /// <summary>Number of hard links.</summary>
    public uint LinkCount { get; init; }

    /// <summary>Owner user id.</summary>
    public uint Uid { get; init; }

    /// <summary>Owner group id.</summary>
    public uint Gid { get; init; }

    /// <summary>Device number for character and block devices (glibc makedev encoding).</summary>
    public ulong RDev { get; init; }

    /// <summary>Size in bytes.</summary>
    public long Size { get; init; }

    /// <summary>Allocated 512-byte blocks.</summary>
    public long Blocks { get; init; }

    /// <summary>Preferred I/O block size.</summary>
    public uint BlockSize { get; init; }

    /// <summary>Last access.</summary>
    public TimeSpec AccessTime { get; init; }

    /// <summary>Last data modification.</summary>
    public TimeSpec ModificationTime { get; init; }

    /// <summary>Last status change.</summary>
    public TimeSpec ChangeTime { get; init; }

    /// <summary>Creation time; (0, 0) when the backing file system does not report it.</summary>
    public TimeSpec BirthTime { get; init; }

    /// <summary>Backing device holding the node (glibc makedev encoding, equals st_dev).</summary>
    public ulong Device { get; init; }

    /// <summary>File type bits only (Mode &amp; S_IFMT).</summary>
    public uint FileType => Mode & Libc.S_IFMT;

    /// <summary>True for a directory.</summary>
    public bool IsDirectory => FileType == Libc.S_IFDIR;

    /// <summary>True for a regular file.</summary>
    public bool IsRegularFile => FileType == Libc.S_IFREG;

    /// <summary>True for a symbolic link.</summary>
    public bool IsSymbolicLink => FileType == Libc.S_IFLNK;

    internal static FileAttributes From(in Libc.Statx s) => new()
    {
        Inode = s.Ino,
        Mode = s.Mode,
        LinkCount = s.Nlink,
        Uid = s.Uid,
        Gid = s.Gid,
        RDev = Libc.MakeDev(s.RdevMajor, s.RdevMinor),
        Size = (long)s.Size,
        Blocks = (long)s.Blocks,
        BlockSize = s.BlkSize,
        AccessTime = new TimeSpec(s.Atime.Sec, s.Atime.Nsec),
        ModificationTime = new TimeSpec(s.Mtime.Sec, s.Mtime.Nsec),
        ChangeTime = new TimeSpec(s.Ctime.Sec, s.Ctime.Nsec),
        BirthTime = (s.Mask & Libc.STATX_BTIME) != 0 ? new TimeSpec(s.Btime.Sec, s.Btime.Nsec) : default,
        Device = Libc.MakeDev(s.DevMajor, s.DevMinor),
    };
}
