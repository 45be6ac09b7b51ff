// How NTSTATUS values travel to the two edges Altitude has on Linux: errno (the FUSE reply and the
// backing file system) and HRESULT (FilterLib, as HRESULT_FROM_WIN32(RtlNtStatusToDosError(st))).
namespace Altitude;

/// <summary>Conversions between NTSTATUS, Linux errno and the user-mode HRESULT.</summary>
public static class StatusMapping
{
    /// <summary>The errno a Linux caller sees for a status. Success codes give 0; unknown errors give EIO.</summary>
    public static int ToErrno(NtStatus status)
    {
        if (status.IsSuccess()) return 0;
        return status switch
        {
            // A read at the end or a directory listing past its last entry is a successful empty result on Linux.
            NtStatus.EndOfFile or NtStatus.NoMoreFiles or NtStatus.NoMoreEntries => 0,
            NtStatus.AccessDenied or NtStatus.PrivilegeNotHeld or NtStatus.VirusInfected => Errno.EACCES,
            NtStatus.ObjectNameNotFound or NtStatus.NoSuchFile or NtStatus.ObjectPathNotFound
                or NtStatus.NotFound or NtStatus.FileDeleted or NtStatus.DeletePending => Errno.ENOENT,
            NtStatus.ObjectNameCollision => Errno.EEXIST,
            NtStatus.InvalidParameter or NtStatus.InvalidParameter3 or NtStatus.ObjectNameInvalid
                or NtStatus.InvalidBufferSize or NtStatus.FltInvalidNameRequest => Errno.EINVAL,
            NtStatus.NotImplemented or NtStatus.InvalidDeviceRequest => Errno.ENOSYS,
            NtStatus.NotSupported => Errno.EOPNOTSUPP,
            NtStatus.FileIsADirectory => Errno.EISDIR,
            NtStatus.NotADirectory => Errno.ENOTDIR,
            NtStatus.DirectoryNotEmpty => Errno.ENOTEMPTY,
            NtStatus.NameTooLong => Errno.ENAMETOOLONG,
            NtStatus.DiskFull => Errno.ENOSPC,
            NtStatus.FileTooLarge => Errno.EFBIG,
            NtStatus.NoSuchDevice => Errno.ENXIO,
            NtStatus.NoMemory or NtStatus.InsufficientResources => Errno.ENOMEM,
            NtStatus.BufferTooSmall or NtStatus.BufferOverflow => Errno.ERANGE,
            NtStatus.SharingViolation or NtStatus.FileLockConflict or NtStatus.LockNotGranted => Errno.EAGAIN,
            NtStatus.Cancelled => Errno.EINTR,
            NtStatus.IoTimeout => Errno.ETIMEDOUT,
            NtStatus.NotSameDevice => Errno.EXDEV,
            NtStatus.TooManyLinks => Errno.EMLINK,
            NtStatus.MediaWriteProtected => Errno.EROFS,
            NtStatus.InvalidHandle or NtStatus.FileClosed => Errno.EBADF,
            NtStatus.NoEasOnFile => Errno.ENODATA,
            NtStatus.EaTooLarge => Errno.E2BIG,
            NtStatus.StoppedOnSymlink => Errno.ELOOP,
            NtStatus.FltDeletingObject => Errno.ENODEV,
            _ => Errno.EIO,
        };
    }

    /// <summary>The status for an errno returned by the backing file system. 0 gives SUCCESS.</summary>
    public static NtStatus FromErrno(int errno) => errno switch
    {
        0 => NtStatus.Success,
        Errno.EPERM or Errno.EACCES => NtStatus.AccessDenied,
        Errno.ENOENT => NtStatus.ObjectNameNotFound,
        Errno.EEXIST => NtStatus.ObjectNameCollision,
        Errno.EINVAL => NtStatus.InvalidParameter,
        Errno.ENOSYS => NtStatus.NotImplemented,
        Errno.EOPNOTSUPP => NtStatus.NotSupported,
        Errno.EISDIR => NtStatus.FileIsADirectory,
        Errno.ENOTDIR => NtStatus.NotADirectory,
        Errno.ENOTEMPTY => NtStatus.DirectoryNotEmpty,
        Errno.ENAMETOOLONG => NtStatus.NameTooLong,
        Errno.ENOSPC or Errno.EDQUOT => NtStatus.DiskFull,
        Errno.ENOMEM => NtStatus.NoMemory,
        Errno.ERANGE => NtStatus.BufferTooSmall,
        Errno.EAGAIN => NtStatus.LockNotGranted,
        Errno.EINTR => NtStatus.Cancelled,
        Errno.ETIMEDOUT => NtStatus.IoTimeout,
        Errno.EXDEV => NtStatus.NotSameDevice,
        Errno.EMLINK => NtStatus.TooManyLinks,
        Errno.EROFS => NtStatus.MediaWriteProtected,
        Errno.EBADF => NtStatus.InvalidHandle,
        Errno.ENODATA => NtStatus.NoEasOnFile,
        Errno.E2BIG => NtStatus.EaTooLarge,
        Errno.ELOOP => NtStatus.StoppedOnSymlink,
        Errno.ENODEV => NtStatus.FltDeletingObject,
        Errno.ENXIO => NtStatus.NoSuchDevice,
        Errno.EFBIG => NtStatus.FileTooLarge,   // not DiskFull: truncate -s 16E must say EFBIG, not ENOSPC
        _ => NtStatus.Unsuccessful,
    };

    /// <summary>
    /// The HRESULT FilterLib reports for a status: HRESULT_FROM_WIN32(RtlNtStatusToDosError(st)). The
    /// STATUS_FLT_* errors are facility 0x1C and appear as 0x801F00xx with the same low bits.
    /// </summary>
    public static int ToHResult(NtStatus status)
    {
        uint s = (uint)status;
        if ((s & 0xFFFF0000) == 0xC01C0000) return unchecked((int)(0x801F0000 | (s & 0xFFFF)));
        if (status == NtStatus.Pending) return HResultIoPending;   // an overlapped call that is under way
        if (status.IsSuccess()) return 0;
        uint win32 = status switch
        {
            NtStatus.PortDisconnected or NtStatus.InvalidHandle => 6,        // ERROR_INVALID_HANDLE
            NtStatus.ObjectNameNotFound or NtStatus.NoSuchFile => 2,         // ERROR_FILE_NOT_FOUND
            NtStatus.ObjectPathNotFound => 3,                                // ERROR_PATH_NOT_FOUND
            NtStatus.ObjectNameCollision => 183,                             // ERROR_ALREADY_EXISTS
            NtStatus.AccessDenied => 5,                                      // ERROR_ACCESS_DENIED
            NtStatus.InvalidParameter or NtStatus.InvalidParameter3 => 87,   // ERROR_INVALID_PARAMETER
            NtStatus.ConnectionCountLimit => 1238,                           // ERROR_CONNECTION_COUNT_LIMIT
            NtStatus.BufferTooSmall => 122,                                  // ERROR_INSUFFICIENT_BUFFER
            NtStatus.BufferOverflow => 234,                                  // ERROR_MORE_DATA
            NtStatus.NoMoreEntries or NtStatus.NoMoreFiles => 259,           // ERROR_NO_MORE_ITEMS
            NtStatus.Cancelled => 995,                                       // ERROR_OPERATION_ABORTED
            NtStatus.NotFound => 1168,                                       // ERROR_NOT_FOUND
            NtStatus.NotSupported => 50,                                     // ERROR_NOT_SUPPORTED
            NtStatus.IoTimeout => 1460,                                      // ERROR_TIMEOUT
            NtStatus.InsufficientResources or NtStatus.NoMemory => 1450,     // ERROR_NO_SYSTEM_RESOURCES
            NtStatus.PrivilegeNotHeld => 1314,                               // ERROR_PRIVILEGE_NOT_HELD
            NtStatus.VirusInfected => 225,                                   // ERROR_VIRUS_INFECTED
            NtStatus.DatatypeMisalignment => 998,                            // ERROR_NOACCESS
            NtStatus.FileTooLarge => 223,                                    // ERROR_FILE_TOO_LARGE
            _ => 317,                                                        // ERROR_MR_MID_NOT_FOUND
        };
        return unchecked((int)(0x80070000 | win32));
    }

    /// <summary>ERROR_IO_PENDING as an HRESULT: what an overlapped get returns while it waits.</summary>
    public const int HResultIoPending = unchecked((int)0x800703E5);
}
