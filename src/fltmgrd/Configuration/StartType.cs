// A filter service's Start value, in the Windows wording (SERVICE_AUTO_START, SERVICE_DEMAND_START, SERVICE_DISABLED).
namespace Altitude.Daemon.Configuration;

internal enum StartType
{
    /// <summary>Loaded when the daemon starts, before any volume is mounted (Boot and System mean the same here: there is no earlier phase).</summary>
    Auto,
    /// <summary>Loaded only by FilterLoad (fltmc load).</summary>
    Demand,
    /// <summary>Never loaded.</summary>
    Disabled,
}
