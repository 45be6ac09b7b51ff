// Names and attributes: LOOKUP (NETWORK_QUERY_OPEN), GETATTR (QUERY_INFORMATION), SETATTR (SET_SECURITY +
// SET_INFORMATION), READLINK (FSCTL_GET_REPARSE_POINT), MKDIR/MKNOD/SYMLINK (CREATE + CLEANUP + CLOSE),
// UNLINK/RMDIR (DispositionEx), RENAME(2) (RenameEx) and LINK (LinkEx). docs/operations.md, sections 2.1 and 2.2.
using System.Runtime.InteropServices;
using Altitude.Fuse.Interop;
using Altitude.Fuse.Kernel;

namespace Altitude.Fuse.Bridge;

internal sealed partial class FuseBridge
{
    public void Lookup(FuseRequest r)
    {
        RequestState s = StateOf(r);
        r.TryGetName(0, out var name, out _);
        // Not transient: the lookup reference the loopback takes is kept for the kernel (LoopbackDriver.ExecuteQueryOpen).
        FileObject fo = RequestState.Reset(s.Named, FileObjectFlags.None);
        fo.ParentNodeId = r.NodeId;
        fo.FileName = name;
        Begin(s, MajorFunction.NetworkQueryOpen, fo);
        Run(s);
    }

    private bool CompleteLookup(RequestState s)
    {
        if (s.Step > 0) return CompleteLookupOpen(s);
        // A filter refused the query-open path (DISALLOW_FSFILTER_IO): the lookup is re-issued as a real open.
        if (s.Data.IoStatus.Status == NtStatus.FltDisallowFastIo) return BeginLookupOpen(s);
        ref NetworkQueryOpenParameters p = ref s.Data.Iopb.Parameters.NetworkQueryOpen;
        FuseRequest r = s.Request;
        int errno = ErrnoOf(s);
        if (errno == 0 && p.NodeId != 0)
        {
            ref fuse_entry_out e = ref r.ReplyStruct<fuse_entry_out>();
            CachePolicy policyNow = policy;
            NoteNode(p.NodeId);
            e.nodeid = p.NodeId;
            e.generation = p.Generation;
            FuseAttributes.SetTimeouts(ref e, policyNow.EntryTimeout, AttrTimeoutFor(p.NodeId, policyNow.EntryAttrTimeout));
            FuseAttributes.Fill(ref e.attr, in p.Stat);   // as the filters left it
            if (r.Reply(sizeof_entry_out) != 0) nodes.Forget(p.NodeId, 1);
            return false;
        }
        // The lookup happened below but a filter failed it afterwards: the name stays hidden, give the reference back.
        if (p.NodeId != 0) nodes.Forget(p.NodeId, 1);
        ReplyLookupFailure(s, errno == 0 ? Libc.ENOENT : errno);
        return false;
    }

    /// <summary>A failed lookup: a negative entry for ENOENT while entries are cached, the errno otherwise.</summary>
    private void ReplyLookupFailure(RequestState s, int errno)
    {
        FuseRequest r = s.Request;
        ulong timeout = policy.EntryTimeout;
        if (errno == Libc.ENOENT && timeout > 0)
        {
            // A negative entry: compilers and shells probe many missing names.
            ref fuse_entry_out e = ref r.ReplyStruct<fuse_entry_out>();
            e.entry_valid = timeout;
            r.Reply(sizeof_entry_out);
            return;
        }
        r.ReplyError(errno);
    }

    /// <summary>
    /// The slow path of a lookup, as the I/O manager takes it when the fast query-open is refused: CREATE (open existing,
    /// attributes only: O_PATH, so no data is opened and no permission beyond the search is needed), CLEANUP, CLOSE,
    /// with the node reference the open took handed to the kernel's entry.
    /// </summary>
    private static bool BeginLookupOpen(RequestState s)
    {
        FileObject fo = s.Named;
        ReadOnlyMemory<byte> name = fo.FileName;
        ulong parent = fo.ParentNodeId;
        fo = RequestState.Reset(fo, FileObjectFlags.None);
        fo.ParentNodeId = parent;
        fo.FileName = name;
        fo.OpenFlags = OpenFlags.O_PATH | OpenFlags.O_NOFOLLOW;
        ref CreateParameters p = ref Begin(s, MajorFunction.Create, fo).Iopb.Parameters.Create;
        p.OpenFlags = fo.OpenFlags;
        p.NodeKind = CreateNodeKind.RegularFile;
        p.Options = CreateParameters.MakeOptions(CreateDisposition.Open, CreateOptions.None);
        p.DesiredAccess = AccessMask.FileReadAttributes | AccessMask.Synchronize;
        p.ShareAccess = 7;
        s.Step = 1;
        return true;
    }

    private bool CompleteLookupOpen(RequestState s)
    {
        int step = s.Step++ - 1;
        if (step == 0 && ErrnoOf(s) is int errno && errno != 0)
        {
            GiveBackCreatedReference(s);
            s.Request.ReplyError(errno);   // no negative entry: CREATE filters answered (see ReplyEntry)
            return false;
        }
        return CloseThenReplyEntry(s, step);
    }

    /// <summary>A post-create failed a CREATE after the file system did it: the node reference the open took goes back.</summary>
    private void GiveBackCreatedReference(RequestState s)
    {
        if ((s.Named.Flags & FileObjectFlags.HoldsNodeReference) != 0) Volume.AbandonFileObject(s.Named);
    }

    /// <summary>
    /// After a CREATE whose node goes to the kernel's entry (MKDIR, MKNOD, SYMLINK, a slow-path lookup): step 0 hands the
    /// open's node reference to the entry and sends the synthesized CLEANUP, step 1 the CLOSE, then the entry reply.
    /// </summary>
    private bool CloseThenReplyEntry(RequestState s, int step)
    {
        FileObject fo = s.Named;
        switch (step)
        {
            case 0:
                s.Node = fo.NodeId;
                fo.Flags = (fo.Flags & ~FileObjectFlags.HoldsNodeReference) | FileObjectFlags.HandleCreated;
                Begin(s, MajorFunction.Cleanup, fo);
                return true;
            case 1:
                fo.Flags |= FileObjectFlags.CleanupComplete;
                Begin(s, MajorFunction.Close, fo);
                return true;
            default:
                fo.Flags |= FileObjectFlags.Closed;
                ReplyEntry(s, s.Node);
                return false;
        }
    }

    public void GetAttr(FuseRequest r)
    {
        RequestState s = StateOf(r);
        ref fuse_getattr_in g = ref r.In<fuse_getattr_in>();
        OpenHandle? h = (g.getattr_flags & FuseFlags.GETATTR_FH) != 0 ? handles.Get(g.fh) : null;
        CallbackData d = Begin(s, MajorFunction.QueryInformation, h?.File ?? TransientNode(s, r.NodeId));
        d.Iopb.Parameters.QueryFileInformation.FileInformationClass = FileInformationClass.FileStatLxInformation;
        Run(s);
    }

    private bool CompleteGetAttr(RequestState s)
    {
        int errno = ErrnoOf(s);
        if (errno != 0) { s.Request.ReplyError(errno); return false; }
        ref fuse_attr_out a = ref s.Request.ReplyStruct<fuse_attr_out>();
        a.attr_valid = AttrTimeoutFor(s.Request.NodeId, policy.AttrTimeout);   // what the QUERY_INFORMATION filters answered
        FuseAttributes.Fill(ref a.attr, in s.Data.Iopb.Parameters.QueryFileInformation.Stat);
        s.Request.Reply(104);
        return false;
    }

    // SETATTR: up to three operations in the order of docs/operations.md 2.2, stopping at the first failure:
    // step 0 SET_SECURITY (owner, group, mode), step 1 SET_INFORMATION EndOfFile, step 2 SET_INFORMATION Basic.
    public void SetAttr(FuseRequest r)
    {
        RequestState s = StateOf(r);
        s.Node = r.NodeId;
        s.Step = -1;
        if (NextSetAttrStep(s)) Run(s);
    }

    private bool CompleteSetAttr(RequestState s)
    {
        int errno = ErrnoOf(s);
        if (errno != 0) { s.Request.ReplyError(errno); return false; }
        return NextSetAttrStep(s);
    }

    private bool NextSetAttrStep(RequestState s)
    {
        FuseRequest r = s.Request;
        ref fuse_setattr_in a = ref r.In<fuse_setattr_in>();
        uint v = a.valid;
        for (s.Step++; s.Step < 3; s.Step++)
        {
            switch (s.Step)
            {
                case 0 when (v & (FuseSetattrValid.MODE | FuseSetattrValid.UID | FuseSetattrValid.GID)) != 0:
                {
                    ref SecurityParameters p = ref Begin(s, MajorFunction.SetSecurity, TransientNode(s, s.Node)).Iopb.Parameters.SetSecurity;
                    if ((v & FuseSetattrValid.MODE) != 0) { p.SecurityInformation |= SecurityInformation.Dacl; p.Mode = a.mode & 0xFFF; }
                    if ((v & FuseSetattrValid.UID) != 0) { p.SecurityInformation |= SecurityInformation.Owner; p.Uid = a.uid; }
                    if ((v & FuseSetattrValid.GID) != 0) { p.SecurityInformation |= SecurityInformation.Group; p.Gid = a.gid; }
                    return true;
                }
                case 1 when (v & FuseSetattrValid.SIZE) != 0:
                {
                    OpenHandle? h = (v & FuseSetattrValid.FH) != 0 ? handles.Get(a.fh) : null;
                    CallbackData d = Begin(s, MajorFunction.SetInformation, h?.File ?? TransientNode(s, s.Node));
                    if ((v & FuseSetattrValid.KILL_SUIDGID) != 0) d.Iopb.IrpFlags |= IoParameterBlock.IrpClearSetId;
                    ref SetFileInformationParameters p = ref d.Iopb.Parameters.SetFileInformation;
                    p.FileInformationClass = FileInformationClass.FileEndOfFileInformation;
                    p.EndOfFile = (long)a.size;
                    return true;
                }
                case 2 when (v & (FuseSetattrValid.ATIME | FuseSetattrValid.MTIME | FuseSetattrValid.ATIME_NOW | FuseSetattrValid.MTIME_NOW)) != 0:
                {
                    ref SetFileInformationParameters p = ref Begin(s, MajorFunction.SetInformation, TransientNode(s, s.Node)).Iopb.Parameters.SetFileInformation;
                    p.FileInformationClass = FileInformationClass.FileBasicInformation;
                    p.Basic.LastAccessTime = (v & FuseSetattrValid.ATIME_NOW) != 0 ? TimeSpecValue.Now
                        : (v & FuseSetattrValid.ATIME) != 0 ? new TimeSpecValue((long)a.atime, a.atimensec) : TimeSpecValue.Omit;
                    p.Basic.LastWriteTime = (v & FuseSetattrValid.MTIME_NOW) != 0 ? TimeSpecValue.Now
                        : (v & FuseSetattrValid.MTIME) != 0 ? new TimeSpecValue((long)a.mtime, a.mtimensec) : TimeSpecValue.Omit;
                    return true;
                }
            }
        }
        // The reply's attributes are read below the stack (filters saw the changes themselves).
        if (!fileSystem.QueryNodeAttributes(s.Node, out FileStatInformation attr).IsSuccess()) { r.ReplyError(Libc.EIO); return false; }
        ref fuse_attr_out o = ref r.ReplyStruct<fuse_attr_out>();
        o.attr_valid = AttrTimeoutFor(s.Node, policy.EntryAttrTimeout);   // read below the stack, as a LOOKUP's
        FuseAttributes.Fill(ref o.attr, in attr);
        r.Reply(104);
        return false;
    }

    public void ReadLink(FuseRequest r)
    {
        RequestState s = StateOf(r);
        CallbackData d = Begin(s, MajorFunction.FileSystemControl, TransientNode(s, r.NodeId), MinorFunction.UserFsRequest);
        d.Iopb.Parameters.FileSystemControl.FsControlCode = FsControlCode.GetReparsePoint;
        r.EnsureReplyCapacity(4096);
        d.Iopb.Parameters.FileSystemControl.OutputBuffer = r.ReplyMemory[..4096];
        Run(s);
    }

    private bool CompleteReadLink(RequestState s)
    {
        int errno = ErrnoOf(s);
        if (errno != 0) { s.Request.ReplyError(errno); return false; }
        Memory<byte> target = s.Data.Iopb.Parameters.FileSystemControl.OutputBuffer;
        s.Request.ReplyData(target[..(int)Math.Clamp(s.Data.IoStatus.Information, 0, target.Length)]);
        return false;
    }

    public void Symlink(FuseRequest r)
    {
        // SYMLINK carries the new name first, then the target.
        r.TryGetName(0, out var name, out int next);
        r.TryGetName(next, out var target, out _);
        MakeNode(r, name, CreateNodeKind.SymbolicLink, 0xA1FF, 0, 0, target);
    }

    public void Mknod(FuseRequest r)
    {
        ref fuse_mknod_in m = ref r.In<fuse_mknod_in>();
        r.TryGetName(16, out var name, out _);
        MakeNode(r, name, CreateNodeKind.SpecialFile, m.mode, m.umask, FuseAttributes.DecodeDevice(m.rdev), default);
    }

    public void Mkdir(FuseRequest r)
    {
        ref fuse_mkdir_in m = ref r.In<fuse_mkdir_in>();
        r.TryGetName(8, out var name, out _);
        MakeNode(r, name, CreateNodeKind.Directory, m.mode, m.umask, 0, default);
    }

    /// <summary>CREATE of a directory, special file or symlink (FILE_CREATE), then the synthesized CLEANUP and CLOSE.</summary>
    private void MakeNode(FuseRequest r, ReadOnlyMemory<byte> name, CreateNodeKind kind, uint mode, uint umask, ulong rdev, ReadOnlyMemory<byte> target)
    {
        RequestState s = StateOf(r);
        FileObject fo = RequestState.Reset(s.Named, kind == CreateNodeKind.Directory ? FileObjectFlags.Directory : FileObjectFlags.None);
        fo.ParentNodeId = r.NodeId;
        fo.FileName = name;
        ref CreateParameters p = ref Begin(s, MajorFunction.Create, fo).Iopb.Parameters.Create;
        p.NodeKind = kind;
        p.Mode = mode;
        p.Umask = umask;
        p.DeviceNumber = rdev;
        p.SymbolicLinkTarget = target;
        p.Options = CreateParameters.MakeOptions(CreateDisposition.Create, kind == CreateNodeKind.Directory ? CreateOptions.DirectoryFile : CreateOptions.NonDirectoryFile);
        p.DesiredAccess = AccessMask.FileReadAttributes | AccessMask.Synchronize;
        p.ShareAccess = 7;
        SetOwner(s, r.NodeId, ref p);
        Run(s);
    }

    /// <summary>New nodes belong to the caller; in a set-group-id directory the group is the directory's (as the kernel does).</summary>
    private void SetOwner(RequestState s, ulong parent, ref CreateParameters p)
    {
        p.OwnerUid = s.Request.Header.uid;
        p.OwnerGid = s.Request.Header.gid;
        if (fileSystem.QueryNodeAttributes(parent, out FileStatInformation dir).IsSuccess() && (dir.Mode & 0x400) != 0) p.OwnerGid = dir.Gid;
    }

    private bool CompleteMakeNode(RequestState s)
    {
        int step = s.Step++;
        if (step == 0 && ErrnoOf(s) is int errno && errno != 0)
        {
            GiveBackCreatedReference(s);
            s.Request.ReplyError(errno);
            return false;
        }
        return CloseThenReplyEntry(s, step);
    }

    public void Unlink(FuseRequest r) => Delete(r, directory: false);
    public void Rmdir(FuseRequest r) => Delete(r, directory: true);

    private void Delete(FuseRequest r, bool directory)
    {
        RequestState s = StateOf(r);
        r.TryGetName(0, out var name, out _);
        ref SetFileInformationParameters p = ref Begin(s, MajorFunction.SetInformation, TransientName(s, r.NodeId, name)).Iopb.Parameters.SetFileInformation;
        p.FileInformationClass = FileInformationClass.FileDispositionInformationEx;
        p.DispositionFlags = DispositionFlags.Delete | DispositionFlags.PosixSemantics | (directory ? DispositionFlags.Directory : 0);
        Run(s);
    }

    public void Rename(FuseRequest r)
    {
        RequestState s = StateOf(r);
        bool two = r.Opcode == FuseOpcode.RENAME2;
        ulong newDir = two ? r.In<fuse_rename2_in>().newdir : r.In<fuse_rename_in>().newdir;
        uint flags = two ? r.In<fuse_rename2_in>().flags : 0;
        r.TryGetName(two ? 16 : 8, out var name, out int next);
        r.TryGetName(next, out var newName, out _);
        ref SetFileInformationParameters p = ref Begin(s, MajorFunction.SetInformation, TransientName(s, r.NodeId, name)).Iopb.Parameters.SetFileInformation;
        p.FileInformationClass = FileInformationClass.FileRenameInformationEx;
        RenameFlags rf = RenameFlags.PosixSemantics;
        if ((flags & FuseFlags.RENAME_EXCHANGE) != 0) rf |= RenameFlags.Exchange;
        else if ((flags & FuseFlags.RENAME_NOREPLACE) == 0) rf |= RenameFlags.ReplaceIfExists;
        if ((flags & FuseFlags.RENAME_WHITEOUT) != 0) rf |= RenameFlags.Whiteout;
        p.RenameFlags = rf;
        p.DestinationDirectory = newDir;
        p.DestinationName = newName;
        Run(s);
    }

    public void Link(FuseRequest r)
    {
        RequestState s = StateOf(r);
        r.TryGetName(8, out var newName, out _);
        s.Node = r.In<fuse_link_in>().oldnodeid;
        // Not transient: LoopbackDriver.Link keeps the new lookup reference for the kernel's entry.
        FileObject fo = RequestState.Reset(s.Named, FileObjectFlags.None);
        fo.NodeId = s.Node;
        ref SetFileInformationParameters p = ref Begin(s, MajorFunction.SetInformation, fo).Iopb.Parameters.SetFileInformation;
        p.FileInformationClass = FileInformationClass.FileLinkInformationEx;
        p.RenameFlags = RenameFlags.PosixSemantics;
        p.DestinationDirectory = r.NodeId;
        p.DestinationName = newName;
        Run(s);
    }

    private bool CompleteLink(RequestState s)
    {
        FileObject fo = s.Named;
        // The link's new lookup reference (taken below) goes to the kernel's entry, or back if a post-op failed the link.
        bool holds = (fo.Flags & FileObjectFlags.HoldsNodeReference) != 0;
        fo.Flags &= ~FileObjectFlags.HoldsNodeReference;
        int errno = ErrnoOf(s);
        if (errno != 0)
        {
            if (holds) nodes.Forget(s.Node, 1);
            s.Request.ReplyError(errno);
            return false;
        }
        ReplyEntry(s, s.Node);
        return false;
    }

    private static Memory<byte> Writable(ReadOnlyMemory<byte> m) => MemoryMarshal.AsMemory(m);
}
