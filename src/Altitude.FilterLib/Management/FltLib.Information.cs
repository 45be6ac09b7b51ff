// FilterCreate/FilterClose, FilterInstanceCreate/FilterInstanceClose, FilterGetInformation,
// FilterInstanceGetInformation and FilterGetDosName.
using Altitude.FilterLib.Control;

namespace Altitude.FilterLib;

public static partial class FltLib
{
    /// <summary>FilterCreate: a handle on a loaded filter for <see cref="FilterGetInformation"/>. 0x801F0013 for an unknown filter.</summary>
    public static FilterHandle FilterCreate(string filterName, string? controlSocket = null)
    {
        int hr = TryFilterCreate(filterName, out var handle, controlSocket);
        FilterException.ThrowIfFailed(hr, $"FilterCreate({filterName})");
        return handle!;
    }

    /// <inheritdoc cref="FilterCreate"/>
    public static int TryFilterCreate(string filterName, out FilterHandle? handle, string? controlSocket = null)
    {
        handle = null;
        int hr = ControlConnection.Open(controlSocket, out var c);
        if (hr < 0) return hr;
        hr = c!.Call(new ControlRequest(ControlOperation.FilterCreate).With(filterName), 0, out _, out _);
        if (hr < 0) { c.Dispose(); return hr; }
        handle = new FilterHandle(c, filterName);
        return hr;
    }

    /// <summary>FilterClose.</summary>
    public static void FilterClose(FilterHandle handle) => handle.Dispose();

    /// <summary>
    /// FilterGetInformation: one entry of <paramref name="informationClass"/> about the filter into
    /// <paramref name="buffer"/> (<see cref="InformationLayout"/>). 0x8007007A (the needed size in the exception's
    /// data) when it is too small, 0x80070057 for a bad class, 0x801F0013 once the filter is gone, 0x80070006 for a closed handle.
    /// </summary>
    public static int FilterGetInformation(FilterHandle handle, FilterInformationClass informationClass, Span<byte> buffer)
    {
        int hr = TryFilterGetInformation(handle, informationClass, buffer, out int bytes);
        FilterException.ThrowIfFailed(hr, "FilterGetInformation", hr == HResults.InsufficientBuffer ? bytes : 0);
        return bytes;
    }

    /// <inheritdoc cref="FilterGetInformation"/>
    public static int TryFilterGetInformation(FilterHandle handle, FilterInformationClass informationClass, Span<byte> buffer, out int bytesReturned)
    {
        bytesReturned = 0;
        ArgumentNullException.ThrowIfNull(handle);
        if (handle.IsClosed) return HResults.InvalidHandle;
        return handle.Connection.CallForEntry(new ControlRequest(ControlOperation.FilterGetInformation, (uint)informationClass).With(handle.FilterName),
            buffer, out bytesReturned, out _);
    }

    /// <summary>
    /// FilterInstanceCreate: a handle on an instance for <see cref="FilterInstanceGetInformation"/>;
    /// <paramref name="instanceName"/> null takes the filter's first instance on the volume (the highest).
    /// 0x801F0013 / 0x801F0014 / 0x801F0015 for an unknown filter / volume / instance.
    /// </summary>
    public static FilterInstanceHandle FilterInstanceCreate(string filterName, string volumeName, string? instanceName = null, string? controlSocket = null)
    {
        int hr = TryFilterInstanceCreate(filterName, volumeName, instanceName, out var handle, controlSocket);
        FilterException.ThrowIfFailed(hr, $"FilterInstanceCreate({filterName}, {volumeName})");
        return handle!;
    }

    /// <inheritdoc cref="FilterInstanceCreate"/>
    public static int TryFilterInstanceCreate(string filterName, string volumeName, string? instanceName, out FilterInstanceHandle? handle, string? controlSocket = null)
    {
        handle = null;
        int hr = ControlConnection.Open(controlSocket, out var c);
        if (hr < 0) return hr;
        hr = c!.CallForString(new ControlRequest(ControlOperation.FilterInstanceCreate).With(filterName).With(volumeName).With(instanceName), out var name);
        if (hr < 0) { c.Dispose(); return hr; }
        handle = new FilterInstanceHandle(c, filterName, volumeName, name!);
        return hr;
    }

    /// <summary>FilterInstanceClose.</summary>
    public static void FilterInstanceClose(FilterInstanceHandle handle) => handle.Dispose();

    /// <summary>FilterInstanceGetInformation: as <see cref="FilterGetInformation"/> for an instance; 0x801F0015 once it is detached.</summary>
    public static int FilterInstanceGetInformation(FilterInstanceHandle handle, InstanceInformationClass informationClass, Span<byte> buffer)
    {
        int hr = TryFilterInstanceGetInformation(handle, informationClass, buffer, out int bytes);
        FilterException.ThrowIfFailed(hr, "FilterInstanceGetInformation", hr == HResults.InsufficientBuffer ? bytes : 0);
        return bytes;
    }

    /// <inheritdoc cref="FilterInstanceGetInformation"/>
    public static int TryFilterInstanceGetInformation(FilterInstanceHandle handle, InstanceInformationClass informationClass, Span<byte> buffer, out int bytesReturned)
    {
        bytesReturned = 0;
        ArgumentNullException.ThrowIfNull(handle);
        if (handle.IsClosed) return HResults.InvalidHandle;
        var request = new ControlRequest(ControlOperation.FilterInstanceGetInformation, (uint)informationClass)
            .With(handle.FilterName).With(handle.VolumeName).With(handle.InstanceName);
        return handle.Connection.CallForEntry(request, buffer, out bytesReturned, out _);
    }

    /// <summary>
    /// FilterGetDosName: the volume's DOS name, which in Altitude is its mount point; S_OK with "" for a volume
    /// without one. 0x801F0014 for an unknown volume.
    /// </summary>
    public static string FilterGetDosName(string volumeName, string? controlSocket = null)
    {
        int hr = TryFilterGetDosName(volumeName, out var dosName, controlSocket);
        FilterException.ThrowIfFailed(hr, $"FilterGetDosName({volumeName})");
        return dosName!;
    }

    /// <inheritdoc cref="FilterGetDosName"/>
    public static int TryFilterGetDosName(string volumeName, out string? dosName, string? controlSocket = null)
    {
        string? text = null;
        int hr = Once(controlSocket, c => c.CallForString(new ControlRequest(ControlOperation.FilterGetDosName).With(volumeName), out text));
        dosName = text;
        return hr;
    }
}
