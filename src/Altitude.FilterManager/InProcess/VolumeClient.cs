// The in-process volume API: sends operations through a volume's whole stack without FUSE, as a process
// would through a mount. For embedding Altitude and for fast tests. Paths are relative to the volume
// root, '/'-separated, raw bytes or strings; every call returns the final NTSTATUS.
using System.Text;

namespace Altitude;

/// <summary>Issues operations at the top of a volume's stack on behalf of one requestor.</summary>
public sealed class VolumeClient
{
    public VolumeClient(Volume volume, Requestor requestor)
    {
        Volume = volume;
        Requestor = requestor;
    }

    /// <summary>A client acting for the current process and thread.</summary>
    public VolumeClient(Volume volume)
        : this(volume, Requestor.Of(Environment.ProcessId, Environment.CurrentManagedThreadId, 0, 0)) { }

    public Volume Volume { get; }
    public Requestor Requestor { get; set; }

    private CallbackData Begin(MajorFunction major, FileObject? target, byte minor = 0)
    {
        CallbackData d = Volume.AllocateCallbackData(target);
        d.Iopb.MajorFunction = major;
        d.Iopb.MinorFunction = minor;
        d.Requestor = Requestor;
        return d;
    }

    private static NtStatus End(CallbackData d, out long information)
    {
        NtStatus st = d.Volume.PerformOperation(d);
        information = d.IoStatus.Information;
        d.Free();
        return st;
    }

    /// <summary>A transient file object for a path (the name is encoded once and kept, not copied again).</summary>
    private FileObject Transient(string path)
        => new(Volume) { FileName = Encoding.UTF8.GetBytes(path), ParentNodeId = 0, Flags = FileObjectFlags.Transient };

    private FileObject NewFileObject(ReadOnlySpan<byte> path, FileObjectFlags flags = FileObjectFlags.None)
        => new(Volume) { FileName = path.ToArray(), ParentNodeId = 0, Flags = flags };

    /// <summary>
    /// IRP_MJ_CREATE of a regular file or directory. <paramref name="openFlags"/> are open(2) flags; the
    /// disposition and options are derived from them as the FUSE front-end does. On success the file object
    /// is open: send Cleanup and Close when done (or use <see cref="CloseHandle"/>).
    /// </summary>
    public NtStatus Create(string path, int openFlags, uint mode, out FileObject? fileObject, out long information)
        => Create(Encoding.UTF8.GetBytes(path), openFlags, mode, CreateNodeKind.RegularFile, out fileObject, out information);

    /// <inheritdoc cref="Create(string, int, uint, out FileObject?, out long)"/>
    public NtStatus Create(ReadOnlySpan<byte> path, int openFlags, uint mode, CreateNodeKind kind, out FileObject? fileObject, out long information,
        ReadOnlySpan<byte> symlinkTarget = default, ulong deviceNumber = 0)
    {
        bool directory = kind == CreateNodeKind.Directory || (openFlags & OpenFlags.O_DIRECTORY) != 0;
        var fo = NewFileObject(path, directory ? FileObjectFlags.Directory : FileObjectFlags.None);
        fo.OpenFlags = openFlags;
        CallbackData d = Begin(MajorFunction.Create, fo);
        ref CreateParameters p = ref d.Iopb.Parameters.Create;
        p.OpenFlags = openFlags;
        p.Mode = mode;
        p.NodeKind = kind;
        p.Options = CreateParameters.MakeOptions(OpenFlags.ToDisposition(openFlags, kind),
            directory ? CreateOptions.DirectoryFile : kind == CreateNodeKind.RegularFile && (openFlags & OpenFlags.O_DIRECT) != 0
                ? CreateOptions.NonDirectoryFile | CreateOptions.NoIntermediateBuffering : CreateOptions.NonDirectoryFile);
        p.DesiredAccess = OpenFlags.ToDesiredAccess(openFlags);
        p.ShareAccess = 7;
        p.SymbolicLinkTarget = symlinkTarget.ToArray();
        p.DeviceNumber = deviceNumber;
        p.OwnerUid = Requestor.Uid;
        p.OwnerGid = Requestor.Gid;
        if ((openFlags & OpenFlags.O_DIRECT) != 0) d.Iopb.IrpFlags |= IoParameterBlock.IrpNocache;
        NtStatus st = End(d, out information);
        if (st.IsSuccess())
        {
            fo.Flags |= FileObjectFlags.HandleCreated;
            fileObject = fo;
            // MKDIR, MKNOD and SYMLINK leave no handle: the Filter Manager sees them closed at once.
            if (kind is CreateNodeKind.SpecialFile or CreateNodeKind.SymbolicLink)
            {
                CloseHandle(fo);
                fileObject = null;
            }
        }
        else fileObject = null;
        return st;
    }

    /// <summary>mkdir: CREATE with FILE_CREATE and FILE_DIRECTORY_FILE, then CLEANUP and CLOSE.</summary>
    public NtStatus CreateDirectory(string path, uint mode = 0x1ED /* 0755 */)
    {
        NtStatus st = Create(Encoding.UTF8.GetBytes(path), OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_DIRECTORY, mode, CreateNodeKind.Directory, out var fo, out _);
        if (fo is not null) CloseHandle(fo);
        return st;
    }

    /// <summary>symlink: CREATE of a symbolic link with its target, then CLEANUP and CLOSE.</summary>
    public NtStatus CreateSymbolicLink(string path, string target)
        => Create(Encoding.UTF8.GetBytes(path), OpenFlags.O_CREAT | OpenFlags.O_EXCL, 0x1FF, CreateNodeKind.SymbolicLink, out _, out _, Encoding.UTF8.GetBytes(target));

    /// <summary>IRP_MJ_READ at <paramref name="offset"/> (-1 = the current position, which then advances).</summary>
    public NtStatus Read(FileObject fileObject, Memory<byte> buffer, long offset, out int bytesRead)
    {
        CallbackData d = Begin(MajorFunction.Read, fileObject);
        ref ReadParameters p = ref d.Iopb.Parameters.Read;
        p.Length = (uint)buffer.Length;
        p.ByteOffset = offset;
        p.ReadBuffer = buffer;
        NtStatus st = End(d, out long info);
        bytesRead = (int)info;
        return st;
    }

    /// <summary>IRP_MJ_WRITE at <paramref name="offset"/> (-1 = the current position or, with O_APPEND, the end).</summary>
    public NtStatus Write(FileObject fileObject, ReadOnlyMemory<byte> data, long offset, out int bytesWritten)
    {
        CallbackData d = Begin(MajorFunction.Write, fileObject);
        ref WriteParameters p = ref d.Iopb.Parameters.Write;
        p.Length = (uint)data.Length;
        p.ByteOffset = offset;
        p.WriteBuffer = data;
        NtStatus st = End(d, out long info);
        bytesWritten = (int)info;
        return st;
    }

    /// <summary>IRP_MJ_QUERY_INFORMATION (FileStatLxInformation) on an open file.</summary>
    public NtStatus QueryInformation(FileObject fileObject, out FileStatInformation stat)
    {
        CallbackData d = Begin(MajorFunction.QueryInformation, fileObject);
        d.Iopb.Parameters.QueryFileInformation.FileInformationClass = FileInformationClass.FileStatLxInformation;
        NtStatus st = d.Volume.PerformOperation(d);
        stat = d.Iopb.Parameters.QueryFileInformation.Stat;
        d.Free();
        return st;
    }

    /// <summary>QUERY_INFORMATION on a path without opening it (GETATTR): a transient file object.</summary>
    public NtStatus QueryInformation(string path, out FileStatInformation stat)
        => QueryInformation(Transient(path), out stat);

    /// <summary>
    /// IRP_MJ_NETWORK_QUERY_OPEN: a LOOKUP of a path; filters may deny it to hide the name. A filter that refuses the fast
    /// path (DISALLOW_FSFILTER_IO) gets the slow one, as from the I/O manager: an attributes-only open, a query, a close.
    /// </summary>
    public NtStatus QueryOpen(string path, out FileStatInformation stat)
    {
        CallbackData d = Begin(MajorFunction.NetworkQueryOpen, Transient(path));
        NtStatus st = d.Volume.PerformOperation(d);
        stat = d.Iopb.Parameters.NetworkQueryOpen.Stat;
        d.Free();
        if (st != NtStatus.FltDisallowFastIo) return st;
        st = Create(path, OpenFlags.O_PATH | OpenFlags.O_NOFOLLOW, 0, out FileObject? fo, out _);
        if (!st.IsSuccess()) return st;
        st = QueryInformation(fo!, out stat);
        CloseHandle(fo!);
        return st;
    }

    /// <summary>SET_INFORMATION FileEndOfFileInformation (truncate).</summary>
    public NtStatus SetEndOfFile(FileObject fileObject, long size)
    {
        CallbackData d = Begin(MajorFunction.SetInformation, fileObject);
        d.Iopb.Parameters.SetFileInformation.FileInformationClass = FileInformationClass.FileEndOfFileInformation;
        d.Iopb.Parameters.SetFileInformation.EndOfFile = size;
        return End(d, out _);
    }

    /// <summary>SET_INFORMATION FileBasicInformation (utimensat).</summary>
    public NtStatus SetTimes(FileObject fileObject, TimeSpecValue lastAccess, TimeSpecValue lastWrite)
    {
        CallbackData d = Begin(MajorFunction.SetInformation, fileObject);
        ref SetFileInformationParameters p = ref d.Iopb.Parameters.SetFileInformation;
        p.FileInformationClass = FileInformationClass.FileBasicInformation;
        p.Basic.LastAccessTime = lastAccess;
        p.Basic.LastWriteTime = lastWrite;
        return End(d, out _);
    }

    /// <summary>SET_INFORMATION FileAllocationInformation (fallocate).</summary>
    public NtStatus Allocate(FileObject fileObject, int mode, long offset, long length)
    {
        CallbackData d = Begin(MajorFunction.SetInformation, fileObject);
        ref SetFileInformationParameters p = ref d.Iopb.Parameters.SetFileInformation;
        p.FileInformationClass = FileInformationClass.FileAllocationInformation;
        p.AllocationMode = mode;
        p.AllocationOffset = offset;
        p.AllocationLength = length;
        return End(d, out _);
    }

    /// <summary>unlink / rmdir: SET_INFORMATION FileDispositionInformationEx (DELETE | POSIX_SEMANTICS) on a transient object.</summary>
    public NtStatus Delete(string path, bool directory = false)
    {
        CallbackData d = Begin(MajorFunction.SetInformation, Transient(path));
        ref SetFileInformationParameters p = ref d.Iopb.Parameters.SetFileInformation;
        p.FileInformationClass = FileInformationClass.FileDispositionInformationEx;
        p.DispositionFlags = DispositionFlags.Delete | DispositionFlags.PosixSemantics | (directory ? DispositionFlags.Directory : 0);
        return End(d, out _);
    }

    /// <summary>rename(2)/renameat2: SET_INFORMATION FileRenameInformationEx from <paramref name="path"/> to <paramref name="newPath"/>.</summary>
    public NtStatus Rename(string path, string newPath, RenameFlags flags = RenameFlags.ReplaceIfExists | RenameFlags.PosixSemantics)
        => NameOperation(FileInformationClass.FileRenameInformationEx, path, newPath, flags);

    /// <summary>link(2): SET_INFORMATION FileLinkInformationEx.</summary>
    public NtStatus Link(string path, string newPath)
        => NameOperation(FileInformationClass.FileLinkInformationEx, path, newPath, RenameFlags.PosixSemantics);

    private NtStatus NameOperation(FileInformationClass cls, string path, string newPath, RenameFlags flags)
    {
        CallbackData d = Begin(MajorFunction.SetInformation, Transient(path));
        ref SetFileInformationParameters p = ref d.Iopb.Parameters.SetFileInformation;
        p.FileInformationClass = cls;
        p.RenameFlags = flags;
        p.DestinationDirectory = 0;
        p.DestinationName = Encoding.UTF8.GetBytes(newPath);
        return End(d, out _);
    }

    /// <summary>chmod / chown: IRP_MJ_SET_SECURITY. uint.MaxValue leaves uid or gid unchanged.</summary>
    public NtStatus SetSecurity(string path, SecurityInformation what, uint mode, uint uid = uint.MaxValue, uint gid = uint.MaxValue)
    {
        CallbackData d = Begin(MajorFunction.SetSecurity, Transient(path));
        ref SecurityParameters p = ref d.Iopb.Parameters.SetSecurity;
        p.SecurityInformation = what;
        p.Mode = mode;
        p.Uid = uid;
        p.Gid = gid;
        return End(d, out _);
    }

    /// <summary>
    /// IRP_MJ_DIRECTORY_CONTROL / QUERY_DIRECTORY on an open directory, from <paramref name="cookie"/> (0 = start).
    /// The entries land in <paramref name="entries"/>; STATUS_NO_MORE_FILES at the end.
    /// </summary>
    public NtStatus QueryDirectory(FileObject directory, long cookie, DirectoryEntryList entries, uint length = 65536)
    {
        CallbackData d = Begin(MajorFunction.DirectoryControl, directory, MinorFunction.QueryDirectory);
        ref DirectoryControlParameters p = ref d.Iopb.Parameters.DirectoryControl;
        p.FileInformationClass = FileInformationClass.FileIdBothDirectoryInformation;
        p.Cookie = cookie;
        p.Length = length;
        p.Entries = entries;
        entries.Clear();
        return End(d, out _);
    }

    /// <summary>IRP_MJ_FLUSH_BUFFERS (fsync, or fdatasync with <paramref name="dataOnly"/>).</summary>
    public NtStatus FlushBuffers(FileObject fileObject, bool dataOnly = false)
    {
        CallbackData d = Begin(MajorFunction.FlushBuffers, fileObject, dataOnly ? MinorFunction.FlushDataOnly : (byte)0);
        d.Iopb.Parameters.FlushBuffers.DataOnly = dataOnly;
        return End(d, out _);
    }

    /// <summary>IRP_MJ_QUERY_VOLUME_INFORMATION (statfs).</summary>
    public NtStatus QueryVolumeInformation(out VolumeStatistics statistics)
    {
        CallbackData d = Begin(MajorFunction.QueryVolumeInformation, NewFileObject(default, FileObjectFlags.Transient));
        d.Iopb.Parameters.QueryVolumeInformation.FsInformationClass = FsInformationClass.FileFsFullSizeInformation;
        NtStatus st = d.Volume.PerformOperation(d);
        statistics = d.Iopb.Parameters.QueryVolumeInformation.Statistics;
        d.Free();
        return st;
    }

    /// <summary>IRP_MJ_QUERY_EA: one xattr value into <paramref name="buffer"/> (empty name lists the names). Information = size.</summary>
    public NtStatus QueryEa(string path, string name, Memory<byte> buffer, out int size)
    {
        CallbackData d = Begin(MajorFunction.QueryEa, Transient(path));
        ref EaParameters p = ref d.Iopb.Parameters.QueryEa;
        p.EaName = Encoding.UTF8.GetBytes(name);
        p.Buffer = buffer;
        NtStatus st = End(d, out long info);
        size = (int)info;
        return st;
    }

    /// <summary>IRP_MJ_SET_EA: sets (or with <see cref="EaParameters.RemoveFlag"/> removes) one xattr.</summary>
    public NtStatus SetEa(string path, string name, ReadOnlyMemory<byte> value, int flags = 0)
    {
        CallbackData d = Begin(MajorFunction.SetEa, Transient(path));
        ref EaParameters p = ref d.Iopb.Parameters.SetEa;
        p.EaName = Encoding.UTF8.GetBytes(name);
        p.Buffer = value.ToArray();
        p.Flags = flags;
        return End(d, out _);
    }

    /// <summary>IRP_MJ_LOCK_CONTROL: a POSIX record lock (minor Lock, UnlockSingle or QueryLock).</summary>
    public NtStatus LockControl(FileObject fileObject, byte minor, ref LockControlParameters lockParameters)
    {
        CallbackData d = Begin(MajorFunction.LockControl, fileObject, minor);
        d.Iopb.Parameters.LockControl = lockParameters;
        NtStatus st = d.Volume.PerformOperation(d);
        lockParameters = d.Iopb.Parameters.LockControl;
        d.Free();
        return st;
    }

    /// <summary>IRP_MJ_FILE_SYSTEM_CONTROL FSCTL_GET_REPARSE_POINT: readlink into <paramref name="buffer"/>.</summary>
    public NtStatus ReadSymbolicLink(string path, Memory<byte> buffer, out int length)
    {
        CallbackData d = Begin(MajorFunction.FileSystemControl, Transient(path), MinorFunction.UserFsRequest);
        d.Iopb.Parameters.FileSystemControl.FsControlCode = FsControlCode.GetReparsePoint;
        d.Iopb.Parameters.FileSystemControl.OutputBuffer = buffer;
        NtStatus st = End(d, out long info);
        length = (int)info;
        return st;
    }

    /// <summary>IRP_MJ_CLEANUP: the last handle of the open went away.</summary>
    public NtStatus Cleanup(FileObject fileObject)
    {
        CallbackData d = Begin(MajorFunction.Cleanup, fileObject);
        NtStatus st = End(d, out _);
        fileObject.Flags |= FileObjectFlags.CleanupComplete;
        return st;
    }

    /// <summary>IRP_MJ_CLOSE: the file object goes away.</summary>
    public NtStatus Close(FileObject fileObject)
    {
        CallbackData d = Begin(MajorFunction.Close, fileObject);
        NtStatus st = End(d, out _);
        fileObject.Flags |= FileObjectFlags.Closed;
        return st;
    }

    /// <summary>close(2): CLEANUP then CLOSE, as the FUSE front-end does at RELEASE.</summary>
    public NtStatus CloseHandle(FileObject fileObject)
    {
        NtStatus a = Cleanup(fileObject);
        NtStatus b = Close(fileObject);
        return a.IsSuccess() ? b : a;
    }
}
