// How NTSTATUS values travel to the two edges Altitude has on Linux: errno (the FUSE reply and the
// backing file system) and HRESULT (FilterLib, as HRESULT_FROM_WIN32(RtlNtStatusToDosError(st))).
using System.Collections.Frozen;

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
    /// The HRESULT FilterLib reports for a status: HRESULT_FROM_WIN32(RtlNtStatusToDosError(st)) from
    /// <see cref="DosErrors"/>, except that an NT_SUCCESS code gives S_OK, and STATUS_PENDING gives
    /// ERROR_IO_PENDING (an overlapped call that is under way). The STATUS_FLT_* errors (facility 0x1C) map
    /// to ERROR_FLT_* values, which are HRESULTs already (0x801F00xx, same low bits) and pass through
    /// HRESULT_FROM_WIN32 unchanged. A status missing from the table gives ERROR_MR_MID_NOT_FOUND
    /// (0x8007013D), what Windows gives a status it has no mapping for.
    /// </summary>
    public static int ToHResult(NtStatus status)
    {
        if (status == NtStatus.Pending) return HResultIoPending;
        if (status.IsSuccess()) return 0;
        return HResultFromWin32(ToDosError(status));
    }

    /// <summary>
    /// RtlNtStatusToDosError: the Win32 error Windows gives for a status (<see cref="DosErrors"/>). STATUS_FLT_*
    /// codes missing from the table give ERROR_FLT_* by their low bits; anything else missing gives
    /// ERROR_MR_MID_NOT_FOUND (317).
    /// </summary>
    public static int ToDosError(NtStatus status)
    {
        if (DosErrorOf.TryGetValue(status, out int error)) return error;
        uint s = (uint)status;
        if ((s & 0xFFFF0000) == 0xC01C0000) return unchecked((int)(0x801F0000 | (s & 0xFFFF)));
        return ErrorMrMidNotFound;
    }

    /// <summary>HRESULT_FROM_WIN32: a value that is already an HRESULT (zero or negative) is returned as is.</summary>
    public static int HResultFromWin32(int error) => error <= 0 ? error : unchecked((int)(0x80070000 | ((uint)error & 0xFFFF)));

    /// <summary>ERROR_MR_MID_NOT_FOUND: what RtlNtStatusToDosError gives a status it has no mapping for.</summary>
    public const int ErrorMrMidNotFound = 317;

    /// <summary>One row of <see cref="DosErrors"/>: the Win32 error Windows' RtlNtStatusToDosError gives a status.</summary>
    public readonly record struct DosErrorRow(NtStatus Status, string StatusName, int Win32Error, string Win32Name);

    /// <summary>
    /// Every NTSTATUS in <see cref="NtStatus"/> with the Win32 error Windows' RtlNtStatusToDosError gives it,
    /// in status order. docs/port-protocol.md ("NTSTATUS to HRESULT") lists the same rows.
    /// </summary>
    // Checked row by row against Wine's dlls/ntdll/error.h (commit 0a95b94f, the table Wine's
    // dlls/ntdll/make_errors generates from the Windows mapping list), and against the older hand-kept table
    // in Wine's dlls/ntdll/error.c (commit 04f9f1b0) and ReactOS's copy of it (sdk/lib/rtl/error.c). Where
    // those differ (STATUS_NO_SUCH_DEVICE, STATUS_UNHANDLED_EXCEPTION, STATUS_MOUNT_POINT_NOT_RESOLVED; the
    // old tables do not have STATUS_STOPPED_ON_SYMLINK, FILE_TOO_LARGE, VIRUS_INFECTED or STATUS_FLT_*),
    // the generated table wins. Win32 numbers are winerror.h's.
    public static IReadOnlyList<DosErrorRow> DosErrors { get; } =
    [
        new(NtStatus.Success, "STATUS_SUCCESS", 0, "ERROR_SUCCESS"),
        new(NtStatus.Timeout, "STATUS_TIMEOUT", 1460, "ERROR_TIMEOUT"),
        new(NtStatus.Pending, "STATUS_PENDING", 997, "ERROR_IO_PENDING"),
        new(NtStatus.Reparse, "STATUS_REPARSE", 741, "ERROR_REPARSE"),
        new(NtStatus.FltIoComplete, "STATUS_FLT_IO_COMPLETE", 0x001F0001, "ERROR_FLT_IO_COMPLETE"),
        new(NtStatus.DatatypeMisalignment, "STATUS_DATATYPE_MISALIGNMENT", 998, "ERROR_NOACCESS"),
        new(NtStatus.BufferOverflow, "STATUS_BUFFER_OVERFLOW", 234, "ERROR_MORE_DATA"),
        new(NtStatus.NoMoreFiles, "STATUS_NO_MORE_FILES", 18, "ERROR_NO_MORE_FILES"),
        new(NtStatus.NoMoreEas, "STATUS_NO_MORE_EAS", 259, "ERROR_NO_MORE_ITEMS"),
        new(NtStatus.InvalidEaName, "STATUS_INVALID_EA_NAME", 254, "ERROR_INVALID_EA_NAME"),
        new(NtStatus.EaListInconsistent, "STATUS_EA_LIST_INCONSISTENT", 255, "ERROR_EA_LIST_INCONSISTENT"),
        new(NtStatus.NoMoreEntries, "STATUS_NO_MORE_ENTRIES", 259, "ERROR_NO_MORE_ITEMS"),
        new(NtStatus.StoppedOnSymlink, "STATUS_STOPPED_ON_SYMLINK", 681, "ERROR_STOPPED_ON_SYMLINK"),
        new(NtStatus.Unsuccessful, "STATUS_UNSUCCESSFUL", 31, "ERROR_GEN_FAILURE"),
        new(NtStatus.NotImplemented, "STATUS_NOT_IMPLEMENTED", 1, "ERROR_INVALID_FUNCTION"),
        new(NtStatus.InvalidInfoClass, "STATUS_INVALID_INFO_CLASS", 87, "ERROR_INVALID_PARAMETER"),
        new(NtStatus.InvalidHandle, "STATUS_INVALID_HANDLE", 6, "ERROR_INVALID_HANDLE"),
        new(NtStatus.InvalidParameter, "STATUS_INVALID_PARAMETER", 87, "ERROR_INVALID_PARAMETER"),
        new(NtStatus.NoSuchDevice, "STATUS_NO_SUCH_DEVICE", 433, "ERROR_NO_SUCH_DEVICE"),
        new(NtStatus.NoSuchFile, "STATUS_NO_SUCH_FILE", 2, "ERROR_FILE_NOT_FOUND"),
        new(NtStatus.InvalidDeviceRequest, "STATUS_INVALID_DEVICE_REQUEST", 1, "ERROR_INVALID_FUNCTION"),
        new(NtStatus.EndOfFile, "STATUS_END_OF_FILE", 38, "ERROR_HANDLE_EOF"),
        new(NtStatus.NoMemory, "STATUS_NO_MEMORY", 8, "ERROR_NOT_ENOUGH_MEMORY"),
        new(NtStatus.AccessDenied, "STATUS_ACCESS_DENIED", 5, "ERROR_ACCESS_DENIED"),
        new(NtStatus.BufferTooSmall, "STATUS_BUFFER_TOO_SMALL", 122, "ERROR_INSUFFICIENT_BUFFER"),
        new(NtStatus.ObjectNameInvalid, "STATUS_OBJECT_NAME_INVALID", 123, "ERROR_INVALID_NAME"),
        new(NtStatus.ObjectNameNotFound, "STATUS_OBJECT_NAME_NOT_FOUND", 2, "ERROR_FILE_NOT_FOUND"),
        new(NtStatus.ObjectNameCollision, "STATUS_OBJECT_NAME_COLLISION", 183, "ERROR_ALREADY_EXISTS"),
        new(NtStatus.PortDisconnected, "STATUS_PORT_DISCONNECTED", 6, "ERROR_INVALID_HANDLE"),
        new(NtStatus.ObjectPathNotFound, "STATUS_OBJECT_PATH_NOT_FOUND", 3, "ERROR_PATH_NOT_FOUND"),
        new(NtStatus.SharingViolation, "STATUS_SHARING_VIOLATION", 32, "ERROR_SHARING_VIOLATION"),
        new(NtStatus.ThreadIsTerminating, "STATUS_THREAD_IS_TERMINATING", 5, "ERROR_ACCESS_DENIED"),
        new(NtStatus.EaTooLarge, "STATUS_EA_TOO_LARGE", 255, "ERROR_EA_LIST_INCONSISTENT"),
        new(NtStatus.NonexistentEaEntry, "STATUS_NONEXISTENT_EA_ENTRY", 1392, "ERROR_FILE_CORRUPT"),
        new(NtStatus.NoEasOnFile, "STATUS_NO_EAS_ON_FILE", 1392, "ERROR_FILE_CORRUPT"),
        new(NtStatus.FileLockConflict, "STATUS_FILE_LOCK_CONFLICT", 33, "ERROR_LOCK_VIOLATION"),
        new(NtStatus.LockNotGranted, "STATUS_LOCK_NOT_GRANTED", 33, "ERROR_LOCK_VIOLATION"),
        new(NtStatus.DeletePending, "STATUS_DELETE_PENDING", 5, "ERROR_ACCESS_DENIED"),
        new(NtStatus.InvalidOwner, "STATUS_INVALID_OWNER", 1307, "ERROR_INVALID_OWNER"),
        new(NtStatus.InvalidPrimaryGroup, "STATUS_INVALID_PRIMARY_GROUP", 1308, "ERROR_INVALID_PRIMARY_GROUP"),
        new(NtStatus.PrivilegeNotHeld, "STATUS_PRIVILEGE_NOT_HELD", 1314, "ERROR_PRIVILEGE_NOT_HELD"),
        new(NtStatus.InvalidAcl, "STATUS_INVALID_ACL", 1336, "ERROR_INVALID_ACL"),
        new(NtStatus.InvalidSecurityDescriptor, "STATUS_INVALID_SECURITY_DESCR", 1338, "ERROR_INVALID_SECURITY_DESCR"),
        new(NtStatus.InvalidImageFormat, "STATUS_INVALID_IMAGE_FORMAT", 193, "ERROR_BAD_EXE_FORMAT"),
        new(NtStatus.DiskFull, "STATUS_DISK_FULL", 112, "ERROR_DISK_FULL"),
        new(NtStatus.FileInvalid, "STATUS_FILE_INVALID", 1006, "ERROR_FILE_INVALID"),
        new(NtStatus.InsufficientResources, "STATUS_INSUFFICIENT_RESOURCES", 1450, "ERROR_NO_SYSTEM_RESOURCES"),
        new(NtStatus.MediaWriteProtected, "STATUS_MEDIA_WRITE_PROTECTED", 19, "ERROR_WRITE_PROTECT"),
        new(NtStatus.IoTimeout, "STATUS_IO_TIMEOUT", 121, "ERROR_SEM_TIMEOUT"),
        new(NtStatus.FileIsADirectory, "STATUS_FILE_IS_A_DIRECTORY", 5, "ERROR_ACCESS_DENIED"),
        new(NtStatus.NotSupported, "STATUS_NOT_SUPPORTED", 50, "ERROR_NOT_SUPPORTED"),
        new(NtStatus.NotSameDevice, "STATUS_NOT_SAME_DEVICE", 17, "ERROR_NOT_SAME_DEVICE"),
        new(NtStatus.InvalidParameter3, "STATUS_INVALID_PARAMETER_3", 87, "ERROR_INVALID_PARAMETER"),
        new(NtStatus.DirectoryNotEmpty, "STATUS_DIRECTORY_NOT_EMPTY", 145, "ERROR_DIR_NOT_EMPTY"),
        new(NtStatus.NotADirectory, "STATUS_NOT_A_DIRECTORY", 267, "ERROR_DIRECTORY"),
        new(NtStatus.NameTooLong, "STATUS_NAME_TOO_LONG", 206, "ERROR_FILENAME_EXCED_RANGE"),
        new(NtStatus.ImageAlreadyLoaded, "STATUS_IMAGE_ALREADY_LOADED", 1056, "ERROR_SERVICE_ALREADY_RUNNING"),
        new(NtStatus.Cancelled, "STATUS_CANCELLED", 995, "ERROR_OPERATION_ABORTED"),
        new(NtStatus.FileDeleted, "STATUS_FILE_DELETED", 5, "ERROR_ACCESS_DENIED"),
        new(NtStatus.FileClosed, "STATUS_FILE_CLOSED", 6, "ERROR_INVALID_HANDLE"),
        new(NtStatus.UnhandledException, "STATUS_UNHANDLED_EXCEPTION", 574, "ERROR_UNHANDLED_EXCEPTION"),
        new(NtStatus.InvalidDeviceState, "STATUS_INVALID_DEVICE_STATE", 22, "ERROR_BAD_COMMAND"),
        new(NtStatus.InvalidBufferSize, "STATUS_INVALID_BUFFER_SIZE", 1784, "ERROR_INVALID_USER_BUFFER"),
        new(NtStatus.NotFound, "STATUS_NOT_FOUND", 1168, "ERROR_NOT_FOUND"),
        new(NtStatus.RequestAborted, "STATUS_REQUEST_ABORTED", 1235, "ERROR_REQUEST_ABORTED"),
        new(NtStatus.ConnectionCountLimit, "STATUS_CONNECTION_COUNT_LIMIT", 1238, "ERROR_CONNECTION_COUNT_LIMIT"),
        new(NtStatus.TooManyLinks, "STATUS_TOO_MANY_LINKS", 1142, "ERROR_TOO_MANY_LINKS"),
        new(NtStatus.MountPointNotResolved, "STATUS_MOUNT_POINT_NOT_RESOLVED", 649, "ERROR_MOUNT_POINT_NOT_RESOLVED"),
        new(NtStatus.FileTooLarge, "STATUS_FILE_TOO_LARGE", 223, "ERROR_FILE_TOO_LARGE"),
        new(NtStatus.VirusInfected, "STATUS_VIRUS_INFECTED", 225, "ERROR_VIRUS_INFECTED"),
        new(NtStatus.FltNoHandlerDefined, "STATUS_FLT_NO_HANDLER_DEFINED", unchecked((int)0x801F0001), "ERROR_FLT_NO_HANDLER_DEFINED"),
        new(NtStatus.FltContextAlreadyDefined, "STATUS_FLT_CONTEXT_ALREADY_DEFINED", unchecked((int)0x801F0002), "ERROR_FLT_CONTEXT_ALREADY_DEFINED"),
        new(NtStatus.FltInvalidAsynchronousRequest, "STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST", unchecked((int)0x801F0003), "ERROR_FLT_INVALID_ASYNCHRONOUS_REQUEST"),
        new(NtStatus.FltDisallowFastIo, "STATUS_FLT_DISALLOW_FAST_IO", unchecked((int)0x801F0004), "ERROR_FLT_DISALLOW_FAST_IO"),
        new(NtStatus.FltInvalidNameRequest, "STATUS_FLT_INVALID_NAME_REQUEST", unchecked((int)0x801F0005), "ERROR_FLT_INVALID_NAME_REQUEST"),
        new(NtStatus.FltNotSafeToPostOperation, "STATUS_FLT_NOT_SAFE_TO_POST_OPERATION", unchecked((int)0x801F0006), "ERROR_FLT_NOT_SAFE_TO_POST_OPERATION"),
        new(NtStatus.FltNotInitialized, "STATUS_FLT_NOT_INITIALIZED", unchecked((int)0x801F0007), "ERROR_FLT_NOT_INITIALIZED"),
        new(NtStatus.FltFilterNotReady, "STATUS_FLT_FILTER_NOT_READY", unchecked((int)0x801F0008), "ERROR_FLT_FILTER_NOT_READY"),
        new(NtStatus.FltPostOperationCleanup, "STATUS_FLT_POST_OPERATION_CLEANUP", unchecked((int)0x801F0009), "ERROR_FLT_POST_OPERATION_CLEANUP"),
        new(NtStatus.FltInternalError, "STATUS_FLT_INTERNAL_ERROR", unchecked((int)0x801F000A), "ERROR_FLT_INTERNAL_ERROR"),
        new(NtStatus.FltDeletingObject, "STATUS_FLT_DELETING_OBJECT", unchecked((int)0x801F000B), "ERROR_FLT_DELETING_OBJECT"),
        new(NtStatus.FltMustBeNonpagedPool, "STATUS_FLT_MUST_BE_NONPAGED_POOL", unchecked((int)0x801F000C), "ERROR_FLT_MUST_BE_NONPAGED_POOL"),
        new(NtStatus.FltDuplicateEntry, "STATUS_FLT_DUPLICATE_ENTRY", unchecked((int)0x801F000D), "ERROR_FLT_DUPLICATE_ENTRY"),
        new(NtStatus.FltCbdqDisabled, "STATUS_FLT_CBDQ_DISABLED", unchecked((int)0x801F000E), "ERROR_FLT_CBDQ_DISABLED"),
        new(NtStatus.FltDoNotAttach, "STATUS_FLT_DO_NOT_ATTACH", unchecked((int)0x801F000F), "ERROR_FLT_DO_NOT_ATTACH"),
        new(NtStatus.FltDoNotDetach, "STATUS_FLT_DO_NOT_DETACH", unchecked((int)0x801F0010), "ERROR_FLT_DO_NOT_DETACH"),
        new(NtStatus.FltInstanceAltitudeCollision, "STATUS_FLT_INSTANCE_ALTITUDE_COLLISION", unchecked((int)0x801F0011), "ERROR_FLT_INSTANCE_ALTITUDE_COLLISION"),
        new(NtStatus.FltInstanceNameCollision, "STATUS_FLT_INSTANCE_NAME_COLLISION", unchecked((int)0x801F0012), "ERROR_FLT_INSTANCE_NAME_COLLISION"),
        new(NtStatus.FltFilterNotFound, "STATUS_FLT_FILTER_NOT_FOUND", unchecked((int)0x801F0013), "ERROR_FLT_FILTER_NOT_FOUND"),
        new(NtStatus.FltVolumeNotFound, "STATUS_FLT_VOLUME_NOT_FOUND", unchecked((int)0x801F0014), "ERROR_FLT_VOLUME_NOT_FOUND"),
        new(NtStatus.FltInstanceNotFound, "STATUS_FLT_INSTANCE_NOT_FOUND", unchecked((int)0x801F0015), "ERROR_FLT_INSTANCE_NOT_FOUND"),
        new(NtStatus.FltContextAllocationNotFound, "STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND", unchecked((int)0x801F0016), "ERROR_FLT_CONTEXT_ALLOCATION_NOT_FOUND"),
        new(NtStatus.FltInvalidContextRegistration, "STATUS_FLT_INVALID_CONTEXT_REGISTRATION", unchecked((int)0x801F0017), "ERROR_FLT_INVALID_CONTEXT_REGISTRATION"),
        new(NtStatus.FltNameCacheMiss, "STATUS_FLT_NAME_CACHE_MISS", unchecked((int)0x801F0018), "ERROR_FLT_NAME_CACHE_MISS"),
        new(NtStatus.FltNoDeviceObject, "STATUS_FLT_NO_DEVICE_OBJECT", unchecked((int)0x801F0019), "ERROR_FLT_NO_DEVICE_OBJECT"),
        new(NtStatus.FltVolumeAlreadyMounted, "STATUS_FLT_VOLUME_ALREADY_MOUNTED", unchecked((int)0x801F001A), "ERROR_FLT_VOLUME_ALREADY_MOUNTED"),
        new(NtStatus.FltAlreadyEnlisted, "STATUS_FLT_ALREADY_ENLISTED", unchecked((int)0x801F001B), "ERROR_FLT_ALREADY_ENLISTED"),
        new(NtStatus.FltContextAlreadyLinked, "STATUS_FLT_CONTEXT_ALREADY_LINKED", unchecked((int)0x801F001C), "ERROR_FLT_CONTEXT_ALREADY_LINKED"),
        new(NtStatus.FltNoWaiterForReply, "STATUS_FLT_NO_WAITER_FOR_REPLY", unchecked((int)0x801F0020), "ERROR_FLT_NO_WAITER_FOR_REPLY"),
        new(NtStatus.FltRegistrationBusy, "STATUS_FLT_REGISTRATION_BUSY", unchecked((int)0x801F0023), "ERROR_FLT_REGISTRATION_BUSY"),
    ];

    private static readonly FrozenDictionary<NtStatus, int> DosErrorOf = DosErrors.ToFrozenDictionary(r => r.Status, r => r.Win32Error);

    /// <summary>ERROR_IO_PENDING as an HRESULT: what an overlapped get returns while it waits.</summary>
    public const int HResultIoPending = unchecked((int)0x800703E5);
}
