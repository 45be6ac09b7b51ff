// FLT_PARAMETERS: one typed record per operation. Windows uses a union; here each operation has its own
// field so references (buffers, names) stay type-safe. Only the field of the current major is meaningful;
// the object is reused between operations, so nothing here may be kept after the callback returns.
namespace Altitude;

/// <summary>The parameters of the operation in <see cref="IoParameterBlock.MajorFunction"/>.</summary>
public sealed class FltParameters
{
    public CreateParameters Create;
    public ReadParameters Read;
    public WriteParameters Write;
    public QueryFileInformationParameters QueryFileInformation;
    public SetFileInformationParameters SetFileInformation;
    public DirectoryControlParameters DirectoryControl;
    public QueryVolumeInformationParameters QueryVolumeInformation;
    public EaParameters QueryEa;
    public EaParameters SetEa;
    public FlushBuffersParameters FlushBuffers;
    public LockControlParameters LockControl;
    public FileSystemControlParameters FileSystemControl;
    public DeviceIoControlParameters DeviceIoControl;
    public QuerySecurityParameters QuerySecurity;
    public SecurityParameters SetSecurity;
    public NetworkQueryOpenParameters NetworkQueryOpen;

    /// <summary>Clears every record before the object is reused (drops buffer references).</summary>
    internal void Clear()
    {
        Create = default; Read = default; Write = default; QueryFileInformation = default; SetFileInformation = default;
        DirectoryControl = default; QueryVolumeInformation = default; QueryEa = default; SetEa = default;
        FlushBuffers = default; LockControl = default; FileSystemControl = default; SetSecurity = default; NetworkQueryOpen = default;
        DeviceIoControl = default; QuerySecurity = default;
    }

    /// <summary>Copies every record (for the DRAINING copy handed to post-ops at teardown).</summary>
    internal void CopyFrom(FltParameters other)
    {
        Create = other.Create; Read = other.Read; Write = other.Write; QueryFileInformation = other.QueryFileInformation;
        SetFileInformation = other.SetFileInformation; DirectoryControl = other.DirectoryControl;
        QueryVolumeInformation = other.QueryVolumeInformation; QueryEa = other.QueryEa; SetEa = other.SetEa;
        FlushBuffers = other.FlushBuffers; LockControl = other.LockControl; FileSystemControl = other.FileSystemControl;
        SetSecurity = other.SetSecurity; NetworkQueryOpen = other.NetworkQueryOpen;
        DeviceIoControl = other.DeviceIoControl; QuerySecurity = other.QuerySecurity;
    }
}

/// <summary>CREATE disposition values (FILE_SUPERSEDE ... FILE_OVERWRITE_IF), the high byte of Options.</summary>
public enum CreateDisposition : uint
{
    Supersede = 0, Open = 1, Create = 2, OpenIf = 3, Overwrite = 4, OverwriteIf = 5,
}

/// <summary>CREATE options Altitude uses (the low 24 bits of Options).</summary>
[Flags]
public enum CreateOptions : uint
{
    None = 0,
    DirectoryFile = 0x1,
    WriteThrough = 0x2,
    NoIntermediateBuffering = 0x8,
    NonDirectoryFile = 0x40,
    OpenReparsePoint = 0x200000,
}

/// <summary>What kind of node a CREATE makes when it creates one (Linux has several creating calls).</summary>
public enum CreateNodeKind : byte
{
    /// <summary>A regular file (open(O_CREAT), FUSE CREATE).</summary>
    RegularFile = 0,
    /// <summary>mkdir (FUSE MKDIR): Options carry DirectoryFile.</summary>
    Directory = 1,
    /// <summary>mknod (FUSE MKNOD): Mode carries the type; DeviceNumber the rdev.</summary>
    SpecialFile = 2,
    /// <summary>symlink (FUSE SYMLINK): SymbolicLinkTarget carries the target.</summary>
    SymbolicLink = 3,
}

/// <summary>IoStatus.Information values of a successful CREATE.</summary>
public static class CreateInformation
{
    public const long FileSuperseded = 0, FileOpened = 1, FileCreated = 2, FileOverwritten = 3, FileExists = 4, FileDoesNotExist = 5;
}

/// <summary>IRP_MJ_CREATE. The name and parent are on the target file object.</summary>
public struct CreateParameters
{
    /// <summary>Disposition in the high 8 bits, <see cref="CreateOptions"/> in the low 24, as in Windows.</summary>
    public uint Options;
    /// <summary>ACCESS_MASK derived from the open flags (FILE_READ_DATA 1, FILE_WRITE_DATA 2, FILE_APPEND_DATA 4, DELETE 0x10000...).</summary>
    public uint DesiredAccess;
    public ushort ShareAccess;
    /// <summary>The Linux open(2) flags as the caller passed them.</summary>
    public int OpenFlags;
    /// <summary>
    /// The mode for a new node (type bits included for MKNOD). The file system applies <see cref="Umask"/> to it, never
    /// its own process umask: the kernel sends FUSE the caller's mode and umask (FUSE_DONT_MASK).
    /// </summary>
    public uint Mode;
    /// <summary>The caller's umask for a new node (0: <see cref="Mode"/> is final). A default ACL of the parent replaces it, as on ext4.</summary>
    public uint Umask;
    public CreateNodeKind NodeKind;
    /// <summary>rdev for MKNOD.</summary>
    public ulong DeviceNumber;
    /// <summary>Target bytes for SYMLINK.</summary>
    public ReadOnlyMemory<byte> SymbolicLinkTarget;
    /// <summary>Owner for a created node (the caller's uid and gid).</summary>
    public uint OwnerUid, OwnerGid;

    public readonly CreateDisposition Disposition => (CreateDisposition)(Options >> 24);
    public readonly CreateOptions CreateOptions => (CreateOptions)(Options & 0x00FFFFFF);

    public static uint MakeOptions(CreateDisposition disposition, CreateOptions options) => ((uint)disposition << 24) | (uint)options;
}

/// <summary>Access mask bits Altitude sets in CREATE.</summary>
public static class AccessMask
{
    public const uint FileReadData = 0x1, FileWriteData = 0x2, FileAppendData = 0x4, FileExecute = 0x20,
        FileReadAttributes = 0x80, FileWriteAttributes = 0x100, Delete = 0x10000, Synchronize = 0x100000;
}

/// <summary>IRP_MJ_READ. A filter may swap <see cref="ReadBuffer"/> (swapBuffers); the post-op sees the same buffer.</summary>
public struct ReadParameters
{
    public uint Length;
    /// <summary>Byte offset; -1 = the file object's current position.</summary>
    public long ByteOffset;
    public Memory<byte> ReadBuffer;
}

/// <summary>IRP_MJ_WRITE.</summary>
public struct WriteParameters
{
    public uint Length;
    /// <summary>Byte offset; -1 = the file object's current position (or the end, for O_APPEND).</summary>
    public long ByteOffset;
    public ReadOnlyMemory<byte> WriteBuffer;
}

/// <summary>IRP_MJ_QUERY_INFORMATION. The file system fills <see cref="Stat"/>.</summary>
public struct QueryFileInformationParameters
{
    public FileInformationClass FileInformationClass;
    public FileStatInformation Stat;
}

/// <summary>Flags of FILE_RENAME_INFORMATION_EX / FILE_LINK_INFORMATION_EX.</summary>
[Flags]
public enum RenameFlags : uint
{
    None = 0,
    ReplaceIfExists = 0x1,
    PosixSemantics = 0x2,
    /// <summary>Altitude: renameat2(RENAME_EXCHANGE); both names must exist and swap.</summary>
    Exchange = 0x100000,
    /// <summary>Altitude: renameat2(RENAME_WHITEOUT) for overlay file systems.</summary>
    Whiteout = 0x200000,
}

/// <summary>Flags of FILE_DISPOSITION_INFORMATION_EX.</summary>
[Flags]
public enum DispositionFlags : uint
{
    DoNotDelete = 0,
    Delete = 0x1,
    PosixSemantics = 0x2,
    /// <summary>Altitude: the target is a directory (rmdir rather than unlink).</summary>
    Directory = 0x100000,
}

/// <summary>IRP_MJ_SET_INFORMATION: truncate, times, delete, rename, link and allocation.</summary>
public struct SetFileInformationParameters
{
    public FileInformationClass FileInformationClass;
    /// <summary>FileEndOfFileInformation.</summary>
    public long EndOfFile;
    /// <summary>FileBasicInformation.</summary>
    public FileBasicInformation Basic;
    /// <summary>FileDispositionInformationEx.</summary>
    public DispositionFlags DispositionFlags;
    /// <summary>FileRenameInformationEx and FileLinkInformationEx: flags, destination directory node and new name.</summary>
    public RenameFlags RenameFlags;
    public ulong DestinationDirectory;
    public ReadOnlyMemory<byte> DestinationName;
    /// <summary>FileAllocationInformation: fallocate(mode, offset, length).</summary>
    public int AllocationMode;
    public long AllocationOffset;
    public long AllocationLength;
}

/// <summary>IRP_MJ_DIRECTORY_CONTROL / IRP_MN_QUERY_DIRECTORY. The file system fills <see cref="Entries"/>; filters may edit it.</summary>
public struct DirectoryControlParameters
{
    public FileInformationClass FileInformationClass;
    /// <summary>The position to continue from (0 = the start): the cookie of the last entry returned.</summary>
    public long Cookie;
    /// <summary>How many bytes of entries the caller can take.</summary>
    public uint Length;
    public DirectoryEntryList? Entries;
}

/// <summary>IRP_MJ_QUERY_VOLUME_INFORMATION (statfs).</summary>
public struct QueryVolumeInformationParameters
{
    public FsInformationClass FsInformationClass;
    public VolumeStatistics Statistics;
}

/// <summary>IRP_MJ_QUERY_EA and IRP_MJ_SET_EA: one extended attribute (Linux xattr).</summary>
public struct EaParameters
{
    /// <summary>The attribute name; empty in QUERY_EA means "list the names".</summary>
    public ReadOnlyMemory<byte> EaName;
    /// <summary>QUERY_EA: the output buffer (empty asks for the size). SET_EA: the value.</summary>
    public Memory<byte> Buffer;
    /// <summary>SET_EA: XATTR_CREATE 1, XATTR_REPLACE 2; <see cref="RemoveFlag"/> removes the attribute.</summary>
    public int Flags;

    public const int RemoveFlag = 0x1000;
}

/// <summary>IRP_MJ_FLUSH_BUFFERS (fsync; minor FlushDataOnly = fdatasync).</summary>
public struct FlushBuffersParameters
{
    public bool DataOnly;
}

/// <summary>How a LOCK_CONTROL lock behaves on Linux.</summary>
public enum LockKind : byte { Posix = 0, Flock = 1 }

/// <summary>IRP_MJ_LOCK_CONTROL: POSIX record locks and flock.</summary>
public struct LockControlParameters
{
    public LockKind Kind;
    public long ByteOffset;
    /// <summary>0 = to the end of the file.</summary>
    public long Length;
    public bool ExclusiveLock;
    public bool FailImmediately;
    /// <summary>The lock owner the kernel gave (FUSE lock_owner).</summary>
    public ulong Owner;
    /// <summary>QueryLock output: the conflicting lock, if any (Conflict false when the range is free).</summary>
    public bool Conflict;
    public uint ConflictProcessId;
}

/// <summary>FSCTL codes the loopback answers (others: STATUS_INVALID_DEVICE_REQUEST).</summary>
public static class FsControlCode
{
    /// <summary>FSCTL_GET_REPARSE_POINT: READLINK (the output is the link's target bytes, not a REPARSE_DATA_BUFFER).</summary>
    public const uint GetReparsePoint = 0x000900A8;
    /// <summary>
    /// FSCTL_QUERY_ALLOCATED_RANGES on an open file: input one FILE_ALLOCATED_RANGE_BUFFER {long FileOffset; long Length},
    /// output as many as fit (lseek SEEK_DATA/SEEK_HOLE).
    /// </summary>
    public const uint QueryAllocatedRanges = 0x000940CF;
}

/// <summary>IRP_MJ_FILE_SYSTEM_CONTROL.</summary>
public struct FileSystemControlParameters
{
    public uint FsControlCode;
    public ReadOnlyMemory<byte> InputBuffer;
    public Memory<byte> OutputBuffer;
}

/// <summary>
/// IRP_MJ_DEVICE_CONTROL codes the loopback forwards to ioctl(2) on the open's fd: the Linux file ioctls, by their Linux
/// numbers (docs/deviations.md, "Device and file-system controls"). Others: STATUS_INVALID_DEVICE_REQUEST.
/// </summary>
public static class IoControlCode
{
    /// <summary>FIGETBSZ: output int, the file system's block size.</summary>
    public const uint GetBlockSize = 0x00000002;
    /// <summary>FS_IOC_GETFLAGS: output int, the inode flags (chattr: FS_IMMUTABLE_FL 0x10, FS_APPEND_FL 0x20...).</summary>
    public const uint GetFlags = 0x80086601;
    /// <summary>FS_IOC_SETFLAGS: input int.</summary>
    public const uint SetFlags = 0x40086602;
    /// <summary>FS_IOC_GETVERSION: output int, the inode generation.</summary>
    public const uint GetVersion = 0x80087601;
    /// <summary>FS_IOC_FSGETXATTR: output struct fsxattr (28 bytes).</summary>
    public const uint FsGetXattr = 0x801C581F;
    /// <summary>FS_IOC_FSSETXATTR: input struct fsxattr (28 bytes).</summary>
    public const uint FsSetXattr = 0x401C5820;
}

/// <summary>IRP_MJ_DEVICE_CONTROL (and INTERNAL_DEVICE_CONTROL): a control code with METHOD_BUFFERED buffers.</summary>
public struct DeviceIoControlParameters
{
    public uint IoControlCode;
    public ReadOnlyMemory<byte> InputBuffer;
    public Memory<byte> OutputBuffer;
}

/// <summary>SECURITY_INFORMATION bits for SET_SECURITY as Altitude maps chmod/chown.</summary>
[Flags]
public enum SecurityInformation : uint
{
    None = 0,
    Owner = 0x1,
    Group = 0x2,
    /// <summary>The permission bits (the DACL's role on Linux).</summary>
    Dacl = 0x4,
}

/// <summary>IRP_MJ_SET_SECURITY: mode, uid and gid.</summary>
public struct SecurityParameters
{
    public SecurityInformation SecurityInformation;
    public uint Mode;
    public uint Uid;
    public uint Gid;
}

/// <summary>
/// IRP_MJ_QUERY_SECURITY: the file system fills the owner, group and mode, and copies the node's POSIX access ACL (the
/// system.posix_acl_access xattr as stored: a 4-byte version header, then 8-byte {tag, perm, id} entries) into
/// <see cref="AclBuffer"/>. <see cref="AclLength"/> 0: the node has no ACL beyond its mode. FltQuerySecurityObject turns
/// this into a security descriptor (docs/deviations.md, "Security descriptors").
/// </summary>
public struct QuerySecurityParameters
{
    public SecurityInformation SecurityInformation;
    public uint Mode;
    public uint Uid;
    public uint Gid;
    public Memory<byte> AclBuffer;
    public int AclLength;
}

/// <summary>IRP_MJ_NETWORK_QUERY_OPEN: a LOOKUP of a name. The file system fills <see cref="Stat"/> and <see cref="NodeId"/>.</summary>
public struct NetworkQueryOpenParameters
{
    /// <summary>The attributes the lookup found, as the filters leave them (a filter may change what the caller sees).</summary>
    public FileStatInformation Stat;
    /// <summary>The node the file system found (its lookup reference goes to the caller): set below, read-only to filters.</summary>
    public ulong NodeId { readonly get; internal set; }
    /// <summary>That node's generation.</summary>
    public ulong Generation { readonly get; internal set; }
}
