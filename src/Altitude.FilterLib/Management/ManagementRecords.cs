// The typed records of FilterManagement (what fltmc shows), decoded from the information classes.
namespace Altitude.FilterLib;

/// <summary>
/// One filter (FILTER_AGGREGATE_STANDARD_INFORMATION). <see cref="Altitude"/> is the default instance's altitude as
/// configured; FrameId is always 0 (one frame); IsLegacy is always false in Altitude (there are no legacy filters).
/// </summary>
public sealed record FilterInfo(string Name, string Altitude, int NumberOfInstances, int FrameId, bool IsLegacy);

/// <summary>
/// One instance (INSTANCE_AGGREGATE_STANDARD_INFORMATION, plus <see cref="DosName"/> from FilterGetDosName: the
/// mount point, or null when the volume has none).
/// </summary>
public sealed record InstanceInfo(string FilterName, string InstanceName, string Altitude, string VolumeName, string? DosName,
    int FrameId, FltFilesystemType VolumeFileSystemType, uint SupportedFeatures, bool Detached);

/// <summary>
/// One volume (FILTER_VOLUME_STANDARD_INFORMATION, plus <see cref="DosName"/> from FilterGetDosName and
/// <see cref="FileSystemName"/>, the file system below the volume, which FLT_FILESYSTEM_TYPE cannot name).
/// </summary>
public sealed record VolumeInfo(string Name, string? DosName, FltFilesystemType FileSystemType, string FileSystemName, int FrameId, bool Detached);
