// The opcode table: one row per opcode with its name, the minimum input size, how many NUL-terminated names follow
// the input struct, whether the kernel expects a reply, and the handler. Built once; rows for opcodes Altitude
// answers with ENOSYS on purpose say so (docs/operations.md, "ENOSYS").
using Altitude.Fuse.Kernel;

namespace Altitude.Fuse;

internal static unsafe class OpcodeTable
{
    internal readonly struct Row
    {
        public readonly string Name;
        public readonly int InSize;
        public readonly int Names;
        public readonly bool NoReply;
        public readonly Action<IRawFileSystem, FuseRequest>? Handler;

        public Row(string name, int inSize, int names, bool noReply, Action<IRawFileSystem, FuseRequest>? handler)
        {
            Name = name; InSize = inSize; Names = names; NoReply = noReply; Handler = handler;
        }
    }

    internal static readonly Row[] Rows = Build();

    private static Row[] Build()
    {
        var t = new Row[64];
        void Set(FuseOpcode op, int inSize, int names, Action<IRawFileSystem, FuseRequest>? h, bool noReply = false)
            => t[(int)op] = new Row(op.ToString(), inSize, names, noReply, h);

        Set(FuseOpcode.LOOKUP, 0, 1, static (fs, r) => fs.Lookup(r));
        Set(FuseOpcode.FORGET, sizeof(fuse_forget_in), 0, static (fs, r) => fs.Forget(r.NodeId, r.In<fuse_forget_in>().nlookup), noReply: true);
        Set(FuseOpcode.BATCH_FORGET, sizeof(fuse_batch_forget_in), 0, BatchForget, noReply: true);
        Set(FuseOpcode.GETATTR, sizeof(fuse_getattr_in), 0, static (fs, r) => fs.GetAttr(r));
        Set(FuseOpcode.SETATTR, sizeof(fuse_setattr_in), 0, static (fs, r) => fs.SetAttr(r));
        Set(FuseOpcode.READLINK, 0, 0, static (fs, r) => fs.ReadLink(r));
        Set(FuseOpcode.SYMLINK, 0, 2, static (fs, r) => fs.Symlink(r));
        Set(FuseOpcode.MKNOD, sizeof(fuse_mknod_in), 1, static (fs, r) => fs.Mknod(r));
        Set(FuseOpcode.MKDIR, sizeof(fuse_mkdir_in), 1, static (fs, r) => fs.Mkdir(r));
        Set(FuseOpcode.UNLINK, 0, 1, static (fs, r) => fs.Unlink(r));
        Set(FuseOpcode.RMDIR, 0, 1, static (fs, r) => fs.Rmdir(r));
        Set(FuseOpcode.RENAME, sizeof(fuse_rename_in), 2, static (fs, r) => fs.Rename(r));
        Set(FuseOpcode.RENAME2, sizeof(fuse_rename2_in), 2, static (fs, r) => fs.Rename(r));
        Set(FuseOpcode.LINK, sizeof(fuse_link_in), 1, static (fs, r) => fs.Link(r));
        Set(FuseOpcode.OPEN, sizeof(fuse_open_in), 0, static (fs, r) => fs.Open(r));
        Set(FuseOpcode.READ, sizeof(fuse_read_in), 0, static (fs, r) => fs.Read(r));
        Set(FuseOpcode.WRITE, sizeof(fuse_write_in), 0, static (fs, r) => fs.Write(r));
        Set(FuseOpcode.STATFS, 0, 0, static (fs, r) => fs.StatFs(r));
        Set(FuseOpcode.RELEASE, sizeof(fuse_release_in), 0, static (fs, r) => fs.Release(r));
        Set(FuseOpcode.FSYNC, sizeof(fuse_fsync_in), 0, static (fs, r) => fs.Fsync(r));
        Set(FuseOpcode.SETXATTR, sizeof(fuse_setxattr_in), 1, static (fs, r) => fs.SetXattr(r));
        Set(FuseOpcode.GETXATTR, sizeof(fuse_getxattr_in), 1, static (fs, r) => fs.GetXattr(r));
        Set(FuseOpcode.LISTXATTR, sizeof(fuse_getxattr_in), 0, static (fs, r) => fs.ListXattr(r));
        Set(FuseOpcode.REMOVEXATTR, 0, 1, static (fs, r) => fs.RemoveXattr(r));
        Set(FuseOpcode.FLUSH, sizeof(fuse_flush_in), 0, static (fs, r) => fs.Flush(r));
        Set(FuseOpcode.OPENDIR, sizeof(fuse_open_in), 0, static (fs, r) => fs.OpenDir(r));
        Set(FuseOpcode.READDIR, sizeof(fuse_read_in), 0, static (fs, r) => fs.ReadDir(r));
        Set(FuseOpcode.READDIRPLUS, sizeof(fuse_read_in), 0, static (fs, r) => fs.ReadDir(r));
        Set(FuseOpcode.RELEASEDIR, sizeof(fuse_release_in), 0, static (fs, r) => fs.ReleaseDir(r));
        Set(FuseOpcode.FSYNCDIR, sizeof(fuse_fsync_in), 0, static (fs, r) => fs.FsyncDir(r));
        Set(FuseOpcode.GETLK, sizeof(fuse_lk_in), 0, static (fs, r) => fs.GetLk(r));
        Set(FuseOpcode.SETLK, sizeof(fuse_lk_in), 0, static (fs, r) => fs.SetLk(r));
        Set(FuseOpcode.SETLKW, sizeof(fuse_lk_in), 0, static (fs, r) => fs.SetLk(r));
        Set(FuseOpcode.CREATE, sizeof(fuse_create_in), 1, static (fs, r) => fs.Create(r));
        Set(FuseOpcode.INTERRUPT, sizeof(fuse_interrupt_in), 0, static (fs, r) => fs.Interrupt(r.In<fuse_interrupt_in>().unique), noReply: true);
        Set(FuseOpcode.FALLOCATE, sizeof(fuse_fallocate_in), 0, static (fs, r) => fs.Fallocate(r));
        // Deliberately ENOSYS (sticky for most): default_permissions makes ACCESS unnecessary; BMAP is fuseblk's;
        // IOCTL, POLL, LSEEK, COPY_FILE_RANGE, STATX, TMPFILE and SYNCFS fall back in the kernel (docs/operations.md 2.5).
        foreach (var op in new[] { FuseOpcode.ACCESS, FuseOpcode.BMAP, FuseOpcode.IOCTL, FuseOpcode.POLL, FuseOpcode.LSEEK,
                     FuseOpcode.COPY_FILE_RANGE, FuseOpcode.COPY_FILE_RANGE_64, FuseOpcode.STATX, FuseOpcode.TMPFILE, FuseOpcode.SYNCFS,
                     FuseOpcode.SETUPMAPPING, FuseOpcode.REMOVEMAPPING })
            Set(op, 0, 0, null);
        // INIT and DESTROY are the server's own; NOTIFY_REPLY answers a RETRIEVE Altitude never sends.
        Set(FuseOpcode.INIT, sizeof(fuse_init_in), 0, null);
        Set(FuseOpcode.DESTROY, 0, 0, null);
        Set(FuseOpcode.NOTIFY_REPLY, 0, 0, null, noReply: true);
        return t;
    }

    private static void BatchForget(IRawFileSystem fs, FuseRequest r)
    {
        uint count = r.In<fuse_batch_forget_in>().count;
        ReadOnlySpan<byte> items = r.Payload[sizeof(fuse_batch_forget_in)..];
        for (int i = 0; i < count && (i + 1) * sizeof(fuse_forget_one) <= items.Length; i++)
        {
            var one = System.Runtime.InteropServices.MemoryMarshal.Read<fuse_forget_one>(items[(i * sizeof(fuse_forget_one))..]);
            fs.Forget(one.nodeid, one.nlookup);
        }
    }

    /// <summary>True when the payload holds the opcode's struct and its names.</summary>
    internal static bool Validate(in Row row, FuseRequest r)
    {
        if (r.PayloadLength < row.InSize) return false;
        int offset = row.InSize;
        for (int i = 0; i < row.Names; i++)
            if (!r.TryGetName(offset, out _, out offset)) return false;
        return true;
    }
}
