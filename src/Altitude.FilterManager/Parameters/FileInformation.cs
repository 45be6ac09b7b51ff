// Information classes and the typed records that QUERY/SET_INFORMATION, QUERY_VOLUME_INFORMATION and
// DIRECTORY_CONTROL carry. Windows passes raw buffers; Altitude passes structs a filter can read and edit.
namespace Altitude;

/// <summary>FILE_INFORMATION_CLASS values Altitude uses (numbers from ntifs.h).</summary>
public enum FileInformationClass
{
    None = 0,
    FileDirectoryInformation = 1,
    FileBasicInformation = 4,
    FileStandardInformation = 5,
    FileRenameInformation = 10,
    FileLinkInformation = 11,
    FileNamesInformation = 12,
    FileDispositionInformation = 13,
    FileAllInformation = 18,
    FileAllocationInformation = 19,
    FileEndOfFileInformation = 20,
    FileIdBothDirectoryInformation = 37,
    FileDispositionInformationEx = 64,
    FileRenameInformationEx = 65,
    FileStatInformation = 68,
    FileStatLxInformation = 70,
    FileLinkInformationEx = 72,
}

/// <summary>FS_INFORMATION_CLASS values Altitude uses.</summary>
public enum FsInformationClass
{
    None = 0,
    FileFsSizeInformation = 3,
    FileFsFullSizeInformation = 7,
}

/// <summary>
/// Linux attributes of a node, in the spirit of FILE_STAT_LX_INFORMATION (the class WSL uses):
/// what GETATTR returns and what QUERY_INFORMATION with FileStatLxInformation carries.
/// </summary>
public struct FileStatInformation
{
    public ulong FileId;          // st_ino
    public ulong DeviceId;        // st_dev of the backing file
    public uint Mode;             // st_mode, type and permission bits
    public uint LinkCount;
    public uint Uid;
    public uint Gid;
    public ulong RdevMajorMinor;  // st_rdev
    public long EndOfFile;        // st_size
    public long AllocationSize;   // st_blocks * 512
    public uint BlockSize;
    public TimeSpecValue LastAccessTime;
    public TimeSpecValue LastWriteTime;
    public TimeSpecValue ChangeTime;
    public TimeSpecValue CreationTime;   // btime; zero when the backing fs has none

    public readonly bool IsDirectory => (Mode & 0xF000) == 0x4000;
    public readonly bool IsSymbolicLink => (Mode & 0xF000) == 0xA000;
}

/// <summary>Seconds and nanoseconds since the Unix epoch.</summary>
public struct TimeSpecValue
{
    /// <summary>UTIME_NOW and UTIME_OMIT, the two special nanosecond values of utimensat.</summary>
    public const long UtimeNow = (1L << 30) - 1, UtimeOmit = (1L << 30) - 2;

    public long Seconds;
    public long Nanoseconds;

    public TimeSpecValue(long seconds, long nanoseconds) { Seconds = seconds; Nanoseconds = nanoseconds; }
    public static TimeSpecValue Now => new(0, UtimeNow);
    public static TimeSpecValue Omit => new(0, UtimeOmit);
}

/// <summary>FILE_BASIC_INFORMATION reduced to what Linux can set: access and modification times.</summary>
public struct FileBasicInformation
{
    public TimeSpecValue LastAccessTime;
    public TimeSpecValue LastWriteTime;
}

/// <summary>Volume statistics for QUERY_VOLUME_INFORMATION (statfs).</summary>
public struct VolumeStatistics
{
    public ulong TotalBlocks;
    public ulong FreeBlocks;
    public ulong AvailableBlocks;
    public ulong TotalFiles;
    public ulong FreeFiles;
    public uint BlockSize;
    public uint FragmentSize;
    public uint MaximumNameLength;
}
