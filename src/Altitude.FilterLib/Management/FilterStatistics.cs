// The typed form of the statistics snapshot (fltmc stats): field for field the engine's FilterManagerStatistics,
// deserialized from the control endpoint's camelCase JSON.
namespace Altitude.FilterLib;

/// <summary>Every counter of the Filter Manager at one moment (detached instances and closed ports are not in it).</summary>
public sealed record FilterStatistics(
    long Faults,
    IReadOnlyList<VolumeOperationStatistics> Volumes,
    IReadOnlyList<InstanceStatistics> Instances,
    IReadOnlyList<PortStatistics> Ports);

/// <summary>Operations that entered one volume's stack, by major function name ("Create", "Read", ...).</summary>
public sealed record VolumeOperationStatistics(string Volume, string? DosName, IReadOnlyDictionary<string, long> Operations);

/// <summary>One attached instance: callbacks by major function name, their time histograms, pended, timed out and faults.</summary>
public sealed record InstanceStatistics(
    string Filter,
    string Instance,
    string Volume,
    string Altitude,
    IReadOnlyDictionary<string, long> PreOperations,
    IReadOnlyDictionary<string, long> PostOperations,
    HistogramStatistics PreOperationTime,
    HistogramStatistics PostOperationTime,
    long Pended,
    long TimedOut,
    long Faults);

/// <summary>One listening server port (<see cref="Filter"/> null for the Filter Manager's own, the control endpoint).</summary>
public sealed record PortStatistics(
    string Port,
    string? Filter,
    long Connections,
    long ConnectionsAccepted,
    long ConnectionsRefused,
    long MessagesSent,
    long MessagesReceived,
    long Replies,
    long Timeouts);

/// <summary>
/// Callback times: <see cref="Buckets"/>[0] counts calls under 1 µs, [k] calls of [2^(k-1), 2^k) µs, the last one
/// calls of 2^26 µs or more (28 buckets).
/// </summary>
public sealed record HistogramStatistics(long Count, long TotalMicroseconds, long[] Buckets);
