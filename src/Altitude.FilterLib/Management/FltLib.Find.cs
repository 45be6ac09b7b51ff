// The four enumerations: FilterFindFirst/Next/Close, FilterInstanceFindFirst/Next/Close,
// FilterVolumeFindFirst/Next/Close and FilterVolumeInstanceFindFirst/Next/Close. One entry per call; the
// endpoint walks a snapshot taken at First.
using Altitude.FilterLib.Control;

namespace Altitude.FilterLib;

public static partial class FltLib
{
    /// <summary>
    /// FilterFindFirst: the first filter (highest altitude first: farthest from the file system) in
    /// <paramref name="informationClass"/>. 0x80070103 when there is none, 0x8007007A with
    /// <paramref name="bytesReturned"/> the size needed (and no handle), 0x80070057 for a bad class.
    /// </summary>
    public static FilterFindHandle FilterFindFirst(FilterInformationClass informationClass, Span<byte> buffer, out int bytesReturned, string? controlSocket = null) =>
        ThrowIfFindFailed(TryFilterFindFirst(informationClass, buffer, out bytesReturned, out var h, controlSocket), "FilterFindFirst", bytesReturned, h);

    /// <inheritdoc cref="FilterFindFirst"/>
    public static int TryFilterFindFirst(FilterInformationClass informationClass, Span<byte> buffer, out int bytesReturned, out FilterFindHandle? handle, string? controlSocket = null) =>
        FindFirst(controlSocket, null, FindKind.Filters, (uint)informationClass, null, buffer, out bytesReturned, out handle);

    /// <summary>FilterFindNext: the next filter; 0x80070103 at the end. A 0x8007007A does not advance the enumeration.</summary>
    public static int FilterFindNext(FilterFindHandle handle, FilterInformationClass informationClass, Span<byte> buffer) =>
        ThrowIfNextFailed(TryFilterFindNext(handle, informationClass, buffer, out int bytes), "FilterFindNext", bytes);

    /// <inheritdoc cref="FilterFindNext"/>
    public static int TryFilterFindNext(FilterFindHandle handle, FilterInformationClass informationClass, Span<byte> buffer, out int bytesReturned) =>
        FindNext(handle, (uint)informationClass, buffer, out bytesReturned);

    /// <summary>FilterFindClose.</summary>
    public static void FilterFindClose(FilterFindHandle handle) => handle.Dispose();

    /// <summary>
    /// FilterInstanceFindFirst: the first instance of <paramref name="filterName"/> (volumes in mount order, each
    /// volume's instances from the top). 0x801F0013 for an unknown filter; otherwise as <see cref="FilterFindFirst"/>.
    /// </summary>
    public static FilterFindHandle FilterInstanceFindFirst(string filterName, InstanceInformationClass informationClass, Span<byte> buffer, out int bytesReturned,
        string? controlSocket = null) =>
        ThrowIfFindFailed(TryFilterInstanceFindFirst(filterName, informationClass, buffer, out bytesReturned, out var h, controlSocket), "FilterInstanceFindFirst", bytesReturned, h);

    /// <inheritdoc cref="FilterInstanceFindFirst"/>
    public static int TryFilterInstanceFindFirst(string filterName, InstanceInformationClass informationClass, Span<byte> buffer, out int bytesReturned,
        out FilterFindHandle? handle, string? controlSocket = null) =>
        FindFirst(controlSocket, null, FindKind.FilterInstances, (uint)informationClass, filterName, buffer, out bytesReturned, out handle);

    /// <inheritdoc cref="FilterFindNext"/>
    public static int FilterInstanceFindNext(FilterFindHandle handle, InstanceInformationClass informationClass, Span<byte> buffer) =>
        ThrowIfNextFailed(TryFilterInstanceFindNext(handle, informationClass, buffer, out int bytes), "FilterInstanceFindNext", bytes);

    /// <inheritdoc cref="FilterFindNext"/>
    public static int TryFilterInstanceFindNext(FilterFindHandle handle, InstanceInformationClass informationClass, Span<byte> buffer, out int bytesReturned) =>
        FindNext(handle, (uint)informationClass, buffer, out bytesReturned);

    /// <summary>FilterInstanceFindClose.</summary>
    public static void FilterInstanceFindClose(FilterFindHandle handle) => handle.Dispose();

    /// <summary>FilterVolumeFindFirst: the first volume (mount order). As <see cref="FilterFindFirst"/> otherwise.</summary>
    public static FilterFindHandle FilterVolumeFindFirst(FilterVolumeInformationClass informationClass, Span<byte> buffer, out int bytesReturned, string? controlSocket = null) =>
        ThrowIfFindFailed(TryFilterVolumeFindFirst(informationClass, buffer, out bytesReturned, out var h, controlSocket), "FilterVolumeFindFirst", bytesReturned, h);

    /// <inheritdoc cref="FilterVolumeFindFirst"/>
    public static int TryFilterVolumeFindFirst(FilterVolumeInformationClass informationClass, Span<byte> buffer, out int bytesReturned, out FilterFindHandle? handle,
        string? controlSocket = null) =>
        FindFirst(controlSocket, null, FindKind.Volumes, (uint)informationClass, null, buffer, out bytesReturned, out handle);

    /// <inheritdoc cref="FilterFindNext"/>
    public static int FilterVolumeFindNext(FilterFindHandle handle, FilterVolumeInformationClass informationClass, Span<byte> buffer) =>
        ThrowIfNextFailed(TryFilterVolumeFindNext(handle, informationClass, buffer, out int bytes), "FilterVolumeFindNext", bytes);

    /// <inheritdoc cref="FilterFindNext"/>
    public static int TryFilterVolumeFindNext(FilterFindHandle handle, FilterVolumeInformationClass informationClass, Span<byte> buffer, out int bytesReturned) =>
        FindNext(handle, (uint)informationClass, buffer, out bytesReturned);

    /// <summary>FilterVolumeFindClose.</summary>
    public static void FilterVolumeFindClose(FilterFindHandle handle) => handle.Dispose();

    /// <summary>
    /// FilterVolumeInstanceFindFirst: the first instance on <paramref name="volumeName"/> (the top of its stack first).
    /// 0x801F0014 for an unknown volume; otherwise as <see cref="FilterFindFirst"/>.
    /// </summary>
    public static FilterFindHandle FilterVolumeInstanceFindFirst(string volumeName, InstanceInformationClass informationClass, Span<byte> buffer, out int bytesReturned,
        string? controlSocket = null) =>
        ThrowIfFindFailed(TryFilterVolumeInstanceFindFirst(volumeName, informationClass, buffer, out bytesReturned, out var h, controlSocket), "FilterVolumeInstanceFindFirst", bytesReturned, h);

    /// <inheritdoc cref="FilterVolumeInstanceFindFirst"/>
    public static int TryFilterVolumeInstanceFindFirst(string volumeName, InstanceInformationClass informationClass, Span<byte> buffer, out int bytesReturned,
        out FilterFindHandle? handle, string? controlSocket = null) =>
        FindFirst(controlSocket, null, FindKind.VolumeInstances, (uint)informationClass, volumeName, buffer, out bytesReturned, out handle);

    /// <inheritdoc cref="FilterFindNext"/>
    public static int FilterVolumeInstanceFindNext(FilterFindHandle handle, InstanceInformationClass informationClass, Span<byte> buffer) =>
        ThrowIfNextFailed(TryFilterVolumeInstanceFindNext(handle, informationClass, buffer, out int bytes), "FilterVolumeInstanceFindNext", bytes);

    /// <inheritdoc cref="FilterFindNext"/>
    public static int TryFilterVolumeInstanceFindNext(FilterFindHandle handle, InstanceInformationClass informationClass, Span<byte> buffer, out int bytesReturned) =>
        FindNext(handle, (uint)informationClass, buffer, out bytesReturned);

    /// <summary>FilterVolumeInstanceFindClose.</summary>
    public static void FilterVolumeInstanceFindClose(FilterFindHandle handle) => handle.Dispose();

    /// <summary>
    /// Any First: on <paramref name="shared"/> (FilterManagement's connection) or a connection of the handle's own.
    /// No handle unless it succeeded.
    /// </summary>
    internal static int FindFirst(string? controlSocket, ControlConnection? shared, FindKind kind, uint informationClass, string? name, Span<byte> buffer,
        out int bytesReturned, out FilterFindHandle? handle)
    {
        handle = null;
        bytesReturned = 0;
        var c = shared;
        if (c is null)
        {
            int open = ControlConnection.Open(controlSocket, out c);
            if (open < 0) return open;
        }
        var request = new ControlRequest(ControlOperation.FindFirst, informationClass, (uint)kind);
        if (kind is FindKind.FilterInstances or FindKind.VolumeInstances) request.With(name);
        int hr = c!.CallForEntry(request, buffer, out bytesReturned, out uint enumeration);
        if (hr < 0)
        {
            if (shared is null) c.Dispose();
            return hr;
        }
        handle = new FilterFindHandle(c, enumeration, ownsConnection: shared is null);
        return hr;
    }

    internal static int FindNext(FilterFindHandle handle, uint informationClass, Span<byte> buffer, out int bytesReturned)
    {
        bytesReturned = 0;
        ArgumentNullException.ThrowIfNull(handle);
        if (handle.IsClosed) return HResults.InvalidHandle;
        return handle.Connection.CallForEntry(new ControlRequest(ControlOperation.FindNext, informationClass, handle.Enumeration), buffer, out bytesReturned, out _);
    }

    private static FilterFindHandle ThrowIfFindFailed(int hr, string call, int bytesReturned, FilterFindHandle? handle)
    {
        FilterException.ThrowIfFailed(hr, call, hr == HResults.InsufficientBuffer ? bytesReturned : 0);
        return handle!;
    }

    private static int ThrowIfNextFailed(int hr, string call, int bytesReturned)
    {
        FilterException.ThrowIfFailed(hr, call, hr == HResults.InsufficientBuffer ? bytesReturned : 0);
        return bytesReturned;
    }
}
