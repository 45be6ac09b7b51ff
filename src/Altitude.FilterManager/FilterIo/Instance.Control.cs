// FltFsControlFile and FltDeviceIoControlFile: control requests with METHOD_BUFFERED buffers, below this instance. Which
// codes the loopback answers is in FsControlCode and IoControlCode; any other gives STATUS_INVALID_DEVICE_REQUEST.
namespace Altitude;

public sealed partial class Instance
{
    /// <summary>
    /// FltFsControlFile: IRP_MJ_FILE_SYSTEM_CONTROL / IRP_MN_USER_FS_REQUEST with <paramref name="fsControlCode"/>.
    /// <paramref name="lengthReturned"/> is the output bytes written, also with STATUS_BUFFER_OVERFLOW (a warning: some fit).
    /// </summary>
    public NtStatus FsControlFile(FileObject fileObject, uint fsControlCode, ReadOnlyMemory<byte> inputBuffer, Memory<byte> outputBuffer, out int lengthReturned)
    {
        lengthReturned = 0;
        if (!IsOnThisVolume(fileObject)) return NtStatus.InvalidParameter;
        CallbackData d = FilterIo.Allocate(Volume, this, fileObject, MajorFunction.FileSystemControl, MinorFunction.UserFsRequest);
        ref FileSystemControlParameters p = ref d.Iopb.Parameters.FileSystemControl;
        p.FsControlCode = fsControlCode;
        p.InputBuffer = inputBuffer;
        p.OutputBuffer = outputBuffer;
        NtStatus st = FilterIo.Run(d, out IoStatusBlock io);
        if (st.IsSuccess() || st.IsWarning()) lengthReturned = (int)io.Information;
        return st;
    }

    /// <summary>
    /// FltDeviceIoControlFile: IRP_MJ_DEVICE_CONTROL with <paramref name="ioControlCode"/> on an open object. The loopback
    /// forwards the Linux file ioctls in <see cref="IoControlCode"/> to the backing fd; a code it does not know, or one the
    /// backing file system does not support, gives STATUS_INVALID_DEVICE_REQUEST.
    /// </summary>
    public NtStatus DeviceIoControlFile(FileObject fileObject, uint ioControlCode, ReadOnlyMemory<byte> inputBuffer, Memory<byte> outputBuffer, out int lengthReturned)
    {
        lengthReturned = 0;
        NtStatus st = CheckOpen(fileObject);
        if (!st.IsSuccess()) return st;
        CallbackData d = FilterIo.Allocate(Volume, this, fileObject, MajorFunction.DeviceControl);
        ref DeviceIoControlParameters p = ref d.Iopb.Parameters.DeviceIoControl;
        p.IoControlCode = ioControlCode;
        p.InputBuffer = inputBuffer;
        p.OutputBuffer = outputBuffer;
        st = FilterIo.Run(d, out IoStatusBlock io);
        if (st.IsSuccess()) lengthReturned = (int)io.Information;
        return st;
    }
}
