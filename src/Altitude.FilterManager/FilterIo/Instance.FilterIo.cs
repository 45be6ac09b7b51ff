// FltReadFile, FltWriteFile, FltQueryInformationFile, FltSetInformationFile, FltQueryDirectoryFile, FltCancelFileOpen and
// FltReissueSynchronousIo (spec section 5): I/O that only the instances below this one, and the file system, see.
namespace Altitude;

public sealed partial class Instance
{
    /// <summary>Filter-issued I/O takes a file object of this instance's volume only.</summary>
    private bool IsOnThisVolume(FileObject? fileObject) => fileObject is not null && ReferenceEquals(fileObject.Volume, Volume);

    /// <summary>Read and write need an open object: not in pre-create (STATUS_INVALID_PARAMETER), not after cleanup (STATUS_FILE_CLOSED).</summary>
    private static NtStatus CheckOpen(FileObject? fo)
    {
        if (fo is null || fo.ContextState != FileObjectContextState.Opened) return NtStatus.InvalidParameter;
        return (fo.Flags & FileObjectFlags.CleanupComplete) != 0 ? NtStatus.FileClosed : NtStatus.Success;
    }

    /// <summary>
    /// FltReadFile at <paramref name="byteOffset"/> (-1 = the file object's position). Without <paramref name="callback"/> it is
    /// synchronous and <paramref name="bytesRead"/> is set; with one it returns STATUS_PENDING and the callback gets the
    /// callback data (IoStatus.Information = bytes) on a pool thread. Reading at the end gives STATUS_END_OF_FILE.
    /// </summary>
    public NtStatus ReadFile(FileObject fileObject, long byteOffset, Memory<byte> buffer, FilterIoFlags flags, out int bytesRead,
        AsyncIoCompletionCallback? callback = null, object? callbackContext = null)
    {
        bytesRead = 0;
        NtStatus st = CheckOpen(fileObject);
        if (!st.IsSuccess()) return st;
        CallbackData d = FilterIo.Allocate(Volume, this, fileObject, MajorFunction.Read);
        d.Iopb.IrpFlags = IrpFlagsOf(flags);
        ref ReadParameters p = ref d.Iopb.Parameters.Read;
        p.ByteOffset = byteOffset;
        p.Length = (uint)buffer.Length;
        p.ReadBuffer = buffer;
        return Issue(d, fileObject, flags, callback, callbackContext, out bytesRead);
    }

    /// <summary>FltWriteFile: as <see cref="ReadFile"/>, writing <paramref name="data"/>.</summary>
    public NtStatus WriteFile(FileObject fileObject, long byteOffset, ReadOnlyMemory<byte> data, FilterIoFlags flags, out int bytesWritten,
        AsyncIoCompletionCallback? callback = null, object? callbackContext = null)
    {
        bytesWritten = 0;
        NtStatus st = CheckOpen(fileObject);
        if (!st.IsSuccess()) return st;
        CallbackData d = FilterIo.Allocate(Volume, this, fileObject, MajorFunction.Write);
        d.Iopb.IrpFlags = IrpFlagsOf(flags);
        ref WriteParameters p = ref d.Iopb.Parameters.Write;
        p.ByteOffset = byteOffset;
        p.Length = (uint)data.Length;
        p.WriteBuffer = data;
        return Issue(d, fileObject, flags, callback, callbackContext, out bytesWritten);
    }

    private static uint IrpFlagsOf(FilterIoFlags flags) =>
        ((flags & FilterIoFlags.NonCached) != 0 ? IoParameterBlock.IrpNocache : 0)
        | ((flags & FilterIoFlags.Paging) != 0 ? IoParameterBlock.IrpPagingIo : 0)
        | ((flags & FilterIoFlags.SynchronousPaging) != 0 ? IoParameterBlock.IrpSynchronousPagingIo : 0);

    private static NtStatus Issue(CallbackData d, FileObject fo, FilterIoFlags flags, AsyncIoCompletionCallback? callback, object? context, out int bytes)
    {
        bytes = 0;
        bool keepOffset = (flags & FilterIoFlags.DoNotUpdateByteOffset) != 0;
        long saved = fo.CurrentByteOffset;
        if (callback is not null)
        {
            FilterIo.RunAsync(d, callback, context, keepOffset ? data => data.Iopb.TargetFileObject!.CurrentByteOffset = saved : null);
            return NtStatus.Pending;
        }
        NtStatus st = FilterIo.Run(d, out IoStatusBlock io);
        if (keepOffset) fo.CurrentByteOffset = saved;
        bytes = (int)io.Information;
        return st;
    }

    /// <summary>
    /// FltQueryInformationFile. On an open object whose file has no name left (unlinked, or replaced by a rename),
    /// FileStandardInformation and FileAllInformation give STATUS_FILE_DELETED, as a deleted file does on Windows.
    /// </summary>
    public NtStatus QueryInformationFile(FileObject fileObject, FileInformationClass informationClass, out FileStatInformation information)
    {
        information = default;
        if (fileObject is null) return NtStatus.InvalidParameter;
        CallbackData d = FilterIo.Allocate(Volume, this, fileObject, MajorFunction.QueryInformation);
        d.Iopb.Parameters.QueryFileInformation.FileInformationClass = informationClass;
        Volume.PerformOperation(d);
        information = d.Iopb.Parameters.QueryFileInformation.Stat;
        NtStatus st = d.IoStatus.Status;
        d.Free();
        return st;
    }

    /// <summary>FltSetInformationFile: truncate, times, delete, rename, link or allocation, as <paramref name="parameters"/> says.</summary>
    public NtStatus SetInformationFile(FileObject fileObject, in SetFileInformationParameters parameters)
    {
        if (fileObject is null) return NtStatus.InvalidParameter;
        CallbackData d = FilterIo.Allocate(Volume, this, fileObject, MajorFunction.SetInformation);
        d.Iopb.Parameters.SetFileInformation = parameters;
        return FilterIo.Run(d, out _);
    }

    /// <summary>FltQueryDirectoryFile: entries of an open directory from <paramref name="cookie"/> (0 = start) into <paramref name="entries"/>.</summary>
    public NtStatus QueryDirectoryFile(FileObject directory, DirectoryEntryList entries, long cookie = 0,
        FileInformationClass informationClass = FileInformationClass.FileIdBothDirectoryInformation, uint length = 65536)
    {
        if (directory is null || entries is null) return NtStatus.InvalidParameter;
        NtStatus st = CheckOpen(directory);
        if (!st.IsSuccess()) return st;
        CallbackData d = FilterIo.Allocate(Volume, this, directory, MajorFunction.DirectoryControl, MinorFunction.QueryDirectory);
        ref DirectoryControlParameters p = ref d.Iopb.Parameters.DirectoryControl;
        p.FileInformationClass = informationClass;
        p.Cookie = cookie;
        p.Length = length;
        p.Entries = entries;
        entries.Clear();
        return FilterIo.Run(d, out _);
    }

    /// <summary>
    /// FltCancelFileOpen, from post-create before the handle exists: the instances below see the open followed by a
    /// CLEANUP and a CLOSE; the caller then fails the create (for example STATUS_ACCESS_DENIED) so the ones above see it fail.
    /// </summary>
    public NtStatus CancelFileOpen(FileObject fileObject)
    {
        if (!IsOnThisVolume(fileObject)) return NtStatus.InvalidParameter;
        if (fileObject.ContextState != FileObjectContextState.Opened
            || (fileObject.Flags & (FileObjectFlags.HandleCreated | FileObjectFlags.FileOpenCancelled)) != 0) return NtStatus.InvalidParameter;
        fileObject.Flags |= FileObjectFlags.FileOpenCancelled;
        FilterIo.Run(FilterIo.Allocate(Volume, this, fileObject, MajorFunction.Cleanup), out _);
        fileObject.Flags |= FileObjectFlags.CleanupComplete;
        FilterIo.Run(FilterIo.Allocate(Volume, this, fileObject, MajorFunction.Close), out _);
        return NtStatus.Success;
    }

    /// <summary>
    /// FltReissueSynchronousIo, from this instance's post-op of an operation whose pre-op returned SYNCHRONIZE (post-create
    /// always qualifies): sends the operation, as the Iopb now says, again to the instances below and the file system, and
    /// leaves the new IoStatus and outputs in <paramref name="data"/>. Not for a file object whose open was cancelled.
    /// </summary>
    public NtStatus ReissueSynchronousIo(CallbackData data)
    {
        if (data is null || data.InCallback != 2 || (uint)data.Index >= (uint)data.Chain.Length || !ReferenceEquals(data.Chain[data.Index], this))
            return NtStatus.InvalidParameter;
        if ((Volatile.Read(ref data.Frames[data.Index].State) & InstanceFrame.SynchronizeBit) == 0) return NtStatus.InvalidParameter;
        if (data.Iopb.TargetFileObject is { } fo && (fo.Flags & FileObjectFlags.FileOpenCancelled) != 0) return NtStatus.InvalidParameter;
        AllocateCallbackData(data.Iopb.TargetFileObject, out CallbackData? again);
        CallbackData r = again!;
        r.Flags |= CallbackDataFlags.ReissuedIo | (data.Flags & CallbackDataFlags.IrpOperation);
        r.Iopb.MajorFunction = data.Iopb.MajorFunction;
        r.Iopb.MinorFunction = data.Iopb.MinorFunction;
        r.Iopb.IrpFlags = data.Iopb.IrpFlags;
        r.Iopb.OperationFlags = data.Iopb.OperationFlags;
        r.Iopb.Parameters.CopyFrom(data.Iopb.Parameters);
        r.Requestor = data.Requestor;
        Volume.PerformOperation(r);
        data.IoStatus = r.IoStatus;
        data.Iopb.Parameters.CopyFrom(r.Iopb.Parameters);
        r.Free();
        return data.IoStatus.Status;
    }
}
