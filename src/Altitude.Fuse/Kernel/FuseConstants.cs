// Flag values of include/uapi/linux/fuse.h: INIT capabilities, FOPEN_*, FATTR_*, and the per-opcode flags.
namespace Altitude.Fuse.Kernel;

/// <summary>INIT capability bits. Bits 32..63 travel in flags2 (only with INIT_EXT).</summary>
public static class FuseInitFlags
{
    public const ulong ASYNC_READ = 1UL << 0, POSIX_LOCKS = 1UL << 1, FILE_OPS = 1UL << 2, ATOMIC_O_TRUNC = 1UL << 3,
        EXPORT_SUPPORT = 1UL << 4, BIG_WRITES = 1UL << 5, DONT_MASK = 1UL << 6, SPLICE_WRITE = 1UL << 7,
        SPLICE_MOVE = 1UL << 8, SPLICE_READ = 1UL << 9, FLOCK_LOCKS = 1UL << 10, HAS_IOCTL_DIR = 1UL << 11,
        AUTO_INVAL_DATA = 1UL << 12, DO_READDIRPLUS = 1UL << 13, READDIRPLUS_AUTO = 1UL << 14, ASYNC_DIO = 1UL << 15,
        WRITEBACK_CACHE = 1UL << 16, NO_OPEN_SUPPORT = 1UL << 17, PARALLEL_DIROPS = 1UL << 18, HANDLE_KILLPRIV = 1UL << 19,
        POSIX_ACL = 1UL << 20, ABORT_ERROR = 1UL << 21, MAX_PAGES = 1UL << 22, CACHE_SYMLINKS = 1UL << 23,
        NO_OPENDIR_SUPPORT = 1UL << 24, EXPLICIT_INVAL_DATA = 1UL << 25, MAP_ALIGNMENT = 1UL << 26, SUBMOUNTS = 1UL << 27,
        HANDLE_KILLPRIV_V2 = 1UL << 28, SETXATTR_EXT = 1UL << 29, INIT_EXT = 1UL << 30, INIT_RESERVED = 1UL << 31,
        SECURITY_CTX = 1UL << 32, HAS_INODE_DAX = 1UL << 33, CREATE_SUPP_GROUP = 1UL << 34, HAS_EXPIRE_ONLY = 1UL << 35,
        DIRECT_IO_ALLOW_MMAP = 1UL << 36, PASSTHROUGH = 1UL << 37, NO_EXPORT_SUPPORT = 1UL << 38, HAS_RESEND = 1UL << 39,
        ALLOW_IDMAP = 1UL << 40, OVER_IO_URING = 1UL << 41, REQUEST_TIMEOUT = 1UL << 42;
}

/// <summary>open_out.open_flags.</summary>
public static class FuseOpenFlags
{
    public const uint DIRECT_IO = 1, KEEP_CACHE = 2, NONSEEKABLE = 4, CACHE_DIR = 8, STREAM = 16, NOFLUSH = 32,
        PARALLEL_DIRECT_WRITES = 64, PASSTHROUGH = 128;
}

/// <summary>setattr_in.valid bits.</summary>
public static class FuseSetattrValid
{
    public const uint MODE = 1, UID = 2, GID = 4, SIZE = 8, ATIME = 16, MTIME = 32, FH = 64, ATIME_NOW = 128,
        MTIME_NOW = 256, LOCKOWNER = 512, CTIME = 1024, KILL_SUIDGID = 2048;
}

/// <summary>Set-id killing under HANDLE_KILLPRIV_V2: the kernel sets these when the caller lacks CAP_FSETID.</summary>
public static class FuseKillFlags
{
    /// <summary>write_in.write_flags: kill suid and sgid bits.</summary>
    public const uint WRITE_KILL_SUIDGID = 4;
    /// <summary>open_in.open_flags and create_in.open_flags (with O_TRUNC): kill suid and sgid bits.</summary>
    public const uint OPEN_KILL_SUIDGID = 1;
}

/// <summary>Small per-opcode flag sets.</summary>
public static class FuseFlags
{
    /// <summary>getattr_in.getattr_flags: fh is valid.</summary>
    public const uint GETATTR_FH = 1;
    /// <summary>lk_in.lk_flags: a flock(2) lock rather than a POSIX one.</summary>
    public const uint LK_FLOCK = 1;
    /// <summary>fsync_in.fsync_flags: fdatasync.</summary>
    public const uint FSYNC_FDATASYNC = 1;
    /// <summary>write_in.write_flags: a delayed write from the page cache (no caller).</summary>
    public const uint WRITE_CACHE = 1;
    /// <summary>release_in.release_flags.</summary>
    public const uint RELEASE_FLUSH = 1, RELEASE_FLOCK_UNLOCK = 2;
    /// <summary>renameat2 flags as RENAME2 carries them.</summary>
    public const uint RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2, RENAME_WHITEOUT = 4;
    /// <summary>The root node id.</summary>
    public const ulong ROOT_ID = 1;
    /// <summary>Kernel protocol version this server speaks.</summary>
    public const uint KERNEL_VERSION = 7, KERNEL_MINOR_VERSION = 45;
    /// <summary>Bit 63 of unique marks a resent request (HAS_RESEND).</summary>
    public const ulong UNIQUE_RESEND = 1UL << 63;
}

/// <summary>ioctl numbers of /dev/fuse.</summary>
public static class FuseDeviceIoctl
{
    /// <summary>_IOR(229, 0, uint32_t): attach a new fd to the connection of the given one.</summary>
    public const ulong CLONE = 0x8004E500;
    /// <summary>_IOW(229, 1, struct fuse_backing_map): register a backing file for passthrough.</summary>
    public const ulong BACKING_OPEN = 0x4010E501;
    /// <summary>_IOW(229, 2, uint32_t): unregister a backing id.</summary>
    public const ulong BACKING_CLOSE = 0x4004E502;
}
