// What one instance did: callbacks by major, their times, pends, watchdog timeouts and faults. Plain fields owned by
// the instance and updated with interlocked adds on the operation path; read by snapshots and the meter.
namespace Altitude;

internal sealed class InstanceCounters
{
    public readonly long[] PreOperations = new long[256];
    public readonly long[] PostOperations = new long[256];
    public readonly CallbackTimeHistogram PreOperationTime = new();
    public readonly CallbackTimeHistogram PostOperationTime = new();
    /// <summary>Callbacks that returned PENDING or MORE_PROCESSING_REQUIRED.</summary>
    public long Pended;
    /// <summary>Pends the watchdog ended.</summary>
    public long TimedOut;
    public long Faults;
}
