// IRP major function codes and the Filter Manager pseudo-majors (negative UCHARs), spec section 2.
namespace Altitude;

/// <summary>IRP_MJ_* codes. Pseudo-majors are negative values stored in a byte, as in fltkernel.h.</summary>
public enum MajorFunction : byte
{
    Create = 0x00,
    CreateNamedPipe = 0x01,
    Close = 0x02,
    Read = 0x03,
    Write = 0x04,
    QueryInformation = 0x05,
    SetInformation = 0x06,
    QueryEa = 0x07,
    SetEa = 0x08,
    FlushBuffers = 0x09,
    QueryVolumeInformation = 0x0A,
    SetVolumeInformation = 0x0B,
    DirectoryControl = 0x0C,
    FileSystemControl = 0x0D,
    DeviceControl = 0x0E,
    InternalDeviceControl = 0x0F,
    Shutdown = 0x10,
    LockControl = 0x11,
    Cleanup = 0x12,
    CreateMailslot = 0x13,
    QuerySecurity = 0x14,
    SetSecurity = 0x15,
    Power = 0x16,
    SystemControl = 0x17,
    DeviceChange = 0x18,
    QueryQuota = 0x19,
    SetQuota = 0x1A,
    Pnp = 0x1B,

    /// <summary>IRP_MJ_OPERATION_END: terminates an operation registration table.</summary>
    OperationEnd = 0x80,

    AcquireForSectionSynchronization = unchecked((byte)-1),
    ReleaseForSectionSynchronization = unchecked((byte)-2),
    AcquireForModWrite = unchecked((byte)-3),
    ReleaseForModWrite = unchecked((byte)-4),
    AcquireForCcFlush = unchecked((byte)-5),
    ReleaseForCcFlush = unchecked((byte)-6),
    NotifyStreamFileObject = unchecked((byte)-7),
    FastIoCheckIfPossible = unchecked((byte)-13),
    NetworkQueryOpen = unchecked((byte)-14),
    MdlRead = unchecked((byte)-15),
    MdlReadComplete = unchecked((byte)-16),
    PrepareMdlWrite = unchecked((byte)-17),
    MdlWriteComplete = unchecked((byte)-18),
    VolumeMount = unchecked((byte)-19),
    VolumeDismount = unchecked((byte)-20),
}

/// <summary>Minor function codes used by the operations Altitude generates.</summary>
public static class MinorFunction
{
    /// <summary>IRP_MN_QUERY_DIRECTORY (DIRECTORY_CONTROL).</summary>
    public const byte QueryDirectory = 0x01;
    /// <summary>IRP_MN_NOTIFY_CHANGE_DIRECTORY (DIRECTORY_CONTROL); never generated on Linux.</summary>
    public const byte NotifyChangeDirectory = 0x02;
    /// <summary>IRP_MN_LOCK / UNLOCK_SINGLE / UNLOCK_ALL (LOCK_CONTROL).</summary>
    public const byte Lock = 0x01, UnlockSingle = 0x02, UnlockAll = 0x03;
    /// <summary>Altitude's LOCK_CONTROL minor for F_GETLK (Windows has no lock query).</summary>
    public const byte QueryLock = 0x10;
    /// <summary>IRP_MN_FLUSH_DATA_ONLY (FLUSH_BUFFERS): fdatasync.</summary>
    public const byte FlushDataOnly = 0x01;
    /// <summary>IRP_MN_USER_FS_REQUEST (FILE_SYSTEM_CONTROL).</summary>
    public const byte UserFsRequest = 0x00;
}
