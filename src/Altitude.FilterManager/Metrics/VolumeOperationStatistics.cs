// Per-volume counters of a statistics snapshot.
namespace Altitude;

/// <summary>
/// Operations that entered one volume's stack (from the front-end, in-process clients and filters' own I/O), by major
/// function name ("Create", "Read", ...; majors never seen are left out).
/// </summary>
public sealed record VolumeOperationStatistics(string Volume, string? DosName, IReadOnlyDictionary<string, long> Operations);
