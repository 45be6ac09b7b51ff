// FltCreateFile(Ex2) and FltClose (spec section 5). I/O a filter issues goes straight into the engine, never
// through a FUSE mount: it cannot wait on a FUSE reader thread, and it is marked generated (FLTFL_CALLBACK_DATA_GENERATED_IO).
using System.Text;

namespace Altitude;

/// <summary>FLTFL_IO_OPERATION_* flags of FltReadFile and FltWriteFile.</summary>
[Flags]
public enum FilterIoFlags
{
    None = 0,
    /// <summary>O_DIRECT-like: IRP_NOCACHE on the operation.</summary>
    NonCached = 0x1,
    /// <summary>IRP_PAGING_IO on the operation (names cannot be queried from the file system then).</summary>
    Paging = 0x2,
    /// <summary>The file object's position is saved and restored: only the instances below see it move.</summary>
    DoNotUpdateByteOffset = 0x4,
    SynchronousPaging = 0x8,
}

/// <summary>PFLT_COMPLETED_ASYNC_IO_CALLBACK: an asynchronous FltReadFile/FltWriteFile/FltPerformAsynchronousIo finished.</summary>
public delegate void AsyncIoCompletionCallback(CallbackData data, object? context);

public sealed partial class Filter
{
    /// <summary>
    /// FltCreateFileEx2: opens <paramref name="path"/> (relative to the volume root, or a full name beginning with the
    /// volume name; relative to <paramref name="rootDirectory"/> when given) with open(2) <paramref name="openFlags"/>.
    /// With <paramref name="instance"/> only the instances below it see the CREATE; without, it starts at the top of
    /// <paramref name="volume"/>'s stack and this filter sees it too. Close the result with <see cref="Close"/>.
    /// </summary>
    public NtStatus CreateFile(Volume volume, Instance? instance, string path, int openFlags, uint mode, out FileObject? fileObject,
        out IoStatusBlock ioStatus, FileObject? rootDirectory = null)
    {
        fileObject = null;
        ioStatus = default;
        if (volume is null || path is null) return NtStatus.InvalidParameter;
        if (instance is not null && (!ReferenceEquals(instance.Filter, this) || !ReferenceEquals(instance.Volume, volume))) return NtStatus.InvalidParameter;
        if (State is FilterState.Unloaded) return NtStatus.FltDeletingObject;
        string relative = path.StartsWith(volume.Name + "/", StringComparison.Ordinal) ? path[(volume.Name.Length + 1)..] : path.TrimStart('/');
        bool directory = (openFlags & OpenFlags.O_DIRECTORY) != 0;
        var fo = new FileObject(volume)
        {
            FileName = Encoding.UTF8.GetBytes(relative),
            ParentNodeId = rootDirectory?.NodeId ?? 0,
            OpenFlags = openFlags,
            Flags = directory ? FileObjectFlags.Directory : FileObjectFlags.None,
            IssuingInstance = instance,
            IssuedByFilter = true,
        };
        CallbackData d = FilterIo.Allocate(volume, instance, fo, MajorFunction.Create);
        ref CreateParameters p = ref d.Iopb.Parameters.Create;
        p.OpenFlags = openFlags;
        p.Mode = mode;
        p.NodeKind = CreateNodeKind.RegularFile;
        p.Options = CreateParameters.MakeOptions(OpenFlags.ToDisposition(openFlags), directory ? CreateOptions.DirectoryFile : CreateOptions.NonDirectoryFile);
        p.DesiredAccess = OpenFlags.ToDesiredAccess(openFlags);
        p.ShareAccess = 7;
        NtStatus st = FilterIo.Run(d, out ioStatus);
        if (!st.IsSuccess()) return st;
        fo.Flags |= FileObjectFlags.HandleCreated;
        fileObject = fo;
        return st;
    }

    /// <summary>FltClose (+ ObDereferenceObject): CLEANUP then CLOSE of an object from <see cref="CreateFile"/>, at the level it was opened.</summary>
    public NtStatus Close(FileObject fileObject)
    {
        if (fileObject is null || !fileObject.IssuedByFilter || (fileObject.Flags & FileObjectFlags.Closed) != 0) return NtStatus.InvalidParameter;
        Instance? level = fileObject.IssuingInstance;
        CallbackData d = FilterIo.Allocate(fileObject.Volume, level, fileObject, MajorFunction.Cleanup);
        NtStatus cleanup = FilterIo.Run(d, out _);
        fileObject.Flags |= FileObjectFlags.CleanupComplete;
        d = FilterIo.Allocate(fileObject.Volume, level, fileObject, MajorFunction.Close);
        NtStatus close = FilterIo.Run(d, out _);
        fileObject.Flags |= FileObjectFlags.Closed;
        return cleanup.IsSuccess() ? close : cleanup;
    }
}

/// <summary>Shared plumbing of the filter I/O routines.</summary>
internal static class FilterIo
{
    /// <summary>A callback data for filter I/O: below <paramref name="issuer"/>, or at the top of the volume when it is null. Always marked generated.</summary>
    public static CallbackData Allocate(Volume volume, Instance? issuer, FileObject? fo, MajorFunction major, byte minor = 0)
    {
        CallbackData d;
        if (issuer is not null) issuer.AllocateCallbackData(fo, out d!);
        else
        {
            d = volume.AllocateCallbackData(fo);
            d.Flags |= CallbackDataFlags.GeneratedIo;
        }
        d.Iopb.MajorFunction = major;
        d.Iopb.MinorFunction = minor;
        d.Requestor = Requestor.Unknown;   // the kernel acts, not a process
        return d;
    }

    /// <summary>Runs synchronously, wherever a filter below pends it, then frees the callback data.</summary>
    public static NtStatus Run(CallbackData d, out IoStatusBlock ioStatus)
    {
        d.Volume.PerformOperation(d);
        ioStatus = d.IoStatus;
        d.Free();
        return ioStatus.Status;
    }

    /// <summary>Runs on a pool thread and calls <paramref name="callback"/> with the data, which is freed after it returns.</summary>
    public static void RunAsync(CallbackData d, AsyncIoCompletionCallback callback, object? context, Action<CallbackData>? after)
    {
        ThreadPool.UnsafeQueueUserWorkItem(static state =>
        {
            var (data, cb, ctx, done) = state;
            data.Volume.PerformOperation(data);
            done?.Invoke(data);
            try
            {
                cb(data, ctx);
            }
            catch (Exception e)
            {
                data.Volume.Manager.ReportFault(data.Issuer, data.Iopb.MajorFunction, "asynchronous I/O completion callback threw", e);
            }
            data.Free();
        }, (d, callback, context, after), preferLocal: false);
    }
}
