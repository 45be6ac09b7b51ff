// The handles of the management calls (HFILTER, HFILTER_INSTANCE and the find handles). Each owns a connection
// to the control endpoint (or shares FilterManagement's); disposing one is FilterClose / FilterInstanceClose /
// Filter*FindClose.
namespace Altitude.FilterLib;

/// <summary>HFILTER from FilterCreate, for FilterGetInformation. Close with <see cref="FltLib.FilterClose"/> (or Dispose).</summary>
public sealed class FilterHandle : IDisposable
{
    internal FilterHandle(ControlConnection connection, string filterName)
    {
        Connection = connection; FilterName = filterName;
    }

    internal ControlConnection Connection { get; }
    /// <summary>The filter's name as given to FilterCreate.</summary>
    public string FilterName { get; }
    public bool IsClosed { get; private set; }

    public void Dispose()
    {
        if (IsClosed) return;
        IsClosed = true;
        Connection.Dispose();
    }
}

/// <summary>HFILTER_INSTANCE from FilterInstanceCreate, for FilterInstanceGetInformation. Close with <see cref="FltLib.FilterInstanceClose"/>.</summary>
public sealed class FilterInstanceHandle : IDisposable
{
    internal FilterInstanceHandle(ControlConnection connection, string filterName, string volumeName, string instanceName)
    {
        Connection = connection; FilterName = filterName; VolumeName = volumeName; InstanceName = instanceName;
    }

    internal ControlConnection Connection { get; }
    public string FilterName { get; }
    public string VolumeName { get; }
    /// <summary>The instance's name (the first instance's when FilterInstanceCreate was given none).</summary>
    public string InstanceName { get; }
    public bool IsClosed { get; private set; }

    public void Dispose()
    {
        if (IsClosed) return;
        IsClosed = true;
        Connection.Dispose();
    }
}

/// <summary>
/// The find handle of FilterFindFirst, FilterInstanceFindFirst, FilterVolumeFindFirst and
/// FilterVolumeInstanceFindFirst. The endpoint holds the snapshot the enumeration walks until the matching
/// *FindClose (or Dispose).
/// </summary>
public sealed class FilterFindHandle : IDisposable
{
    private readonly bool ownsConnection;

    internal FilterFindHandle(ControlConnection connection, uint enumeration, bool ownsConnection)
    {
        Connection = connection; Enumeration = enumeration; this.ownsConnection = ownsConnection;
    }

    internal ControlConnection Connection { get; }
    internal uint Enumeration { get; }
    public bool IsClosed { get; private set; }

    public void Dispose()
    {
        if (IsClosed) return;
        IsClosed = true;
        // Its own connection: closing it frees the snapshot. A shared one: tell the endpoint.
        if (ownsConnection) Connection.Dispose();
        else Connection.Call(new Control.ControlRequest(Control.ControlOperation.FindClose, argument: Enumeration), 0, out _, out _);
    }
}
