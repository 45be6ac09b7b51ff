// The zero-allocation checks count what a thread allocated while it served requests (a FUSE reader's request path,
// the ports' I/O thread and workers) minus what growing a pool allocated meanwhile. A pool that reaches a new
// high-water mark (more requests, handles or readers at once than before, possibly elsewhere in the process when the
// pool is process-wide) allocates once, not per operation, so the checks leave it out.
namespace Altitude;

internal static class PoolGrowth
{
    [ThreadStatic] private static long bytes;

    /// <summary>What this thread has allocated so far, pool growth left out.</summary>
    public static long SteadyStateBytes
    {
        get
        {
            // The thread-static first: whatever its first access on a thread costs lands before the reading.
            long growth = bytes;
            return GC.GetAllocatedBytesForCurrentThread() - growth;
        }
    }

    /// <summary>A mark before a pool grows; pass it to <see cref="End"/> once the new item exists.</summary>
    public static long Begin() => GC.GetAllocatedBytesForCurrentThread();

    /// <summary>Counts what this thread allocated since <paramref name="mark"/> as pool growth.</summary>
    public static void End(long mark) => bytes += GC.GetAllocatedBytesForCurrentThread() - mark;
}
