// Mirrors of the uapi structs (include/uapi/linux/fuse.h, protocol 7.45) with the kernel's field names, so that
// they diff against the header. Sizes are checked by tests/Altitude.Fuse.Tests/AbiTests.cs.
using System.Runtime.InteropServices;

#pragma warning disable CS0649 // fields are filled by MemoryMarshal over request buffers
namespace Altitude.Fuse.Kernel;

[StructLayout(LayoutKind.Sequential)]
public struct fuse_in_header
{
    public uint len, opcode;
    public ulong unique, nodeid;
    public uint uid, gid, pid;
    public ushort total_extlen, padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_out_header
{
    public uint len;
    public int error;
    public ulong unique;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_attr
{
    public ulong ino, size, blocks, atime, mtime, ctime;
    public uint atimensec, mtimensec, ctimensec, mode, nlink, uid, gid, rdev, blksize, flags;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_entry_out
{
    public ulong nodeid, generation, entry_valid, attr_valid;
    public uint entry_valid_nsec, attr_valid_nsec;
    public fuse_attr attr;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_attr_out
{
    public ulong attr_valid;
    public uint attr_valid_nsec, dummy;
    public fuse_attr attr;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct fuse_init_in
{
    public uint major, minor, max_readahead, flags, flags2;
    public fixed uint unused[11];
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct fuse_init_out
{
    public uint major, minor, max_readahead, flags;
    public ushort max_background, congestion_threshold;
    public uint max_write, time_gran;
    public ushort max_pages, map_alignment;
    public uint flags2, max_stack_depth;
    public ushort request_timeout;
    public fixed ushort unused[11];
}

[StructLayout(LayoutKind.Sequential)] public struct fuse_forget_in { public ulong nlookup; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_forget_one { public ulong nodeid, nlookup; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_batch_forget_in { public uint count, dummy; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_getattr_in { public uint getattr_flags, dummy; public ulong fh; }

[StructLayout(LayoutKind.Sequential)]
public struct fuse_setattr_in
{
    public uint valid, padding;
    public ulong fh, size, lock_owner, atime, mtime, ctime;
    public uint atimensec, mtimensec, ctimensec, mode, unused4, uid, gid, unused5;
}

[StructLayout(LayoutKind.Sequential)] public struct fuse_mknod_in { public uint mode, rdev, umask, padding; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_mkdir_in { public uint mode, umask; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_rename_in { public ulong newdir; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_rename2_in { public ulong newdir; public uint flags, padding; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_link_in { public ulong oldnodeid; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_open_in { public uint flags, open_flags; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_create_in { public uint flags, mode, umask, open_flags; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_open_out { public ulong fh; public uint open_flags; public int backing_id; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_release_in { public ulong fh; public uint flags, release_flags; public ulong lock_owner; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_flush_in { public ulong fh; public uint unused, padding; public ulong lock_owner; }

[StructLayout(LayoutKind.Sequential)]
public struct fuse_read_in
{
    public ulong fh, offset;
    public uint size, read_flags;
    public ulong lock_owner;
    public uint flags, padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_write_in
{
    public ulong fh, offset;
    public uint size, write_flags;
    public ulong lock_owner;
    public uint flags, padding;
}

[StructLayout(LayoutKind.Sequential)] public struct fuse_write_out { public uint size, padding; }

[StructLayout(LayoutKind.Sequential)]
public unsafe struct fuse_kstatfs
{
    public ulong blocks, bfree, bavail, files, ffree;
    public uint bsize, namelen, frsize, padding;
    public fixed uint spare[6];
}

[StructLayout(LayoutKind.Sequential)] public struct fuse_statfs_out { public fuse_kstatfs st; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_fsync_in { public ulong fh; public uint fsync_flags, padding; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_setxattr_in { public uint size, flags; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_getxattr_in { public uint size, padding; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_getxattr_out { public uint size, padding; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_file_lock { public ulong start, end; public uint type, pid; }

[StructLayout(LayoutKind.Sequential)]
public struct fuse_lk_in
{
    public ulong fh, owner;
    public fuse_file_lock lk;
    public uint lk_flags, padding;
}

[StructLayout(LayoutKind.Sequential)] public struct fuse_lk_out { public fuse_file_lock lk; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_access_in { public uint mask, padding; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_interrupt_in { public ulong unique; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_fallocate_in { public ulong fh, offset, length; public uint mode, padding; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_lseek_in { public ulong fh, offset; public uint whence, padding; }

/// <summary>READDIR record header; the name follows, and the record is padded to 8 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct fuse_dirent
{
    public ulong ino, off;
    public uint namelen, type;
}

/// <summary>READDIRPLUS record header: an entry_out, then a dirent and its name.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct fuse_direntplus
{
    public fuse_entry_out entry_out;
    public fuse_dirent dirent;
}

[StructLayout(LayoutKind.Sequential)] public struct fuse_notify_inval_inode_out { public ulong ino; public long off, len; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_notify_inval_entry_out { public ulong parent; public uint namelen, flags; }
[StructLayout(LayoutKind.Sequential)] public struct fuse_notify_delete_out { public ulong parent, child; public uint namelen, padding; }

/// <summary>Argument of FUSE_DEV_IOC_BACKING_OPEN.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct fuse_backing_map
{
    public int fd;
    public uint flags;
    public ulong padding;
}

// ---- FUSE over io_uring (7.42) ----

/// <summary>fuse_uring_ent_in_out: the commit id of the request in the entry and the payload size, both ways.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct fuse_uring_ent_in_out
{
    public ulong flags, commit_id;
    public uint payload_sz, padding;
    public ulong reserved;
}

/// <summary>fuse_uring_req_header: iov[0] of an entry. in_out holds fuse_in_header on a fetch, fuse_out_header on a commit.</summary>
[StructLayout(LayoutKind.Explicit, Size = 288)]
public struct fuse_uring_req_header
{
    public const int InOutOffset = 0, OpInOffset = 128, OpInSize = 128;
    [FieldOffset(256)] public fuse_uring_ent_in_out ring_ent_in_out;
}

/// <summary>fuse_uring_cmd_req: the SQE's command area for REGISTER and COMMIT_AND_FETCH.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct fuse_uring_cmd_req
{
    public ulong flags, commit_id;
    public ushort qid;
    public ushort padding0;
    public uint padding1;
}
