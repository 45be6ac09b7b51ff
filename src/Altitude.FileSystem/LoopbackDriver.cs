// The bottom of an Altitude volume: executes each CallbackData that passed the pre-ops on the loopback
// over the backing directory, then fills IoStatus and the output fields. The mapping of majors to
// syscalls is docs/operations.md. Name-based operations resolve their parent on the loopback's directory
// fds, so nothing here can reach outside the backing directory.
using LoopbackAttributes = Altitude.FileSystem.FileAttributes;

namespace Altitude.FileSystem;

/// <summary>IBackingFileSystem over a <see cref="LoopbackFileSystem"/>.</summary>
public sealed partial class LoopbackDriver : IBackingFileSystem, IFileNameSource, IDisposable
{
    private readonly bool ownsFileSystem;

    /// <summary>A driver over a new loopback on <paramref name="backingDirectory"/> (throws IOException if it cannot be opened).</summary>
    public LoopbackDriver(string backingDirectory) : this(new LoopbackFileSystem(backingDirectory), ownsFileSystem: true) { }

    public LoopbackDriver(LoopbackFileSystem fileSystem, bool ownsFileSystem = false)
    {
        FileSystem = fileSystem;
        this.ownsFileSystem = ownsFileSystem;
    }

    public LoopbackFileSystem FileSystem { get; }

    private string? typeName;

    /// <summary>The backing directory's file system ("ext4", from fstatfs of the root), read once.</summary>
    public string TypeName => typeName ??= FileSystem.StatFs(LoopbackFileSystem.RootNodeId, out var s) == Errno.Success
        ? FileSystemTypeName.FromMagic(s.Type) : "unknown";

    public NodeTable Nodes => FileSystem.Nodes;

    public NtStatus QueryNodeAttributes(ulong nodeId, out FileStatInformation stat)
    {
        stat = default;
        Errno e = FileSystem.GetAttributes(nodeId, out var attr);
        if (e != Errno.Success) return ToStatus(e);
        Fill(ref stat, in attr);
        return NtStatus.Success;
    }

    public NtStatus LookupNode(ulong parent, ReadOnlySpan<byte> name, out ulong nodeId, out ulong generation, out FileStatInformation stat)
    {
        stat = default;
        Errno e = FileSystem.Lookup(parent, name, out nodeId, out generation, out var attr);
        if (e != Errno.Success) return ToStatus(e);
        Fill(ref stat, in attr);
        return NtStatus.Success;
    }

    public bool SupportsDataScan => true;

    /// <summary>
    /// A section for data scan: the node reopened O_RDONLY|O_CLOEXEC from its O_PATH fd (not the open's own fd,
    /// whose access mode and position belong to the open; not a path through the mount). Regular files only.
    /// </summary>
    public NtStatus OpenForDataScan(FileObject fileObject, out Microsoft.Win32.SafeHandles.SafeFileHandle? handle, out long fileSize)
    {
        handle = null;
        fileSize = 0;
        if ((fileObject.Flags & FileObjectFlags.Directory) != 0) return NtStatus.FileIsADirectory;
        Errno e = FileSystem.Open(fileObject.NodeId, OpenFlags.O_RDONLY, out int fd);
        if (e != Errno.Success) return ToStatus(e);
        handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        try { fileSize = RandomAccess.GetLength(handle); }
        catch (IOException) { fileSize = 0; }
        return NtStatus.Success;
    }

    /// <summary>Closes the open's fd and gives back the node reference CREATE took (no CLOSE will come).</summary>
    public void AbandonOpen(FileObject fo) => ReleaseOpen(fo);

    /// <summary>What CLOSE and an abandoned open both undo: the open's fd, and the node reference CREATE took. True if it held one.</summary>
    private bool ReleaseOpen(FileObject fo)
    {
        if (fo.FsHandle >= 0) { FileSystem.Close((int)fo.FsHandle); fo.FsHandle = -1; }
        if ((fo.Flags & FileObjectFlags.HoldsNodeReference) == 0) return false;
        fo.Flags &= ~FileObjectFlags.HoldsNodeReference;
        FileSystem.Forget(fo.NodeId, 1);
        return true;
    }

    public NtStatus GetNodePath(ulong nodeId, out string? path)
    {
        Errno e = FileSystem.GetPath(nodeId, out path);
        return e == Errno.ENOENT ? NtStatus.FileDeleted : ToStatus(e);
    }

    public NtStatus GetPath(ReadOnlySpan<byte> relativePath, out string? path)
    {
        path = null;
        Errno e = FileSystem.LookupPath(relativePath, out ulong node, out _, out _);
        if (e != Errno.Success) return e == Errno.ENOENT ? NtStatus.ObjectNameNotFound : ToStatus(e);
        NtStatus st = GetNodePath(node, out path);
        FileSystem.Forget(node, 1);
        return st;
    }

    public void Dispose()
    {
        if (ownsFileSystem) FileSystem.Dispose();
    }

    public void Execute(CallbackData data)
    {
        NtStatus status;
        long information = 0;
        switch (data.Iopb.MajorFunction)
        {
            case MajorFunction.Create: status = ExecuteCreate(data, out information); break;
            case MajorFunction.NetworkQueryOpen: status = ExecuteQueryOpen(data); break;
            case MajorFunction.Read: status = ExecuteRead(data, out information); break;
            case MajorFunction.Write: status = ExecuteWrite(data, out information); break;
            case MajorFunction.QueryInformation: status = ExecuteQueryInformation(data); break;
            case MajorFunction.SetInformation: status = ExecuteSetInformation(data); break;
            case MajorFunction.SetSecurity: status = ExecuteSetSecurity(data); break;
            case MajorFunction.DirectoryControl: status = ExecuteDirectoryControl(data, out information); break;
            case MajorFunction.QueryVolumeInformation: status = ExecuteQueryVolumeInformation(data); break;
            case MajorFunction.QueryEa: status = ExecuteQueryEa(data, out information); break;
            case MajorFunction.SetEa: status = ExecuteSetEa(data); break;
            case MajorFunction.FlushBuffers: status = ExecuteFlushBuffers(data); break;
            case MajorFunction.LockControl: status = ExecuteLockControl(data); break;
            case MajorFunction.FileSystemControl: status = ExecuteFileSystemControl(data, out information); break;
            case MajorFunction.DeviceControl: status = ExecuteDeviceControl(data, out information); break;
            case MajorFunction.QuerySecurity: status = ExecuteQuerySecurity(data); break;
            case MajorFunction.Cleanup: status = NtStatus.Success; break;   // nothing is held per handle below
            case MajorFunction.Close: status = ExecuteClose(data); break;
            default: status = NtStatus.InvalidDeviceRequest; break;
        }
        data.IoStatus = new IoStatusBlock(status, information);
    }

    private static NtStatus ToStatus(Errno e) => StatusMapping.FromErrno((int)e);

    // ---- name resolution ----

    /// <summary>
    /// The node a file object stands for. An open object has its node; a transient one is looked up
    /// (the lookup reference is returned in <paramref name="release"/> and must be forgotten after the operation).
    /// </summary>
    private Errno ResolveNode(FileObject fo, out ulong node, out ulong release)
    {
        release = 0;
        if (fo.NodeId != 0) { node = fo.NodeId; return Errno.Success; }
        Errno e = fo.ParentNodeId != 0
            ? FileSystem.Lookup(fo.ParentNodeId, fo.FileName.Span, out node, out _, out _)
            : FileSystem.LookupPath(fo.FileName.Span, out node, out _, out _);
        if (e == Errno.Success) release = node;
        return e;
    }

    /// <summary>The directory and final component a name-based operation works on.</summary>
    private Errno ResolveParent(ulong parentNode, ReadOnlyMemory<byte> name, out ulong parent, out ReadOnlyMemory<byte> finalName, out ulong release)
    {
        release = 0;
        if (parentNode != 0) { parent = parentNode; finalName = name; return Errno.Success; }
        ReadOnlySpan<byte> path = name.Span;
        while (path.Length > 1 && path[^1] == (byte)'/') path = path[..^1];
        int slash = path.LastIndexOf((byte)'/');
        if (slash < 0)
        {
            parent = LoopbackFileSystem.RootNodeId;
            finalName = name[..path.Length];
            return Errno.Success;
        }
        finalName = name.Slice(slash + 1, path.Length - slash - 1);
        Errno e = FileSystem.LookupPath(path[..slash], out parent, out _, out _);
        if (e == Errno.Success) release = parent;
        return e;
    }

    private void Release(ulong node)
    {
        if (node != 0) FileSystem.Forget(node, 1);
    }

    /// <summary>The engine's view of the loopback's attributes (also what the FUSE bridge encodes into fuse_attr).</summary>
    public static void Fill(ref FileStatInformation stat, in LoopbackAttributes a)
    {
        stat.FileId = a.Inode;
        stat.DeviceId = a.Device;
        stat.Mode = a.Mode;
        stat.LinkCount = a.LinkCount;
        stat.Uid = a.Uid;
        stat.Gid = a.Gid;
        stat.RdevMajorMinor = a.RDev;
        stat.EndOfFile = a.Size;
        stat.AllocationSize = a.Blocks * 512;
        stat.BlockSize = a.BlockSize;
        stat.LastAccessTime = new TimeSpecValue(a.AccessTime.Seconds, a.AccessTime.Nanoseconds);
        stat.LastWriteTime = new TimeSpecValue(a.ModificationTime.Seconds, a.ModificationTime.Nanoseconds);
        stat.ChangeTime = new TimeSpecValue(a.ChangeTime.Seconds, a.ChangeTime.Nanoseconds);
        stat.CreationTime = new TimeSpecValue(a.BirthTime.Seconds, a.BirthTime.Nanoseconds);
    }

    private static int Fd(FileObject? fo) => fo is null ? -1 : (int)fo.FsHandle;
}
