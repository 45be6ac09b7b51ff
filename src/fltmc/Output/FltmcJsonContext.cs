// --json: the FilterLib records serialized as they are, camelCase, enums by name, so the shape follows the records.
using System.Text.Json.Serialization;
using Altitude.FilterLib;

namespace Altitude.Fltmc.Output;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(IReadOnlyList<FilterInfo>))]
[JsonSerializable(typeof(IReadOnlyList<InstanceInfo>))]
[JsonSerializable(typeof(IReadOnlyList<VolumeInfo>))]
[JsonSerializable(typeof(FilterStatistics))]
internal sealed partial class FltmcJsonContext : JsonSerializerContext;
