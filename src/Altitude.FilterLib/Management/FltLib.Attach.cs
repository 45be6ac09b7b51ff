// FilterAttach, FilterAttachAtAltitude and FilterDetach.
using Altitude.FilterLib.Control;

namespace Altitude.FilterLib;

public static partial class FltLib
{
    /// <summary>
    /// FilterAttach: attaches <paramref name="instanceName"/> (null: the default instance) of the filter to the volume
    /// (its volume name or its DOS name, the mount point; a trailing '/' is optional) at the configured altitude and
    /// returns the created instance's name. Needs uid 0 (else 0x80070005). 0x801F0011 when another instance has
    /// that altitude, 0x801F0012 when one has that name, 0x80070002 for an instance not in the configuration,
    /// 0x801F000F when InstanceSetup refuses (or the instance is flagged no-manual-attach), 0x801F0013 / 0x801F0014
    /// for an unknown filter / volume.
    /// </summary>
    public static string FilterAttach(string filterName, string volumeName, string? instanceName = null, string? controlSocket = null)
    {
        int hr = TryFilterAttach(filterName, volumeName, instanceName, out var created, controlSocket);
        FilterException.ThrowIfFailed(hr, $"FilterAttach({filterName}, {volumeName})");
        return created!;
    }

    /// <inheritdoc cref="FilterAttach"/>
    public static int TryFilterAttach(string filterName, string volumeName, string? instanceName, out string? createdInstanceName, string? controlSocket = null)
    {
        string? created = null;
        int hr = Once(controlSocket, c => c.CallForString(AttachRequest(filterName, volumeName, null, instanceName), out created));
        createdInstanceName = created;
        return hr;
    }

    /// <summary>
    /// FilterAttachAtAltitude (debugging): as <see cref="FilterAttach"/> at <paramref name="altitude"/> instead of the
    /// configured one; 0x80070057 for an altitude that does not parse.
    /// </summary>
    public static string FilterAttachAtAltitude(string filterName, string volumeName, string altitude, string? instanceName = null, string? controlSocket = null)
    {
        int hr = TryFilterAttachAtAltitude(filterName, volumeName, altitude, instanceName, out var created, controlSocket);
        FilterException.ThrowIfFailed(hr, $"FilterAttachAtAltitude({filterName}, {volumeName}, {altitude})");
        return created!;
    }

    /// <inheritdoc cref="FilterAttachAtAltitude"/>
    public static int TryFilterAttachAtAltitude(string filterName, string volumeName, string altitude, string? instanceName, out string? createdInstanceName,
        string? controlSocket = null)
    {
        ArgumentNullException.ThrowIfNull(altitude);
        string? created = null;
        int hr = Once(controlSocket, c => c.CallForString(AttachRequest(filterName, volumeName, altitude, instanceName), out created));
        createdInstanceName = created;
        return hr;
    }

    /// <summary>
    /// FilterDetach: detaches <paramref name="instanceName"/> (null: the filter's highest instance on the volume).
    /// Needs uid 0 (else 0x80070005). 0x801F0010 when InstanceQueryTeardown vetoes or the filter has none,
    /// 0x801F0015 when there is no such instance, 0x801F0013 / 0x801F0014 for an unknown filter / volume.
    /// </summary>
    public static void FilterDetach(string filterName, string volumeName, string? instanceName = null, string? controlSocket = null) =>
        FilterException.ThrowIfFailed(TryFilterDetach(filterName, volumeName, instanceName, controlSocket), $"FilterDetach({filterName}, {volumeName})");

    /// <inheritdoc cref="FilterDetach"/>
    public static int TryFilterDetach(string filterName, string volumeName, string? instanceName, string? controlSocket = null) =>
        Once(controlSocket, c => c.Call(DetachRequest(filterName, volumeName, instanceName), 0, out _, out _));

    internal static ControlRequest AttachRequest(string filterName, string volumeName, string? altitude, string? instanceName)
    {
        var r = new ControlRequest(altitude is null ? ControlOperation.FilterAttach : ControlOperation.FilterAttachAtAltitude).With(filterName).With(volumeName);
        if (altitude is not null) r.With(altitude);
        return r.With(instanceName);
    }

    internal static ControlRequest DetachRequest(string filterName, string volumeName, string? instanceName) =>
        new ControlRequest(ControlOperation.FilterDetach).With(filterName).With(volumeName).With(instanceName);
}
