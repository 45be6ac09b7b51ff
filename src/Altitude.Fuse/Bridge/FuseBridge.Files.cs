// Opens, data and closes: OPEN/OPENDIR/CREATE (CREATE), READ, WRITE, RELEASE(DIR) (CLEANUP + CLOSE), FSYNC(DIR)
// (FLUSH_BUFFERS), FLUSH (informational), FALLOCATE (SET_INFORMATION Allocation). docs/operations.md, section 2.3.
using Altitude.Fuse.Interop;
using Altitude.Fuse.Kernel;

namespace Altitude.Fuse.Bridge;

internal sealed partial class FuseBridge
{
    public void Open(FuseRequest r) => OpenNode(r, directory: false);
    public void OpenDir(FuseRequest r) => OpenNode(r, directory: true);

    /// <summary>
    /// OPEN/OPENDIR: a CREATE of the node the kernel names (no extra node reference), bound to that node, with the name
    /// it was last seen under, so that pre-create sees a name as it does for CREATE.
    /// </summary>
    private void OpenNode(FuseRequest r, bool directory)
    {
        RequestState s = StateOf(r);
        int flags = (int)r.In<fuse_open_in>().flags;
        if (directory) flags |= OpenFlags.O_DIRECTORY;
        OpenHandle h = handles.Allocate();
        s.Handle = h;
        FileObject fo = h.File;
        fo.NodeId = r.NodeId;
        if (nodes.TryGetName(r.NodeId, h.Name, out int length, out ulong parent))
        {
            fo.ParentNodeId = parent;
            fo.FileName = h.Name.AsMemory(0, length);
        }
        fo.OpenFlags = flags;
        if (directory) fo.Flags |= FileObjectFlags.Directory;
        CallbackData d = Begin(s, MajorFunction.Create, fo);
        FillCreate(d, flags, 0, directory);
        PosixParity.KillOnOpen(d, r.In<fuse_open_in>().open_flags);
        Run(s);
    }

    public void Create(FuseRequest r)
    {
        RequestState s = StateOf(r);
        ref fuse_create_in c = ref r.In<fuse_create_in>();
        r.TryGetName(16, out var name, out _);
        if (name.Length > 255) { r.ReplyError(36 /* ENAMETOOLONG */); return; }
        OpenHandle h = handles.Allocate();
        s.Handle = h;
        name.Span.CopyTo(h.Name);
        FileObject fo = h.File;
        fo.ParentNodeId = r.NodeId;
        fo.FileName = h.Name.AsMemory(0, name.Length);   // outlives the request buffer
        fo.OpenFlags = (int)c.flags;
        CallbackData d = Begin(s, MajorFunction.Create, fo);
        FillCreate(d, (int)c.flags, c.mode, directory: false);
        d.Iopb.Parameters.Create.Umask = c.umask;
        PosixParity.KillOnOpen(d, c.open_flags);
        SetOwner(s, r.NodeId, ref d.Iopb.Parameters.Create);
        Run(s);
    }

    private static void FillCreate(CallbackData d, int flags, uint mode, bool directory)
    {
        ref CreateParameters p = ref d.Iopb.Parameters.Create;
        bool direct = (flags & OpenFlags.O_DIRECT) != 0;
        p.OpenFlags = flags;
        p.Mode = mode;
        p.NodeKind = CreateNodeKind.RegularFile;
        p.Options = CreateParameters.MakeOptions(OpenFlags.ToDisposition(flags),
            directory ? CreateOptions.DirectoryFile : direct ? CreateOptions.NonDirectoryFile | CreateOptions.NoIntermediateBuffering : CreateOptions.NonDirectoryFile);
        p.DesiredAccess = OpenFlags.ToDesiredAccess(flags);
        p.ShareAccess = 7;
        if (direct) d.Iopb.IrpFlags |= IoParameterBlock.IrpNocache;
    }

    private bool CompleteOpen(RequestState s)
    {
        OpenHandle h = s.Handle!;
        int errno = ErrnoOf(s);
        if (errno != 0) { AbandonOpen(h); s.Request.ReplyError(errno); return false; }
        h.File.Flags |= FileObjectFlags.HandleCreated;
        FuseRequest r = s.Request;
        ref fuse_open_out o = ref r.ReplyStruct<fuse_open_out>();
        FillOpen(ref o, h, s.Opcode == FuseOpcode.OPENDIR);
        ExpireAttributesBeforeReply(h);
        if (r.Reply(sizeof_open_out) != 0) CloseBelow(h);   // the caller is gone (interrupted): nobody will RELEASE it
        return false;
    }

    private bool CompleteCreate(RequestState s)
    {
        OpenHandle h = s.Handle!;
        int errno = ErrnoOf(s);
        // The name is a FIFO or device the kernel took for missing (a stale negative entry): ESTALE makes the VFS redo
        // the open with revalidation, which finds the node and opens it in the kernel as on ext4 (the daemon never does).
        if (errno == Errno.ENXIO) errno = Errno.ESTALE;
        if (errno != 0) { AbandonOpen(h); s.Request.ReplyError(errno); return false; }
        FileObject fo = h.File;
        ulong node = fo.NodeId;
        // The file object's node reference becomes the kernel's (the entry's lookup); an open inode is never forgotten.
        fo.Flags = (fo.Flags & ~FileObjectFlags.HoldsNodeReference) | FileObjectFlags.HandleCreated;
        FuseRequest r = s.Request;
        Span<byte> reply = r.ReplySpace;
        ref fuse_entry_out e = ref r.ReplyStruct<fuse_entry_out>();
        if (!FillEntry(ref e, node))
        {
            nodes.Forget(node, 1);
            CloseBelow(h);
            r.ReplyError(Libc.EIO);
            return false;
        }
        ref fuse_open_out o = ref System.Runtime.InteropServices.MemoryMarshal.AsRef<fuse_open_out>(reply.Slice(sizeof_entry_out, sizeof_open_out));
        o = default;
        FillOpen(ref o, h, directory: false);
        if (h.CountedWriter) e.attr_valid = 0;   // a writable passthrough open: see FuseBridge.Coherence
        if (r.Reply(sizeof_entry_out + sizeof_open_out) != 0)
        {
            nodes.Forget(node, 1);
            CloseBelow(h);
        }
        return false;
    }

    /// <summary>open_out: the fh and the FOPEN flags the policy allows (passthrough, page cache, directory cache).</summary>
    private void FillOpen(ref fuse_open_out o, OpenHandle h, bool directory)
    {
        CachePolicy p = policy;
        o.fh = (ulong)h.Index;
        // FLUSH has no callback (it is informational), so the kernel need not send it — unless it carries lock releases.
        uint flags = options.ForwardLocks ? 0 : FuseOpenFlags.NOFLUSH;
        if (directory)
        {
            if (!p.DirectoryVisible) flags |= FuseOpenFlags.CACHE_DIR | FuseOpenFlags.KEEP_CACHE;
        }
        else if (passthrough is not null && h.File.FsHandle >= 0)
        {
            int id = passthrough.Open(h.File.NodeId, (int)h.File.FsHandle, p.UsePassthrough, h);
            if (id > 0)
            {
                flags |= FuseOpenFlags.PASSTHROUGH;   // KEEP_CACHE is not allowed with it
                o.backing_id = id;
                NoteWriter(h);
            }
            else if (!p.ReadVisible) flags |= FuseOpenFlags.KEEP_CACHE;
        }
        o.open_flags = flags;
    }

    /// <summary>A CREATE that failed after the loopback opened something (a post-op failed it): undo below, no callbacks.</summary>
    private void AbandonOpen(OpenHandle h)
    {
        CloseBelow(h);
    }

    /// <summary>Closes what an open holds in the loopback without sending CLEANUP/CLOSE (the open never reached its caller).</summary>
    private void CloseBelow(OpenHandle h)
    {
        FileObject fo = h.File;
        passthrough?.Release(fo.NodeId, h);
        ReleaseWriter(h);
        Volume.AbandonFileObject(fo);   // no CLOSE goes through the stack: its contexts go now, the file system lets go below
        handles.Free(h);
    }

    public void Read(FuseRequest r)
    {
        RequestState s = StateOf(r);
        ref fuse_read_in a = ref r.In<fuse_read_in>();
        OpenHandle? h = handles.Get(a.fh);
        if (h is null) { r.ReplyError(9 /* EBADF */); return; }
        int size = (int)Math.Min(a.size, (uint)server!.Options.MaxWrite);
        CallbackData d = Begin(s, MajorFunction.Read, h.File);
        if ((a.flags & OpenFlags.O_DIRECT) != 0) d.Iopb.IrpFlags |= IoParameterBlock.IrpNocache;   // f_flags now, not at open
        ref ReadParameters p = ref d.Iopb.Parameters.Read;
        p.ByteOffset = (long)a.offset;
        p.Length = (uint)size;
        p.ReadBuffer = r.RentData(size);   // by size class: a pended READ holds only what it asked for
        Run(s);
    }

    private bool CompleteRead(RequestState s)
    {
        int errno = ErrnoOf(s);
        if (errno != 0) { s.Request.ReplyError(errno); return false; }
        ref ReadParameters p = ref s.Data.Iopb.Parameters.Read;
        // A filter may have swapped the buffer (swapBuffers); the reply comes from whatever buffer the post-ops left.
        int n = (int)Math.Clamp(s.Data.IoStatus.Information, 0, Math.Min(p.ReadBuffer.Length, p.Length));
        s.Request.ReplyData(p.ReadBuffer[..n]);
        return false;
    }

    public void Write(FuseRequest r)
    {
        RequestState s = StateOf(r);
        ref fuse_write_in a = ref r.In<fuse_write_in>();
        OpenHandle? h = handles.Get(a.fh);
        if (h is null) { r.ReplyError(9 /* EBADF */); return; }
        int size = (int)Math.Min(a.size, (uint)Math.Max(0, r.PayloadLength - 40));
        if ((a.write_flags & FuseFlags.WRITE_CACHE) != 0) s.Requestor = Requestor.Unknown;   // writeback: the page cache writes
        CallbackData d = Begin(s, MajorFunction.Write, h.File);
        if ((a.write_flags & FuseKillFlags.WRITE_KILL_SUIDGID) != 0) d.Iopb.IrpFlags |= IoParameterBlock.IrpClearSetId;
        // The kernel's writeback of mapped pages is paging I/O; an O_DIRECT write non-cached; any other WRITE is the
        // caller's write, sent through at once (no writeback cache), which carries no flag (operations.md section 6.2).
        if ((a.write_flags & FuseFlags.WRITE_CACHE) != 0) d.Iopb.IrpFlags |= IoParameterBlock.IrpPagingIo | IoParameterBlock.IrpNocache;
        else if ((a.flags & OpenFlags.O_DIRECT) != 0) d.Iopb.IrpFlags |= IoParameterBlock.IrpNocache;
        ref WriteParameters p = ref d.Iopb.Parameters.Write;
        p.ByteOffset = (long)a.offset;
        p.Length = (uint)size;
        p.WriteBuffer = r.PayloadMemory(40, size);   // page-aligned (FuseRequest.ReadOffset)
        Run(s);
    }

    private bool CompleteWrite(RequestState s)
    {
        int errno = ErrnoOf(s);
        if (errno != 0) { s.Request.ReplyError(errno); return false; }
        ref fuse_write_out o = ref s.Request.ReplyStruct<fuse_write_out>();
        o.size = (uint)s.Data.IoStatus.Information;
        s.Request.Reply(8);
        return false;
    }

    public void Release(FuseRequest r) => ReleaseHandle(r);
    public void ReleaseDir(FuseRequest r) => ReleaseHandle(r);

    /// <summary>RELEASE: CLEANUP (the last handle went away) then CLOSE. The kernel sends it without a caller.</summary>
    private void ReleaseHandle(FuseRequest r)
    {
        RequestState s = StateOf(r);
        OpenHandle? h = handles.Get(r.In<fuse_release_in>().fh);
        if (h is null) { r.ReplyError(0); return; }
        s.Handle = h;
        s.Requestor = Requestor.Unknown;
        Begin(s, MajorFunction.Cleanup, h.File);
        Run(s);
    }

    private bool CompleteRelease(RequestState s)
    {
        OpenHandle h = s.Handle!;
        if (s.Step++ == 0)
        {
            h.File.Flags |= FileObjectFlags.CleanupComplete;
            Begin(s, MajorFunction.Close, h.File);
            return true;
        }
        h.File.Flags |= FileObjectFlags.Closed;
        passthrough?.Release(h.File.NodeId, h);
        ReleaseWriter(h);
        handles.Free(h);
        s.Request.ReplyError(0);
        return false;
    }

    public void Flush(FuseRequest r) => r.ReplyError(0);   // informational: no callback (docs/operations.md)

    public void Fsync(FuseRequest r) => FlushBuffers(r);
    public void FsyncDir(FuseRequest r) => FlushBuffers(r);

    private void FlushBuffers(FuseRequest r)
    {
        RequestState s = StateOf(r);
        ref fuse_fsync_in f = ref r.In<fuse_fsync_in>();
        OpenHandle? h = handles.Get(f.fh);
        if (h is null) { r.ReplyError(9); return; }
        bool dataOnly = (f.fsync_flags & FuseFlags.FSYNC_FDATASYNC) != 0;
        CallbackData d = Begin(s, MajorFunction.FlushBuffers, h.File, dataOnly ? MinorFunction.FlushDataOnly : (byte)0);
        d.Iopb.Parameters.FlushBuffers.DataOnly = dataOnly;
        Run(s);
    }

    public void Fallocate(FuseRequest r)
    {
        RequestState s = StateOf(r);
        ref fuse_fallocate_in f = ref r.In<fuse_fallocate_in>();
        OpenHandle? h = handles.Get(f.fh);
        if (h is null) { r.ReplyError(9); return; }
        CallbackData d = Begin(s, MajorFunction.SetInformation, h.File);
        PosixParity.KillOnFallocate(d, r.Header.uid);
        ref SetFileInformationParameters p = ref d.Iopb.Parameters.SetFileInformation;
        p.FileInformationClass = FileInformationClass.FileAllocationInformation;
        p.AllocationMode = (int)f.mode;
        p.AllocationOffset = (long)f.offset;
        p.AllocationLength = (long)f.length;
        Run(s);
    }
}
