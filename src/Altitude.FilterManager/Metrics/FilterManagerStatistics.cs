// The snapshot FilterManager.GetStatistics returns: plain records of strings, longs, arrays and dictionaries keyed
// by major function name, so System.Text.Json serializes it as it is (the control endpoint sends it camelCase).
namespace Altitude;

/// <summary>Every counter of one Filter Manager at one moment. Detached instances and closed ports are not in it.</summary>
public sealed record FilterManagerStatistics(
    long Faults,
    IReadOnlyList<VolumeOperationStatistics> Volumes,
    IReadOnlyList<InstanceStatistics> Instances,
    IReadOnlyList<PortStatistics> Ports);
