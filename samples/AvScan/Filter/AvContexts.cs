// The filter's contexts (WDK avscan context.h). Transactions do not exist on Linux, so there is no transaction context;
// the section context is what FltCreateSectionForDataScan holds (the filter allocates it, the section references it).
namespace Altitude.Samples.AvScan;

/// <summary>AV_FILE_STATE, the stream's scan state. A write sets Modified at any time; the other moves happen under the stream's scan lock.</summary>
public enum AvFileState
{
    /// <summary>Never scanned, or changed since: the next open scans it (the WDK's initial state).</summary>
    Modified = 0,
    /// <summary>A scan runs; a write meanwhile moves it back to Modified, and the scan's verdict is then not kept.</summary>
    Scanning = 1,
    NotInfected = 2,
    Infected = 3,
}

/// <summary>AV_INSTANCE_CONTEXT: what a scan on this volume may wait.</summary>
public sealed class AvInstanceContext : FltContext
{
    public TimeSpan ScanTimeout;
}

/// <summary>AV_STREAM_CONTEXT: the stream's scan state, and the scan that runs on it (one at a time).</summary>
public sealed class AvStreamContext : FltContext
{
    private int state;   // AvFileState

    /// <summary>ScanSynchronizationEvent's role: one scan per stream; an open that needs a verdict waits for the running one.</summary>
    internal readonly SemaphoreSlim ScanLock = new(1, 1);

    /// <summary>The scan running on the stream (set and cleared under ScanLock), for the abort of a conflicting write.</summary>
    internal volatile AvScanContext? RunningScan;

    public AvFileState State => (AvFileState)Volatile.Read(ref state);

    /// <summary>A write or a size change: whatever was known is stale.</summary>
    internal void SetModified() => Volatile.Write(ref state, (int)AvFileState.Modified);

    /// <summary>Moves from <paramref name="from"/> to <paramref name="to"/> unless a write came between (compare-and-swap).</summary>
    internal bool TryMove(AvFileState from, AvFileState to) =>
        Interlocked.CompareExchange(ref state, (int)to, (int)from) == (int)from;
}

/// <summary>AV_STREAMHANDLE_CONTEXT: set on a handle's first write or size change, so that its cleanup scans the file it modified.</summary>
public sealed class AvStreamHandleContext : FltContext
{
}

/// <summary>AV_SECTION_CONTEXT: the section a scan made (held from CreateSectionForDataScan to CloseSectionForDataScan).</summary>
public sealed class AvSectionContext : FltContext
{
}
