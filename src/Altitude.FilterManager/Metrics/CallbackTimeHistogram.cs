// Callback time in fixed log2 microsecond buckets, kept as plain counters so recording costs two interlocked adds and
// allocates nothing. Bucket 0 counts calls under 1 µs; bucket k (1..BucketCount-2) counts [2^(k-1), 2^k) µs; the last
// bucket counts everything from 2^(BucketCount-2) µs (about 67 s, past the default pending timeout).
using System.Diagnostics;
using System.Numerics;

namespace Altitude;

internal sealed class CallbackTimeHistogram
{
    public const int BucketCount = 28;
    private static readonly double MicrosecondsPerTick = 1_000_000.0 / Stopwatch.Frequency;

    private readonly long[] buckets = new long[BucketCount];
    private long totalMicroseconds;

    /// <summary>The bucket a duration of <paramref name="microseconds"/> falls in.</summary>
    public static int BucketOf(long microseconds) =>
        microseconds <= 0 ? 0 : Math.Min(64 - BitOperations.LeadingZeroCount((ulong)microseconds), BucketCount - 1);

    /// <summary>Records one call that took <paramref name="elapsedTicks"/> Stopwatch ticks.</summary>
    public void Record(long elapsedTicks)
    {
        long microseconds = (long)(elapsedTicks * MicrosecondsPerTick);
        Interlocked.Increment(ref buckets[BucketOf(microseconds)]);
        Interlocked.Add(ref totalMicroseconds, microseconds);
    }

    public HistogramStatistics Snapshot()
    {
        var copy = new long[BucketCount];
        long count = 0;
        for (int i = 0; i < BucketCount; i++) { copy[i] = Volatile.Read(ref buckets[i]); count += copy[i]; }
        return new HistogramStatistics(count, Interlocked.Read(ref totalMicroseconds), copy);
    }
}
