// The statistics call's JSON: the engine's snapshot, camelCase (the contract's format; FilterLib's FilterStatistics
// records mirror it).
using System.Text.Json;

namespace Altitude.Daemon.Control;

internal static class ControlStatistics
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // INTERIM until FilterManager.GetStatistics (the engine helper's) is merged: the fault count and empty lists,
    // in the snapshot's shape. At merge this becomes JsonSerializer.SerializeToUtf8Bytes(manager.GetStatistics(), Json).
    public static byte[] Serialize(FilterManager manager) =>
        JsonSerializer.SerializeToUtf8Bytes(new
        {
            faults = manager.FaultCount,
            volumes = Array.Empty<object>(),
            instances = Array.Empty<object>(),
            ports = Array.Empty<object>(),
        }, Json);
}
