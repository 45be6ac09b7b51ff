// The statistics call's JSON: the engine's snapshot (FilterManager.GetStatistics), camelCase; FilterLib's
// FilterStatistics records mirror it field for field.
using System.Text.Json;

namespace Altitude.Daemon.Control;

internal static class ControlStatistics
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static byte[] Serialize(FilterManager manager) => JsonSerializer.SerializeToUtf8Bytes(manager.GetStatistics(), Json);
}
