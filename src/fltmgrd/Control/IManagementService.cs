// What the control endpoint asks of the service beyond the engine: the calls that need the daemon's configuration
// (filter packages by service name, volumes to mount). Attach, detach and the enumerations go to the engine directly.
namespace Altitude.Daemon.Control;

/// <summary>The service half of the FilterLib management calls, implemented by fltmgrd's host.</summary>
public interface IManagementService
{
    /// <summary>The Filter Manager the enumerations, attach and detach run against.</summary>
    FilterManager Manager { get; }

    /// <summary>
    /// FilterLoad: loads the package whose manifest has this service name into its own load context and calls its
    /// DriverEntry. STATUS_IMAGE_ALREADY_LOADED (HRESULT 0x80070420) when it is loaded, STATUS_OBJECT_NAME_NOT_FOUND
    /// (0x80070002) without such a manifest, STATUS_INVALID_IMAGE_FORMAT (0x800700C1) for an assembly that does not
    /// load, and the status of a failing (or STATUS_UNSUCCESSFUL for a throwing) DriverEntry.
    /// </summary>
    NtStatus LoadFilter(string serviceName);

    /// <summary>
    /// FilterUnload: a non-mandatory unload (FilterUnload callback, which may veto), then the package's load context
    /// is unloaded. STATUS_FLT_FILTER_NOT_FOUND when not loaded, STATUS_FLT_DO_NOT_DETACH on a veto or a filter
    /// without an unload callback.
    /// </summary>
    NtStatus UnloadFilter(string serviceName);

    /// <summary>
    /// Altitude extension: mounts <paramref name="backingDirectory"/> at <paramref name="mountPoint"/> (the same
    /// directory twice for in place) with the default mount options; started filters attach as their instance flags
    /// say. Returns the new volume's name.
    /// </summary>
    NtStatus MountVolume(string backingDirectory, string mountPoint, out string? volumeName);

    /// <summary>Altitude extension: unmounts the volume mounted at <paramref name="mountPoint"/> (or named so).</summary>
    NtStatus UnmountVolume(string mountPointOrVolumeName);
}
