// File system statistics from fstatfs(2), in the shape FUSE's statfs reply needs.
using Altitude.FileSystem.Interop;

namespace Altitude.FileSystem;

/// <summary>Capacity and limits of the backing file system holding a node.</summary>
public readonly struct FileSystemStatistics
{
    /// <summary>Magic number of the file system type (f_type).</summary>
    public long Type { get; init; }

    /// <summary>Optimal transfer block size (f_bsize).</summary>
    public long BlockSize { get; init; }

    /// <summary>Fragment size, the unit of the block counts (f_frsize).</summary>
    public long FragmentSize { get; init; }

    /// <summary>Total blocks.</summary>
    public ulong Blocks { get; init; }

    /// <summary>Free blocks.</summary>
    public ulong BlocksFree { get; init; }

    /// <summary>Free blocks available to unprivileged users.</summary>
    public ulong BlocksAvailable { get; init; }

    /// <summary>Total inodes.</summary>
    public ulong Files { get; init; }

    /// <summary>Free inodes.</summary>
    public ulong FilesFree { get; init; }

    /// <summary>Longest file name.</summary>
    public long MaxNameLength { get; init; }

    /// <summary>Mount flags (ST_RDONLY, ST_NOSUID, ...).</summary>
    public long Flags { get; init; }

    internal static FileSystemStatistics From(in Libc.StatFs s) => new()
    {
        Type = s.Type,
        BlockSize = s.BSize,
        FragmentSize = s.FrSize,
        Blocks = s.Blocks,
        BlocksFree = s.BFree,
        BlocksAvailable = s.BAvail,
        Files = s.Files,
        FilesFree = s.FFree,
        MaxNameLength = s.NameLen,
        Flags = s.Flags,
    };
}
