// The information classes of the FltLib enumerations and get-information calls, and FLT_FILESYSTEM_TYPE,
// with fltUserStructures.h's values.
namespace Altitude.FilterLib;

/// <summary>FILTER_INFORMATION_CLASS: FilterFindFirst/Next and FilterGetInformation.</summary>
public enum FilterInformationClass : uint
{
    FilterFullInformation = 0,
    FilterAggregateBasicInformation = 1,
    FilterAggregateStandardInformation = 2,
}

/// <summary>FILTER_VOLUME_INFORMATION_CLASS: FilterVolumeFindFirst/Next.</summary>
public enum FilterVolumeInformationClass : uint
{
    FilterVolumeBasicInformation = 0,
    FilterVolumeStandardInformation = 1,
}

/// <summary>INSTANCE_INFORMATION_CLASS: the instance enumerations and FilterInstanceGetInformation.</summary>
public enum InstanceInformationClass : uint
{
    InstanceBasicInformation = 0,
    InstancePartialInformation = 1,
    InstanceFullInformation = 2,
    InstanceAggregateStandardInformation = 3,
}

/// <summary>
/// FLT_FILESYSTEM_TYPE. It has no Linux values: Altitude volumes report <see cref="Unknown"/>, and
/// <see cref="VolumeInfo.FileSystemName"/> names the file system (docs/deviations.md).
/// </summary>
public enum FltFilesystemType : uint
{
    Unknown, Raw, Ntfs, Fat, Cdfs, Udfs, Lanman, Webdav, Rdpdr, Nfs, MsNetware, Netware, Bsudf, Mup, Rsfx,
    RoxioUdf1, RoxioUdf2, RoxioUdf3, Tacit, FsRec, Incd, IncdFat, Exfat, Psfs, Gpfs, Npfs, Msfs, Csvfs, Refs, Openafs, Cimfs,
}

/// <summary>The flag values of the aggregate and standard structures.</summary>
public static class FilterInformationFlags
{
    /// <summary>FLTFL_AGGREGATE_INFO_IS_MINIFILTER / FLTFL_ASI_IS_MINIFILTER / FLTFL_IASI_IS_MINIFILTER.</summary>
    public const uint IsMiniFilter = 1;
    /// <summary>FLTFL_AGGREGATE_INFO_IS_LEGACYFILTER / FLTFL_ASI_IS_LEGACYFILTER / FLTFL_IASI_IS_LEGACYFILTER.</summary>
    public const uint IsLegacyFilter = 2;
    /// <summary>FLTFL_VSI_DETACHED_VOLUME / FLTFL_IASIM_DETACHED_VOLUME.</summary>
    public const uint DetachedVolume = 1;
    /// <summary>SUPPORTED_FS_FEATURES_OFFLOAD_READ.</summary>
    public const uint OffloadRead = 1;
    /// <summary>SUPPORTED_FS_FEATURES_OFFLOAD_WRITE.</summary>
    public const uint OffloadWrite = 2;
    /// <summary>SUPPORTED_FS_FEATURES_QUERY_OPEN.</summary>
    public const uint QueryOpen = 4;
    /// <summary>SUPPORTED_FS_FEATURES_BYPASS_IO.</summary>
    public const uint BypassIo = 8;
}
