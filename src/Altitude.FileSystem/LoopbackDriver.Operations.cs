// Data, attribute, namespace, directory, xattr, lock and fsctl operations of the loopback driver.
namespace Altitude.FileSystem;

public sealed partial class LoopbackDriver
{
    private const int DirectoryBufferSize = 64 * 1024;
    // Listing buffers shared by every thread (a stack under a lock): a reader's first listing takes one another thread
    // gave back rather than allocating its own, so the readers allocate nothing in the steady state whichever of them
    // serves a READDIR. As many exist as listings ever ran at once.
    private static readonly Stack<byte[]> directoryBuffers = new();

    private static byte[] RentDirectoryBuffer()
    {
        lock (directoryBuffers)
            if (directoryBuffers.TryPop(out byte[]? b)) return b;
        return new byte[DirectoryBufferSize];
    }

    private static void ReturnDirectoryBuffer(byte[] buffer)
    {
        lock (directoryBuffers) directoryBuffers.Push(buffer);
    }

    private NtStatus ExecuteRead(CallbackData data, out long information)
    {
        information = 0;
        FileObject? fo = data.Iopb.TargetFileObject;
        int fd = Fd(fo);
        if (fd < 0) return NtStatus.InvalidHandle;
        ref ReadParameters p = ref data.Iopb.Parameters.Read;
        long offset = p.ByteOffset < 0 ? fo!.CurrentByteOffset : p.ByteOffset;
        int length = (int)Math.Min(p.Length, (uint)p.ReadBuffer.Length);
        // FltReadFile on a write-only open (a scanner's look at a file opened for writing): Windows kernel I/O ignores
        // the handle's access, a write-only fd cannot read, so a filter's read goes through a read-only fd of the node.
        int bytes;
        Errno e = data.IsGeneratedIo && (fo!.OpenFlags & OpenFlags.O_ACCMODE) == OpenFlags.O_WRONLY
            ? FileSystem.ReadThroughNode(fo.NodeId, p.ReadBuffer.Span[..length], offset, out bytes)
            : FileSystem.Read(fd, p.ReadBuffer.Span[..length], offset, out bytes);
        if (e != Errno.Success) return ToStatus(e);
        information = bytes;
        if (p.ByteOffset < 0) fo!.CurrentByteOffset = offset + bytes;
        // Reading at or past the end gives nothing: Windows says END_OF_FILE; Linux callers see 0 bytes.
        return bytes == 0 && length > 0 ? NtStatus.EndOfFile : NtStatus.Success;
    }

    private NtStatus ExecuteWrite(CallbackData data, out long information)
    {
        information = 0;
        FileObject? fo = data.Iopb.TargetFileObject;
        int fd = Fd(fo);
        if (fd < 0) return NtStatus.InvalidHandle;
        ref WriteParameters p = ref data.Iopb.Parameters.Write;
        int length = (int)Math.Min(p.Length, (uint)p.WriteBuffer.Length);
        if ((data.Iopb.IrpFlags & IoParameterBlock.IrpPagingIo) != 0 && p.ByteOffset >= 0 && (fo!.OpenFlags & (OpenFlags.O_DIRECT | OpenFlags.O_APPEND)) != 0)
        {
            // Paging I/O (the kernel writing back mapped pages, on whichever writable open it picked) on an O_DIRECT or
            // O_APPEND open: a page at EOF is not block-aligned (EINVAL with O_DIRECT, which failed msync) and O_APPEND
            // would move it to the end. Write it at its offset, buffered.
            Errno be = FileSystem.WriteBuffered(fo.NodeId, p.WriteBuffer.Span[..length], p.ByteOffset, ClearsSetId(data), out int written);
            if (be != Errno.Success) return ToStatus(be);
            information = written;
            return NtStatus.Success;
        }
        bool append = (fo!.OpenFlags & OpenFlags.O_APPEND) != 0;
        long offset = p.ByteOffset >= 0 && !append ? p.ByteOffset : append ? -1 : fo.CurrentByteOffset;
        Errno e = ClearsSetId(data)
            ? FileSystem.WriteClearingSetId(fd, p.WriteBuffer.Span[..length], offset, out int bytes)
            : FileSystem.Write(fd, p.WriteBuffer.Span[..length], offset, out bytes);
        if (e != Errno.Success) return ToStatus(e);
        information = bytes;
        if (p.ByteOffset < 0 && !append) fo.CurrentByteOffset = offset + bytes;
        return NtStatus.Success;
    }

    private NtStatus ExecuteQueryInformation(CallbackData data)
    {
        FileObject? fo = data.Iopb.TargetFileObject;
        if (fo is null) return NtStatus.InvalidParameter;
        Errno e = ResolveNode(fo, out ulong node, out ulong release);
        if (e != Errno.Success) return ToStatus(e);
        e = FileSystem.GetAttributes(node, out var attr);
        Release(release);
        if (e != Errno.Success) return ToStatus(e);
        Fill(ref data.Iopb.Parameters.QueryFileInformation.Stat, in attr);
        // A Windows file that was deleted answers STATUS_FILE_DELETED on its open handles (the delete sample relies on it).
        // Only the Windows classes say so: FileStatLxInformation (GETATTR, fstat) keeps POSIX behaviour on unlinked files.
        if (attr.LinkCount == 0 && release == 0
            && data.Iopb.Parameters.QueryFileInformation.FileInformationClass is FileInformationClass.FileStandardInformation or FileInformationClass.FileAllInformation)
            return NtStatus.FileDeleted;
        return NtStatus.Success;
    }

    private NtStatus ExecuteSetInformation(CallbackData data)
    {
        FileObject? fo = data.Iopb.TargetFileObject;
        if (fo is null) return NtStatus.InvalidParameter;
        ref SetFileInformationParameters p = ref data.Iopb.Parameters.SetFileInformation;
        switch (p.FileInformationClass)
        {
            case FileInformationClass.FileDispositionInformation:
            case FileInformationClass.FileDispositionInformationEx:
                return Delete(fo, p.DispositionFlags);
            case FileInformationClass.FileRenameInformation:
            case FileInformationClass.FileRenameInformationEx:
                return Rename(fo, in p);
            case FileInformationClass.FileLinkInformation:
            case FileInformationClass.FileLinkInformationEx:
                return Link(fo, in p);
            case FileInformationClass.FileAllocationInformation:
            {
                int fd = Fd(fo);
                if (fd < 0) return NtStatus.InvalidHandle;
                return ToStatus(ClearsSetId(data)
                    ? FileSystem.AllocateClearingSetId(fd, p.AllocationMode, p.AllocationOffset, p.AllocationLength)
                    : FileSystem.Allocate(fd, p.AllocationMode, p.AllocationOffset, p.AllocationLength));
            }
        }
        Errno e = ResolveNode(fo, out ulong node, out ulong release);
        if (e != Errno.Success) return ToStatus(e);
        try
        {
            switch (p.FileInformationClass)
            {
                case FileInformationClass.FileEndOfFileInformation:
                    return ToStatus(ClearsSetId(data)
                        ? FileSystem.TruncateClearingSetId(node, Fd(fo), p.EndOfFile)
                        : FileSystem.Truncate(node, Fd(fo), p.EndOfFile));
                case FileInformationClass.FileBasicInformation:
                    return ToStatus(FileSystem.SetTimes(node, ToTimeSpec(p.Basic.LastAccessTime), ToTimeSpec(p.Basic.LastWriteTime)));
                default:
                    return NtStatus.InvalidParameter;
            }
        }
        finally
        {
            Release(release);
        }
    }

    private static TimeSpec ToTimeSpec(TimeSpecValue t) => new(t.Seconds, t.Nanoseconds);

    private NtStatus Delete(FileObject fo, DispositionFlags flags)
    {
        if ((flags & DispositionFlags.Delete) == 0) return NtStatus.Success;   // "do not delete": nothing to undo on Linux
        Errno e = ResolveParent(fo.ParentNodeId, fo.FileName, out ulong parent, out var name, out ulong release);
        if (e != Errno.Success) return ToStatus(e);
        e = FileSystem.Remove(parent, name.Span, (flags & DispositionFlags.Directory) != 0, out ulong removed);
        Release(release);
        // A delete by name names its node afterwards, so post-ops find the stream's contexts (ctx, delete samples).
        if (e == Errno.Success && fo.NodeId == 0) fo.NodeId = removed;
        return ToStatus(e);
    }

    private NtStatus Rename(FileObject fo, in SetFileInformationParameters p)
    {
        Errno e = ResolveParent(fo.ParentNodeId, fo.FileName, out ulong parent, out var name, out ulong releaseSource);
        if (e != Errno.Success) return ToStatus(e);
        e = ResolveParent(p.DestinationDirectory, p.DestinationName, out ulong newParent, out var newName, out ulong releaseTarget);
        if (e == Errno.Success)
        {
            uint flags = 0;
            if ((p.RenameFlags & RenameFlags.Exchange) != 0) flags |= LoopbackFileSystem.RenameExchange;
            else if ((p.RenameFlags & RenameFlags.ReplaceIfExists) == 0) flags |= LoopbackFileSystem.RenameNoReplace;
            if ((p.RenameFlags & RenameFlags.Whiteout) != 0) flags |= LoopbackFileSystem.RenameWhiteout;
            e = FileSystem.Rename(parent, name.Span, newParent, newName.Span, flags, out ulong moved);
            Release(releaseTarget);
            if (e == Errno.Success && fo.NodeId == 0) fo.NodeId = moved;   // as for delete: post-rename finds the stream
        }
        Release(releaseSource);
        return ToStatus(e);
    }

    private NtStatus Link(FileObject fo, in SetFileInformationParameters p)
    {
        Errno e = ResolveNode(fo, out ulong node, out ulong releaseSource);
        if (e != Errno.Success) return ToStatus(e);
        e = ResolveParent(p.DestinationDirectory, p.DestinationName, out ulong newParent, out var newName, out ulong releaseTarget);
        if (e == Errno.Success)
        {
            e = FileSystem.CreateHardLink(node, newParent, newName.Span, out _, out _);
            // The link adds a lookup of the node. A transient file object (the in-process API) hands out no entry, so
            // the reference is given back; otherwise (FUSE LINK) it becomes the kernel's, with the entry reply.
            if (e == Errno.Success && (fo.Flags & FileObjectFlags.Transient) != 0) FileSystem.Forget(node, 1);
            else if (e == Errno.Success) fo.Flags |= FileObjectFlags.HoldsNodeReference;   // the caller's, until it hands it on
            Release(releaseTarget);
        }
        Release(releaseSource);
        return ToStatus(e);
    }

    private NtStatus ExecuteSetSecurity(CallbackData data)
    {
        FileObject? fo = data.Iopb.TargetFileObject;
        if (fo is null) return NtStatus.InvalidParameter;
        ref SecurityParameters p = ref data.Iopb.Parameters.SetSecurity;
        Errno e = ResolveNode(fo, out ulong node, out ulong release);
        if (e != Errno.Success) return ToStatus(e);
        try
        {
            if ((p.SecurityInformation & (SecurityInformation.Owner | SecurityInformation.Group)) != 0)
            {
                e = FileSystem.SetOwner(node,
                    (p.SecurityInformation & SecurityInformation.Owner) != 0 ? p.Uid : uint.MaxValue,
                    (p.SecurityInformation & SecurityInformation.Group) != 0 ? p.Gid : uint.MaxValue);
                if (e != Errno.Success) return ToStatus(e);
            }
            if ((p.SecurityInformation & SecurityInformation.Dacl) != 0)
                e = FileSystem.SetMode(node, p.Mode & 0xFFF);
            return ToStatus(e);
        }
        finally
        {
            Release(release);
        }
    }

    private NtStatus ExecuteDirectoryControl(CallbackData data, out long information)
    {
        information = 0;
        if (data.Iopb.MinorFunction != MinorFunction.QueryDirectory) return NtStatus.InvalidDeviceRequest;
        FileObject? fo = data.Iopb.TargetFileObject;
        int fd = Fd(fo);
        if (fd < 0) return NtStatus.InvalidHandle;
        ref DirectoryControlParameters p = ref data.Iopb.Parameters.DirectoryControl;
        DirectoryEntryList? entries = p.Entries;
        if (entries is null) return NtStatus.InvalidParameter;
        byte[] buffer = RentDirectoryBuffer();
        try
        {
            int length = (int)Math.Clamp(p.Length, 512u, (uint)DirectoryBufferSize);
            int bytes;
            Errno e;
            // Reads on one directory fd share its position; one query at a time per open.
            lock (fo!)
            {
                e = FileSystem.ReadDirectory(fd, p.Cookie, buffer.AsSpan(0, length), out bytes);
            }
            if (e != Errno.Success) return ToStatus(e);
            if (bytes == 0) return NtStatus.NoMoreFiles;
            var reader = new DirectoryEntryReader(buffer.AsSpan(0, bytes));
            bool map = FileSystem.MapsEntryInodes(fo.NodeId, out ulong device);   // a nested mount was seen
            while (reader.MoveNext()) entries.Add(map ? FileSystem.EntryInode(device, reader.Inode) : reader.Inode, reader.NextCookie, reader.Type, reader.Name);
            information = entries.Count;
            return NtStatus.Success;
        }
        finally { ReturnDirectoryBuffer(buffer); }
    }

    private NtStatus ExecuteQueryVolumeInformation(CallbackData data)
    {
        Errno e = FileSystem.StatFs(LoopbackFileSystem.RootNodeId, out var s);
        if (e != Errno.Success) return ToStatus(e);
        ref VolumeStatistics v = ref data.Iopb.Parameters.QueryVolumeInformation.Statistics;
        v.TotalBlocks = s.Blocks;
        v.FreeBlocks = s.BlocksFree;
        v.AvailableBlocks = s.BlocksAvailable;
        v.TotalFiles = s.Files;
        v.FreeFiles = s.FilesFree;
        v.BlockSize = (uint)s.BlockSize;
        v.FragmentSize = (uint)s.FragmentSize;
        v.MaximumNameLength = (uint)s.MaxNameLength;
        return NtStatus.Success;
    }

    private NtStatus ExecuteQueryEa(CallbackData data, out long information)
    {
        information = 0;
        FileObject? fo = data.Iopb.TargetFileObject;
        if (fo is null) return NtStatus.InvalidParameter;
        ref EaParameters p = ref data.Iopb.Parameters.QueryEa;
        Errno e = ResolveNode(fo, out ulong node, out ulong release);
        if (e != Errno.Success) return ToStatus(e);
        int size;
        e = p.EaName.Length == 0
            ? FileSystem.ListExtendedAttributes(node, p.Buffer.Span, out size)
            : FileSystem.GetExtendedAttribute(node, p.EaName.Span, p.Buffer.Span, out size);
        Release(release);
        if (e != Errno.Success) return ToStatus(e);
        information = size;
        return NtStatus.Success;
    }

    private NtStatus ExecuteSetEa(CallbackData data)
    {
        FileObject? fo = data.Iopb.TargetFileObject;
        if (fo is null) return NtStatus.InvalidParameter;
        ref EaParameters p = ref data.Iopb.Parameters.SetEa;
        Errno e = ResolveNode(fo, out ulong node, out ulong release);
        if (e != Errno.Success) return ToStatus(e);
        e = (p.Flags & EaParameters.RemoveFlag) != 0
            ? FileSystem.RemoveExtendedAttribute(node, p.EaName.Span)
            : FileSystem.SetExtendedAttribute(node, p.EaName.Span, p.Buffer.Span, p.Flags);
        Release(release);
        return ToStatus(e);
    }

    private NtStatus ExecuteFlushBuffers(CallbackData data)
    {
        int fd = Fd(data.Iopb.TargetFileObject);
        if (fd < 0) return NtStatus.InvalidHandle;
        return ToStatus(FileSystem.Sync(fd, data.Iopb.Parameters.FlushBuffers.DataOnly));
    }

    private NtStatus ExecuteLockControl(CallbackData data)
    {
        int fd = Fd(data.Iopb.TargetFileObject);
        if (fd < 0) return NtStatus.InvalidHandle;
        ref LockControlParameters p = ref data.Iopb.Parameters.LockControl;
        byte minor = data.Iopb.MinorFunction;
        if (p.Kind == LockKind.Flock)
        {
            const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;
            int op = minor == MinorFunction.Lock ? (p.ExclusiveLock ? LOCK_EX : LOCK_SH) | (p.FailImmediately ? LOCK_NB : 0) : LOCK_UN;
            Errno fe = FileSystem.Flock(fd, op);
            return fe == Errno.EAGAIN ? NtStatus.LockNotGranted : ToStatus(fe);
        }
        var lk = new PosixLock(p.ExclusiveLock ? PosixLock.Write : PosixLock.Read, p.ByteOffset, p.Length);
        Errno e;
        switch (minor)
        {
            case MinorFunction.QueryLock:
                e = FileSystem.GetLock(fd, ref lk);
                if (e != Errno.Success) return ToStatus(e);
                p.Conflict = lk.Type != PosixLock.Unlock;
                p.ConflictProcessId = (uint)lk.Pid;
                if (p.Conflict)
                {
                    p.ExclusiveLock = lk.Type == PosixLock.Write;
                    p.ByteOffset = lk.Start;
                    p.Length = lk.Length;
                }
                return NtStatus.Success;
            case MinorFunction.Lock:
                e = FileSystem.SetLock(fd, lk, wait: !p.FailImmediately);
                return e == Errno.EAGAIN ? NtStatus.LockNotGranted : ToStatus(e);
            case MinorFunction.UnlockSingle:
            case MinorFunction.UnlockAll:
                lk.Type = PosixLock.Unlock;
                if (minor == MinorFunction.UnlockAll) { lk.Start = 0; lk.Length = 0; }
                return ToStatus(FileSystem.SetLock(fd, lk, wait: false));
            default:
                return NtStatus.InvalidDeviceRequest;
        }
    }

    private NtStatus ExecuteFileSystemControl(CallbackData data, out long information)
    {
        information = 0;
        ref FileSystemControlParameters p = ref data.Iopb.Parameters.FileSystemControl;
        if (p.FsControlCode == FsControlCode.QueryAllocatedRanges) return ExecuteQueryAllocatedRanges(data, out information);
        if (p.FsControlCode != FsControlCode.GetReparsePoint) return NtStatus.InvalidDeviceRequest;
        FileObject? fo = data.Iopb.TargetFileObject;
        if (fo is null) return NtStatus.InvalidParameter;
        Errno e = ResolveNode(fo, out ulong node, out ulong release);
        if (e != Errno.Success) return ToStatus(e);
        e = FileSystem.ReadLink(node, p.OutputBuffer.Span, out int length);
        Release(release);
        if (e != Errno.Success) return e == Errno.EINVAL ? NtStatus.NotSupported : ToStatus(e);   // not a symlink
        information = length;
        return NtStatus.Success;
    }
}
