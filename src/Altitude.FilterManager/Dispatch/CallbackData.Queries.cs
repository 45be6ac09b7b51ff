// FltGetRequestorProcessId and FltIsOperationSynchronous: questions a filter asks about the operation it is called for.
namespace Altitude;

public sealed partial class CallbackData
{
    /// <summary>
    /// FltGetRequestorProcessId: the process that asked for the operation (<see cref="Requestor"/>), or 0 when it is not
    /// known: writeback, release, the Filter Manager's and filters' own I/O, and anything FUSE does not attribute.
    /// </summary>
    public uint GetRequestorProcessId() => Requestor.IsKnown && Requestor.ProcessId > 0 ? (uint)Requestor.ProcessId : 0;

    /// <summary>Not an IRP: fast I/O, an FsFilter callback, or a network query open (never posted, never pending).</summary>
    internal bool IsNonIrpOperation =>
        (Flags & CallbackDataFlags.IrpOperation) == 0 || (Flags & (CallbackDataFlags.FastIoOperation | CallbackDataFlags.FsFilterOperation)) != 0
        || Iopb.MajorFunction == MajorFunction.NetworkQueryOpen;

    /// <summary>
    /// FltIsOperationSynchronous, by the WDK's rules in their order: a non-IRP operation (fast I/O, FsFilter callbacks,
    /// NETWORK_QUERY_OPEN) is synchronous; paging I/O is synchronous only with IRP_SYNCHRONOUS_PAGING_IO; IRP_SYNCHRONOUS_API,
    /// a file-system or device control (every Altitude code is buffered) and a synchronous file object make it synchronous.
    /// A file object is synchronous unless it was opened with O_NONBLOCK: a Linux read or write waits for its result
    /// (docs/deviations.md, "FltIsOperationSynchronous"). TRUE does not mean a filter returned SYNCHRONIZE.
    /// </summary>
    public bool IsOperationSynchronous()
    {
        if (IsNonIrpOperation) return true;
        uint irp = Iopb.IrpFlags;
        if ((irp & IoParameterBlock.IrpPagingIo) != 0) return (irp & IoParameterBlock.IrpSynchronousPagingIo) != 0;
        if ((irp & IoParameterBlock.IrpSynchronousApi) != 0) return true;
        if (Iopb.MajorFunction is MajorFunction.FileSystemControl or MajorFunction.DeviceControl or MajorFunction.InternalDeviceControl) return true;
        FileObject? fo = Iopb.TargetFileObject;
        return fo is null || (fo.OpenFlags & OpenFlags.O_NONBLOCK) == 0;
    }
}
