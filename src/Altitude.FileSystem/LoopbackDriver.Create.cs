// IRP_MJ_CREATE and IRP_MJ_CLOSE on the loopback: open, create (file, directory, special file, symlink)
// with the disposition the caller asked for, and the release of what an open holds.
namespace Altitude.FileSystem;

public sealed partial class LoopbackDriver
{
    private NtStatus ExecuteCreate(CallbackData data, out long information)
    {
        information = 0;
        FileObject? fo = data.Iopb.TargetFileObject;
        if (fo is null) return NtStatus.InvalidParameter;
        ref CreateParameters p = ref data.Iopb.Parameters.Create;
        // Bound to a node (a FUSE OPEN): the name is what the node was seen under, for filters; the node is what opens.
        if (fo.NodeId != 0) return OpenNode(fo, in p, ClearsSetId(data), out information);
        Errno e = ResolveParent(fo.ParentNodeId, fo.FileName, out ulong parent, out ReadOnlyMemory<byte> name, out ulong parentRef);
        if (e != Errno.Success) return e == Errno.ENOENT ? NtStatus.ObjectPathNotFound : ToStatus(e);
        try
        {
            ulong node;
            int fd = -1;
            switch (p.NodeKind)
            {
                case CreateNodeKind.Directory:
                    e = FileSystem.MakeDirectory(parent, name.Span, p.Mode & 0xFFF, p.Umask, p.OwnerUid, p.OwnerGid, out node, out _, out _);
                    if (e != Errno.Success) return ToStatus(e);
                    information = CreateInformation.FileCreated;
                    break;
                case CreateNodeKind.SpecialFile:
                    e = FileSystem.MakeNode(parent, name.Span, p.Mode, p.DeviceNumber, p.Umask, p.OwnerUid, p.OwnerGid, out node, out _, out _);
                    if (e != Errno.Success) return ToStatus(e);
                    information = CreateInformation.FileCreated;
                    break;
                case CreateNodeKind.SymbolicLink:
                    e = FileSystem.CreateSymbolicLink(parent, name.Span, p.SymbolicLinkTarget.Span, p.OwnerUid, p.OwnerGid, out node, out _, out _);
                    if (e != Errno.Success) return ToStatus(e);
                    information = CreateInformation.FileCreated;
                    break;
                default:
                    NtStatus st = OpenOrCreateFile(parent, name.Span, in p, (p.CreateOptions & CreateOptions.DirectoryFile) != 0, ClearsSetId(data), out node, out fd, out information);
                    if (!st.IsSuccess()) return st;
                    break;
            }
            fo.NodeId = node;          // the file object keeps this lookup reference until CLOSE
            fo.Flags |= FileObjectFlags.HoldsNodeReference;
            fo.FsHandle = fd;
            fo.CurrentByteOffset = 0;
            return NtStatus.Success;
        }
        finally
        {
            Release(parentRef);
        }
    }

    /// <summary>open(2) with the disposition: OPEN/OVERWRITE need the name, CREATE must not find it, *_IF takes either.</summary>
    private NtStatus OpenOrCreateFile(ulong parent, ReadOnlySpan<byte> name, in CreateParameters p, bool directory, bool clearSetId, out ulong node, out int fd, out long information)
    {
        CreateDisposition disposition = p.Disposition;
        // The disposition decides creation and truncation; a filter may have changed it, so the flags must not.
        int flags = p.OpenFlags & ~(OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_TRUNC);
        node = 0;
        fd = -1;
        information = 0;
        for (int attempt = 0; attempt < 8; attempt++)
        {
            Errno e = name.Length == 0
                ? FileSystem.LookupPath(name, out node, out _, out _)   // the root itself
                : FileSystem.Lookup(parent, name, out node, out _, out _);
            if (e == Errno.Success)
            {
                if (disposition == CreateDisposition.Create) { FileSystem.Forget(node, 1); return NtStatus.ObjectNameCollision; }
                bool truncate = disposition is CreateDisposition.Overwrite or CreateDisposition.OverwriteIf or CreateDisposition.Supersede;
                // O_PATH (an open for attributes only, like the re-issued query open): the node reference is the whole open.
                // No data fd, so a FIFO never blocks, a symlink opens as itself and no read permission is needed.
                if ((flags & OpenFlags.O_PATH) != 0 && !truncate)
                {
                    information = CreateInformation.FileOpened;
                    return NtStatus.Success;
                }
                FileSystem.GetAttributes(node, out var attr);
                if (directory || attr.IsDirectory)
                {
                    if (!attr.IsDirectory) { FileSystem.Forget(node, 1); return NtStatus.NotADirectory; }
                    if ((flags & OpenFlags.O_ACCMODE) != OpenFlags.O_RDONLY || truncate) { FileSystem.Forget(node, 1); return NtStatus.FileIsADirectory; }
                    e = FileSystem.OpenDirectory(node, out fd);
                }
                else
                {
                    e = OpenFile(node, truncate ? flags | OpenFlags.O_TRUNC : flags, truncate && clearSetId, out fd);
                }
                if (e != Errno.Success) { FileSystem.Forget(node, 1); return ToStatus(e); }
                information = truncate ? CreateInformation.FileOverwritten : CreateInformation.FileOpened;
                return NtStatus.Success;
            }
            if (e != Errno.ENOENT) return ToStatus(e);
            if (disposition is CreateDisposition.Open or CreateDisposition.Overwrite) return NtStatus.ObjectNameNotFound;
            if (directory) return NtStatus.ObjectNameNotFound;   // directories are made with CreateNodeKind.Directory
            e = FileSystem.Create(parent, name, flags | OpenFlags.O_CREAT | OpenFlags.O_EXCL, p.Mode & 0xFFF, p.Umask, p.OwnerUid, p.OwnerGid, out node, out _, out _, out fd);
            if (e == Errno.Success)
            {
                information = CreateInformation.FileCreated;
                return NtStatus.Success;
            }
            if (e != Errno.EEXIST || disposition == CreateDisposition.Create) return ToStatus(e);
            // Someone created it between our lookup and create: open it instead.
        }
        return NtStatus.SharingViolation;
    }

    /// <summary>An open of a node the caller already holds (FUSE OPEN/OPENDIR give only the nodeid): no lookup, no extra reference.</summary>
    private NtStatus OpenNode(FileObject fo, in CreateParameters p, bool clearSetId, out long information)
    {
        information = 0;
        CreateDisposition disposition = p.Disposition;
        if (disposition == CreateDisposition.Create) return NtStatus.ObjectNameCollision;
        bool truncate = disposition is CreateDisposition.Overwrite or CreateDisposition.OverwriteIf or CreateDisposition.Supersede;
        Errno e = FileSystem.GetAttributes(fo.NodeId, out var attr);
        if (e != Errno.Success) return ToStatus(e);
        int flags = p.OpenFlags & ~(OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_TRUNC);
        int fd;
        if (attr.IsDirectory)
        {
            if ((flags & OpenFlags.O_ACCMODE) != OpenFlags.O_RDONLY || truncate) return NtStatus.FileIsADirectory;
            e = FileSystem.OpenDirectory(fo.NodeId, out fd);
        }
        else
        {
            if ((p.CreateOptions & CreateOptions.DirectoryFile) != 0) return NtStatus.NotADirectory;
            e = OpenFile(fo.NodeId, truncate ? flags | OpenFlags.O_TRUNC : flags, truncate && clearSetId, out fd);
        }
        if (e != Errno.Success) return ToStatus(e);
        fo.FsHandle = fd;
        fo.CurrentByteOffset = 0;
        information = truncate ? CreateInformation.FileOverwritten : CreateInformation.FileOpened;
        return NtStatus.Success;
    }

    /// <summary>An open that truncates for a caller who may not keep set-id bits clears them (FUSE_OPEN_KILL_SUIDGID).</summary>
    private Errno OpenFile(ulong node, int flags, bool clearSetId, out int fd) =>
        clearSetId ? FileSystem.OpenClearingSetId(node, flags, out fd) : FileSystem.Open(node, flags, out fd);

    private static bool ClearsSetId(CallbackData data) => (data.Iopb.IrpFlags & IoParameterBlock.IrpClearSetId) != 0;

    private NtStatus ExecuteClose(CallbackData data)
    {
        FileObject? fo = data.Iopb.TargetFileObject;
        if (fo is null) return NtStatus.InvalidParameter;
        if (ReleaseOpen(fo)) fo.NodeId = 0;
        return NtStatus.Success;
    }

    private NtStatus ExecuteQueryOpen(CallbackData data)
    {
        FileObject? fo = data.Iopb.TargetFileObject;
        if (fo is null) return NtStatus.InvalidParameter;
        Errno e = fo.ParentNodeId != 0
            ? FileSystem.Lookup(fo.ParentNodeId, fo.FileName.Span, out ulong node, out ulong generation, out var attr)
            : FileSystem.LookupPath(fo.FileName.Span, out node, out generation, out attr);
        if (e != Errno.Success) return ToStatus(e);
        ref NetworkQueryOpenParameters p = ref data.Iopb.Parameters.NetworkQueryOpen;
        p.NodeId = node;
        p.Generation = generation;
        Fill(ref p.Stat, in attr);
        // A transient query (in-process API) gives the reference back; the FUSE front-end keeps it for the kernel.
        if ((fo.Flags & FileObjectFlags.Transient) != 0) FileSystem.Forget(node, 1);
        return NtStatus.Success;
    }
}
