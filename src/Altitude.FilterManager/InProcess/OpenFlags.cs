// open(2) flags and how they map to a CREATE's disposition and desired access (docs/operations.md).
namespace Altitude;

/// <summary>Linux open(2) flags (x86_64 values) and their Filter Manager meaning.</summary>
public static class OpenFlags
{
    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_ACCMODE = 3, O_CREAT = 0x40, O_EXCL = 0x80, O_NOCTTY = 0x100,
        O_TRUNC = 0x200, O_APPEND = 0x400, O_NONBLOCK = 0x800, O_DIRECT = 0x4000, O_LARGEFILE = 0x8000,
        O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_NOATIME = 0x40000, O_CLOEXEC = 0x80000, O_PATH = 0x200000;

    /// <summary>O_CREAT|O_EXCL = CREATE; O_CREAT|O_TRUNC = OVERWRITE_IF; O_CREAT = OPEN_IF; O_TRUNC = OVERWRITE; else OPEN.</summary>
    public static CreateDisposition ToDisposition(int flags, CreateNodeKind kind = CreateNodeKind.RegularFile)
    {
        if (kind != CreateNodeKind.RegularFile) return CreateDisposition.Create;   // mkdir, mknod, symlink fail on an existing name
        bool creat = (flags & O_CREAT) != 0, excl = (flags & O_EXCL) != 0, trunc = (flags & O_TRUNC) != 0;
        if (creat && excl) return CreateDisposition.Create;
        if (creat && trunc) return CreateDisposition.OverwriteIf;
        if (creat) return CreateDisposition.OpenIf;
        if (trunc) return CreateDisposition.Overwrite;
        return CreateDisposition.Open;
    }

    /// <summary>The ACCESS_MASK an open asks for: read data, write data, append data, and the attribute rights.</summary>
    public static uint ToDesiredAccess(int flags)
    {
        uint access = AccessMask.FileReadAttributes | AccessMask.Synchronize;
        if ((flags & O_PATH) != 0) return access;   // no data access: the open stands for the name only
        int mode = flags & O_ACCMODE;
        if (mode is O_RDONLY or O_RDWR) access |= AccessMask.FileReadData;
        if (mode is O_WRONLY or O_RDWR)
            access |= (flags & O_APPEND) != 0 ? AccessMask.FileAppendData : AccessMask.FileWriteData | AccessMask.FileAppendData | AccessMask.FileWriteAttributes;
        if ((flags & O_TRUNC) != 0) access |= AccessMask.FileWriteData;
        return access;
    }
}
