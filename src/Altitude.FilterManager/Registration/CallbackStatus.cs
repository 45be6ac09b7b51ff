// Return values of pre- and post-operation callbacks and the flags passed to them (spec section 2).
namespace Altitude;

/// <summary>FLT_PREOP_CALLBACK_STATUS.</summary>
public enum PreOperationStatus
{
    /// <summary>Pass the operation down; the post-op runs with the completion context.</summary>
    SuccessWithCallback = 0,
    /// <summary>Pass the operation down; no post-op for this instance.</summary>
    SuccessNoCallback = 1,
    /// <summary>Hold the operation until <see cref="CallbackData.CompletePendedPreOperation"/>.</summary>
    Pending = 2,
    /// <summary>Fast I/O only; Altitude never issues fast I/O, so this behaves as SuccessNoCallback.</summary>
    DisallowFastIo = 3,
    /// <summary>The filter completed the operation with IoStatus; nothing below runs.</summary>
    Complete = 4,
    /// <summary>Like SuccessWithCallback, and the post-op runs in the thread that issued the operation.</summary>
    Synchronize = 5,
    /// <summary>Query-open only; behaves as SuccessNoCallback.</summary>
    DisallowFsFilterIo = 6,
}

/// <summary>FLT_POSTOP_CALLBACK_STATUS.</summary>
public enum PostOperationStatus
{
    FinishedProcessing = 0,
    /// <summary>Completion stops here until <see cref="CallbackData.CompletePendedPostOperation"/>.</summary>
    MoreProcessingRequired = 1,
    DisallowFsFilterIo = 2,
}

/// <summary>FLTFL_POST_OPERATION_*.</summary>
[Flags]
public enum PostOperationFlags
{
    None = 0,
    /// <summary>The instance is being torn down: the data is a copy; free the completion context and return.</summary>
    Draining = 1,
}

/// <summary>FLTFL_CALLBACK_DATA_*.</summary>
[Flags]
public enum CallbackDataFlags : uint
{
    None = 0,
    IrpOperation = 0x1,
    FastIoOperation = 0x2,
    FsFilterOperation = 0x4,
    SystemBuffer = 0x8,
    GeneratedIo = 0x10000,
    ReissuedIo = 0x20000,
    Draining = 0x40000,
    PostOperation = 0x80000,
    Dirty = 0x80000000,
}

/// <summary>
/// FLTFL_OPERATION_REGISTRATION_*. The dispatcher skips a filter's pre- and post-operation for the I/O its row
/// declines: SkipPagingIo any operation with IRP_PAGING_IO (the kernel's writeback of mapped pages, a filter's paging
/// I/O); SkipNonCachedNonPagingIo a READ or WRITE with IRP_NOCACHE alone (O_DIRECT); a READ or WRITE with neither
/// flag (a caller's read or write: no cache manager stands in front of the file system, so it is its own paging I/O
/// too) only a row with both SkipCachedIo and SkipPagingIo; SkipNonDasdIo everything (no volume handles). A volume
/// whose READ rows all set SkipCachedIo keeps its page cache: the reads it serves are the cached I/O those filters
/// declined (docs/operations.md section 6.2).
/// </summary>
[Flags]
public enum OperationRegistrationFlags
{
    None = 0,
    SkipPagingIo = 1,
    SkipCachedIo = 2,
    SkipNonDasdIo = 4,
    SkipNonCachedNonPagingIo = 8,
    /// <summary>
    /// Altitude extension, on a QUERY_INFORMATION or NETWORK_QUERY_OPEN row only (elsewhere FltRegisterFilter fails
    /// with STATUS_INVALID_PARAMETER): the filter declares that its callbacks give the same answer to the same query
    /// until it calls <see cref="Instance.InvalidateCachedInformation"/>. A front-end may then cache what the filters
    /// answered (the FUSE kernel's entry and attribute caches), so the callbacks see the first query of a name or
    /// node and the first after each invalidation, not every one (docs/operations.md section 6.3).
    /// </summary>
    StableInformation = 0x1000,
}

/// <summary>FLTFL_REGISTRATION_*.</summary>
[Flags]
public enum FilterRegistrationFlags
{
    None = 0,
    /// <summary>A mandatory unload (service stop) fails instead of calling the unload callback.</summary>
    DoNotSupportServiceStop = 1,
    SupportNpfsMsfs = 2,
    SupportDaxVolume = 4,
}

/// <summary>FLTFL_FILTER_UNLOAD_*.</summary>
[Flags]
public enum FilterUnloadFlags
{
    None = 0,
    /// <summary>The unload cannot be vetoed.</summary>
    Mandatory = 1,
}

/// <summary>FLTFL_INSTANCE_SETUP_*.</summary>
[Flags]
public enum InstanceSetupFlags
{
    None = 0,
    AutomaticAttachment = 1,
    ManualAttachment = 2,
    NewlyMountedVolume = 4,
    DetachedVolume = 8,
    DevVolume = 0x10,
    Trusted = 0x20,
}

/// <summary>FLTFL_INSTANCE_TEARDOWN_*.</summary>
[Flags]
public enum InstanceTeardownFlags
{
    None = 0,
    Manual = 1,
    FilterUnload = 2,
    MandatoryFilterUnload = 4,
    VolumeDismount = 8,
    InternalError = 0x10,
}

/// <summary>FLT_FILESYSTEM_TYPE, numbered from 0 as in fltkernel.h; Altitude volumes report Unknown (FUSE has no value).</summary>
public enum FileSystemType
{
    Unknown = 0, Raw, Ntfs, Fat, Cdfs, Udfs, Lanman, Webdav, Rdpdr, Nfs, MsNetware, Netware, Bsudf, Mup, Rsfx,
    RoxioUdf1, RoxioUdf2, RoxioUdf3, Tacit, FsRec, Incd, IncdFat, Exfat, Psfs, Gpfs, Npfs, Msfs, Csvfs, Refs, Openafs, Cimfs,
}

/// <summary>FILE_DEVICE_* values passed to InstanceSetup.</summary>
public enum VolumeDeviceType
{
    CdRomFileSystem = 2,
    DiskFileSystem = 8,
    NetworkFileSystem = 0x14,
}
