// FilterLoad and FilterUnload: the Win32 forms of FltLoadFilter / FltUnloadFilter, served by fltmgrd.
using Altitude.FilterLib.Control;

namespace Altitude.FilterLib;

public static partial class FltLib
{
    /// <summary>
    /// FilterLoad: loads the filter package with this service name and calls its DriverEntry. Needs uid 0 (the
    /// SeLoadDriverPrivilege analogue): else 0x80070005. 0x80070420 when it is loaded, 0x80070002 without such a
    /// package, 0x800700C1 for an assembly that does not load, else DriverEntry's converted status.
    /// <paramref name="controlSocket"/>: see <see cref="ControlProtocol.ResolveSocketPath"/>.
    /// </summary>
    public static void FilterLoad(string filterName, string? controlSocket = null) =>
        FilterException.ThrowIfFailed(TryFilterLoad(filterName, controlSocket), $"FilterLoad({filterName})");

    /// <inheritdoc cref="FilterLoad"/>
    public static int TryFilterLoad(string filterName, string? controlSocket = null) =>
        Once(controlSocket, c => NameCall(c, ControlOperation.FilterLoad, filterName));

    /// <summary>
    /// FilterUnload: a non-mandatory unload (the FilterUnload callback may veto). Needs uid 0 (else 0x80070005).
    /// 0x801F0010 on a veto or for a filter without an unload callback, 0x801F0013 when it is not loaded.
    /// </summary>
    public static void FilterUnload(string filterName, string? controlSocket = null) =>
        FilterException.ThrowIfFailed(TryFilterUnload(filterName, controlSocket), $"FilterUnload({filterName})");

    /// <inheritdoc cref="FilterUnload"/>
    public static int TryFilterUnload(string filterName, string? controlSocket = null) =>
        Once(controlSocket, c => NameCall(c, ControlOperation.FilterUnload, filterName));

    /// <summary>A call whose one argument is a name and whose reply is only the HRESULT (load, unload, unmount).</summary>
    internal static int NameCall(ControlConnection c, ControlOperation operation, string name) =>
        c.Call(new ControlRequest(operation).With(name), 0, out _, out _);

    /// <summary>Runs one call on a connection of its own (opened and closed around it).</summary>
    private static int Once(string? controlSocket, Func<ControlConnection, int> call)
    {
        int hr = ControlConnection.Open(controlSocket, out var c);
        if (hr < 0) return hr;
        using (c) return call(c!);
    }
}
