// Per-instance counters of a statistics snapshot.
namespace Altitude;

/// <summary>
/// One attached instance: pre- and post-operation callbacks invoked, by major function name (draining post-ops
/// included), their times (<see cref="HistogramStatistics"/>), callbacks that pended (PENDING or
/// MORE_PROCESSING_REQUIRED), pends the watchdog ended, and faults.
/// </summary>
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
