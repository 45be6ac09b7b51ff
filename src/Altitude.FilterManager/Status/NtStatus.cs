// NTSTATUS values named by the Filter Manager spec (shared/spec/fltmgr-behaviour.md, section 0) and by
// the operations Altitude maps from Linux. Kernel-side members return these; they never throw.
namespace Altitude;

/// <summary>An NTSTATUS value. Severity is in the top two bits: 00 success, 01 informational, 10 warning, 11 error.</summary>
public enum NtStatus : int
{
    Success = 0,
    Timeout = 0x102,                // a success code: FltSendMessage expiry
    Pending = 0x103,
    Reparse = 0x104,
    FltIoComplete = 0x001C0001,     // success: a lower pre-op completed a filter-issued request

    BufferOverflow = unchecked((int)0x80000005),   // warning
    NoMoreFiles = unchecked((int)0x80000006),      // warning
    NoMoreEntries = unchecked((int)0x8000001A),    // warning

    Unsuccessful = unchecked((int)0xC0000001),
    NotImplemented = unchecked((int)0xC0000002),
    InvalidHandle = unchecked((int)0xC0000008),
    InvalidParameter = unchecked((int)0xC000000D),
    NoSuchFile = unchecked((int)0xC000000F),
    InvalidDeviceRequest = unchecked((int)0xC0000010),
    EndOfFile = unchecked((int)0xC0000011),
    NoMemory = unchecked((int)0xC0000017),
    AccessDenied = unchecked((int)0xC0000022),
    BufferTooSmall = unchecked((int)0xC0000023),
    ObjectNameInvalid = unchecked((int)0xC0000033),
    ObjectNameNotFound = unchecked((int)0xC0000034),
    ObjectNameCollision = unchecked((int)0xC0000035),
    PortDisconnected = unchecked((int)0xC0000037),
    ObjectPathNotFound = unchecked((int)0xC000003A),
    SharingViolation = unchecked((int)0xC0000043),
    EaTooLarge = unchecked((int)0xC0000050),
    NoEasOnFile = unchecked((int)0xC0000052),
    FileLockConflict = unchecked((int)0xC0000054),
    LockNotGranted = unchecked((int)0xC0000055),
    DeletePending = unchecked((int)0xC0000056),
    PrivilegeNotHeld = unchecked((int)0xC0000061),
    DiskFull = unchecked((int)0xC000007F),
    /// <summary>STATUS_NO_SUCH_DEVICE: the name is a FIFO, socket or device that the file system does not open (ENXIO).</summary>
    NoSuchDevice = unchecked((int)0xC000000E),
    /// <summary>STATUS_FILE_TOO_LARGE: a size beyond what the file system allows (EFBIG).</summary>
    FileTooLarge = unchecked((int)0xC0000904),
    InsufficientResources = unchecked((int)0xC000009A),
    FileIsADirectory = unchecked((int)0xC00000BA),
    NotSupported = unchecked((int)0xC00000BB),
    IoTimeout = unchecked((int)0xC00000B5),
    FileInvalid = unchecked((int)0xC0000098),
    InvalidParameter3 = unchecked((int)0xC00000F1),
    DirectoryNotEmpty = unchecked((int)0xC0000101),
    NotADirectory = unchecked((int)0xC0000103),
    NameTooLong = unchecked((int)0xC0000106),
    Cancelled = unchecked((int)0xC0000120),
    FileDeleted = unchecked((int)0xC0000123),
    FileClosed = unchecked((int)0xC0000128),
    UnhandledException = unchecked((int)0xC0000144),
    NotSameDevice = unchecked((int)0xC00000D4),
    /// <summary>STATUS_INVALID_IMAGE_FORMAT: FilterLoad of a package whose assembly does not load.</summary>
    InvalidImageFormat = unchecked((int)0xC000007B),
    /// <summary>STATUS_IMAGE_ALREADY_LOADED: FilterLoad of a filter that is loaded.</summary>
    ImageAlreadyLoaded = unchecked((int)0xC000010E),
    TooManyLinks = unchecked((int)0xC0000265),
    InvalidBufferSize = unchecked((int)0xC0000206),
    ConnectionCountLimit = unchecked((int)0xC0000246),
    NotFound = unchecked((int)0xC0000225),
    MountPointNotResolved = unchecked((int)0xC0000368),
    StoppedOnSymlink = unchecked((int)0x8000002D),  // warning: a symlink in the path was not followed
    MediaWriteProtected = unchecked((int)0xC00000A2),
    ThreadIsTerminating = unchecked((int)0xC000004B),
    DatatypeMisalignment = unchecked((int)0x80000002),
    VirusInfected = unchecked((int)0xC0000906),
    InvalidDeviceState = unchecked((int)0xC0000184),
    RequestAborted = unchecked((int)0xC0000240),   // a completion through a PendedOperation whose operation is over

    // Extended attributes and security descriptors (FltQueryEaFile, FltSetEaFile, FltQuery/SetSecurityObject).
    NoMoreEas = unchecked((int)0x80000012),          // warning: an EA scan reached the end
    InvalidEaName = unchecked((int)0x80000013),      // warning
    EaListInconsistent = unchecked((int)0x80000014), // warning: IoStatus.Information = offset of the bad entry
    InvalidInfoClass = unchecked((int)0xC0000003),
    NonexistentEaEntry = unchecked((int)0xC0000051),
    InvalidOwner = unchecked((int)0xC000005A),
    InvalidPrimaryGroup = unchecked((int)0xC000005B),
    InvalidAcl = unchecked((int)0xC0000077),
    InvalidSecurityDescriptor = unchecked((int)0xC0000079),

    // STATUS_FLT_* errors (C01C0001 ... C01C001C, then 0020 and 0023).
    FltNoHandlerDefined = unchecked((int)0xC01C0001),
    FltContextAlreadyDefined = unchecked((int)0xC01C0002),
    FltInvalidAsynchronousRequest = unchecked((int)0xC01C0003),
    FltDisallowFastIo = unchecked((int)0xC01C0004),
    FltInvalidNameRequest = unchecked((int)0xC01C0005),
    FltNotSafeToPostOperation = unchecked((int)0xC01C0006),
    FltNotInitialized = unchecked((int)0xC01C0007),
    FltFilterNotReady = unchecked((int)0xC01C0008),
    FltPostOperationCleanup = unchecked((int)0xC01C0009),
    FltInternalError = unchecked((int)0xC01C000A),
    FltDeletingObject = unchecked((int)0xC01C000B),
    FltMustBeNonpagedPool = unchecked((int)0xC01C000C),
    FltDuplicateEntry = unchecked((int)0xC01C000D),
    FltCbdqDisabled = unchecked((int)0xC01C000E),
    FltDoNotAttach = unchecked((int)0xC01C000F),
    FltDoNotDetach = unchecked((int)0xC01C0010),
    FltInstanceAltitudeCollision = unchecked((int)0xC01C0011),
    FltInstanceNameCollision = unchecked((int)0xC01C0012),
    FltFilterNotFound = unchecked((int)0xC01C0013),
    FltVolumeNotFound = unchecked((int)0xC01C0014),
    FltInstanceNotFound = unchecked((int)0xC01C0015),
    FltContextAllocationNotFound = unchecked((int)0xC01C0016),
    FltInvalidContextRegistration = unchecked((int)0xC01C0017),
    FltNameCacheMiss = unchecked((int)0xC01C0018),
    FltNoDeviceObject = unchecked((int)0xC01C0019),
    FltVolumeAlreadyMounted = unchecked((int)0xC01C001A),
    FltAlreadyEnlisted = unchecked((int)0xC01C001B),
    FltContextAlreadyLinked = unchecked((int)0xC01C001C),
    FltNoWaiterForReply = unchecked((int)0xC01C0020),
    FltRegistrationBusy = unchecked((int)0xC01C0023),
}

/// <summary>NT_SUCCESS and friends.</summary>
public static class NtStatusExtensions
{
    /// <summary>NT_SUCCESS: success and informational codes (STATUS_TIMEOUT included).</summary>
    public static bool IsSuccess(this NtStatus status) => (int)status >= 0;

    /// <summary>NT_WARNING: severity 2 (BUFFER_OVERFLOW, NO_MORE_ENTRIES...).</summary>
    public static bool IsWarning(this NtStatus status) => ((uint)status >> 30) == 2;

    /// <summary>NT_ERROR: severity 3.</summary>
    public static bool IsError(this NtStatus status) => ((uint)status >> 30) == 3;

    /// <summary>"0xC0000022 (AccessDenied)" for logs and test messages.</summary>
    public static string Describe(this NtStatus status) => $"0x{(uint)status:X8} ({status})";
}
