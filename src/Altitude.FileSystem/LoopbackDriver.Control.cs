// Device controls (file ioctls by their Linux numbers), FSCTL_QUERY_ALLOCATED_RANGES and QUERY_SECURITY of the loopback
// driver. Only the listed ioctls reach the backing fd: a filter-issued control must not be able to do anything a Linux
// process could not do to its own open file.
using System.Buffers.Binary;

namespace Altitude.FileSystem;

public sealed partial class LoopbackDriver
{
    /// <summary>The forwarded ioctls: request, argument bytes the kernel reads or writes, and whether it writes them (output).</summary>
    private static bool TryDescribeIoctl(uint code, out int size, out bool output)
    {
        switch (code)
        {
            case IoControlCode.GetBlockSize: size = 4; output = true; return true;
            case IoControlCode.GetFlags: size = 4; output = true; return true;   // declared long, written as int
            case IoControlCode.SetFlags: size = 4; output = false; return true;
            case IoControlCode.GetVersion: size = 4; output = true; return true;
            case IoControlCode.FsGetXattr: size = 28; output = true; return true;
            case IoControlCode.FsSetXattr: size = 28; output = false; return true;
            default: size = 0; output = false; return false;
        }
    }

    private NtStatus ExecuteDeviceControl(CallbackData data, out long information)
    {
        information = 0;
        ref DeviceIoControlParameters p = ref data.Iopb.Parameters.DeviceIoControl;
        if (!TryDescribeIoctl(p.IoControlCode, out int size, out bool output)) return NtStatus.InvalidDeviceRequest;
        int fd = Fd(data.Iopb.TargetFileObject);
        if (fd < 0) return NtStatus.InvalidHandle;
        if (output ? p.OutputBuffer.Length < size : p.InputBuffer.Length < size) return NtStatus.BufferTooSmall;
        Span<byte> argument = stackalloc byte[32];   // room for a long the kernel may widen to
        argument.Clear();
        if (!output) p.InputBuffer.Span[..size].CopyTo(argument);
        Errno e = FileSystem.IoControl(fd, p.IoControlCode, argument);
        // The backing file system does not know this ioctl: an unsupported control, as on Windows.
        if (e is Errno.ENOTTY or Errno.EOPNOTSUPP) return NtStatus.InvalidDeviceRequest;
        if (e != Errno.Success) return ToStatus(e);
        if (output)
        {
            argument[..size].CopyTo(p.OutputBuffer.Span);
            information = size;
        }
        return NtStatus.Success;
    }

    /// <summary>FSCTL_QUERY_ALLOCATED_RANGES: the data ranges of [FileOffset, FileOffset + Length), clipped to it.</summary>
    private NtStatus ExecuteQueryAllocatedRanges(CallbackData data, out long information)
    {
        information = 0;
        ref FileSystemControlParameters p = ref data.Iopb.Parameters.FileSystemControl;
        int fd = Fd(data.Iopb.TargetFileObject);
        if (fd < 0) return NtStatus.InvalidHandle;
        if (p.InputBuffer.Length < 16) return NtStatus.InvalidParameter;
        long offset = BinaryPrimitives.ReadInt64LittleEndian(p.InputBuffer.Span);
        long length = BinaryPrimitives.ReadInt64LittleEndian(p.InputBuffer.Span[8..]);
        if (offset < 0 || length < 0 || offset > long.MaxValue - length) return NtStatus.InvalidParameter;
        Span<byte> output = p.OutputBuffer.Span;
        if (output.Length < 16) return NtStatus.BufferTooSmall;
        long end = offset + length;
        int written = 0;
        while (offset < end)
        {
            Errno e = FileSystem.SeekData(fd, offset, hole: false, out long start);
            if (e == Errno.ENXIO || (e == Errno.Success && start >= end)) break;
            if (e != Errno.Success) return ToStatus(e);
            e = FileSystem.SeekData(fd, start, hole: true, out long stop);
            if (e != Errno.Success) return ToStatus(e);
            stop = Math.Min(stop, end);
            if (written + 16 > output.Length)
            {
                information = written;
                return NtStatus.BufferOverflow;   // more ranges than room: what fit, as NTFS does
            }
            BinaryPrimitives.WriteInt64LittleEndian(output[written..], start);
            BinaryPrimitives.WriteInt64LittleEndian(output[(written + 8)..], stop - start);
            written += 16;
            offset = stop;
        }
        information = written;
        return NtStatus.Success;
    }

    private static ReadOnlySpan<byte> PosixAclAccess => "system.posix_acl_access"u8;

    /// <summary>QUERY_SECURITY: owner, group and mode from statx; the access ACL from its xattr when the node has one.</summary>
    private NtStatus ExecuteQuerySecurity(CallbackData data)
    {
        FileObject? fo = data.Iopb.TargetFileObject;
        if (fo is null) return NtStatus.InvalidParameter;
        ref QuerySecurityParameters p = ref data.Iopb.Parameters.QuerySecurity;
        Errno e = ResolveNode(fo, out ulong node, out ulong release);
        if (e != Errno.Success) return ToStatus(e);
        try
        {
            e = FileSystem.GetAttributes(node, out var attr);
            if (e != Errno.Success) return ToStatus(e);
            p.Mode = attr.Mode;
            p.Uid = attr.Uid;
            p.Gid = attr.Gid;
            p.AclLength = 0;
            if (p.AclBuffer.IsEmpty) return NtStatus.Success;
            e = FileSystem.GetExtendedAttribute(node, PosixAclAccess, p.AclBuffer.Span, out int size);
            // No ACL, or a file system (or node type) without ACLs: the mode says everything.
            if (e is Errno.ENODATA or Errno.EOPNOTSUPP or Errno.EPERM) return NtStatus.Success;
            if (e != Errno.Success) return ToStatus(e);
            p.AclLength = size;
            return NtStatus.Success;
        }
        finally
        {
            Release(release);
        }
    }
}
