// Arg1..Arg6 of RECORD_DATA. The WDK copies FLT_PARAMETERS.Others.Argument1..6, the raw words of the parameter union;
// Altitude's parameters are one typed record per operation, so this picks, for each major, the values that sit in those
// words on Windows (a length, a class, an offset...) and zero where Windows has a pointer the user program cannot use.
// The table is in samples/MiniSpy/README.md.
namespace Altitude.Samples.MiniSpy;

internal static class OperationArguments
{
    /// <summary>Writes Arg1..Arg6 of the operation in <paramref name="data"/> into <paramref name="record"/>.</summary>
    public static void Write(LogRecordBuffer record, CallbackData data)
    {
        ulong a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0;
        long a6 = 0;
        FltParameters p = data.Iopb.Parameters;
        switch (data.Iopb.MajorFunction)
        {
            case MajorFunction.Create:
                // SecurityContext's word: the access; then Options; FileAttributes|ShareAccess; the Linux flags and mode.
                a1 = p.Create.DesiredAccess;
                a2 = p.Create.Options;
                a3 = p.Create.ShareAccess;
                a4 = (uint)p.Create.OpenFlags;
                a5 = p.Create.Mode;
                break;
            case MajorFunction.Read:
                a1 = p.Read.Length;
                a3 = (ulong)p.Read.ByteOffset;
                break;
            case MajorFunction.Write:
                a1 = p.Write.Length;
                a3 = (ulong)p.Write.ByteOffset;
                break;
            case MajorFunction.QueryInformation:
                a2 = (uint)p.QueryFileInformation.FileInformationClass;
                break;
            case MajorFunction.SetInformation:
                a2 = (uint)p.SetFileInformation.FileInformationClass;
                a3 = p.SetFileInformation.DestinationDirectory;   // ParentOfTarget's word
                a4 = (uint)p.SetFileInformation.RenameFlags | (uint)p.SetFileInformation.DispositionFlags;
                a6 = p.SetFileInformation.FileInformationClass == FileInformationClass.FileEndOfFileInformation
                    ? p.SetFileInformation.EndOfFile : p.SetFileInformation.AllocationLength;
                break;
            case MajorFunction.QueryEa:
                a1 = (ulong)p.QueryEa.Buffer.Length;
                break;
            case MajorFunction.SetEa:
                a1 = (ulong)p.SetEa.Buffer.Length;
                a2 = (uint)p.SetEa.Flags;
                break;
            case MajorFunction.FlushBuffers:
                a1 = p.FlushBuffers.DataOnly ? 1u : 0u;
                break;
            case MajorFunction.QueryVolumeInformation:
                a2 = (uint)p.QueryVolumeInformation.FsInformationClass;
                break;
            case MajorFunction.DirectoryControl:
                a1 = p.DirectoryControl.Length;
                a3 = (uint)p.DirectoryControl.FileInformationClass;
                a6 = p.DirectoryControl.Cookie;   // FileIndex's role
                break;
            case MajorFunction.FileSystemControl:
                a1 = (ulong)p.FileSystemControl.OutputBuffer.Length;
                a2 = (ulong)p.FileSystemControl.InputBuffer.Length;
                a3 = p.FileSystemControl.FsControlCode;
                break;
            case MajorFunction.DeviceControl:
            case MajorFunction.InternalDeviceControl:
                a1 = (ulong)p.DeviceIoControl.OutputBuffer.Length;
                a2 = (ulong)p.DeviceIoControl.InputBuffer.Length;
                a3 = p.DeviceIoControl.IoControlCode;
                break;
            case MajorFunction.LockControl:
                a1 = (ulong)p.LockControl.Length;
                a3 = (ulong)p.LockControl.ByteOffset;
                a4 = (p.LockControl.ExclusiveLock ? 1u : 0u) | (p.LockControl.FailImmediately ? 2u : 0u) | ((uint)p.LockControl.Kind << 8);
                a6 = (long)p.LockControl.Owner;
                break;
            case MajorFunction.QuerySecurity:
                a1 = (uint)p.QuerySecurity.SecurityInformation;
                a2 = (ulong)p.QuerySecurity.AclBuffer.Length;
                break;
            case MajorFunction.SetSecurity:
                a1 = (uint)p.SetSecurity.SecurityInformation;
                a2 = p.SetSecurity.Mode;
                a3 = p.SetSecurity.Uid;
                a4 = p.SetSecurity.Gid;
                break;
        }
        record.WriteUInt64(LogRecordLayout.Arg(1), a1);
        record.WriteUInt64(LogRecordLayout.Arg(2), a2);
        record.WriteUInt64(LogRecordLayout.Arg(3), a3);
        record.WriteUInt64(LogRecordLayout.Arg(4), a4);
        record.WriteUInt64(LogRecordLayout.Arg(5), a5);
        record.WriteInt64(LogRecordLayout.Arg6, a6);
    }
}
