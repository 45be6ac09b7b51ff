// A snapshot of one callback-time histogram (CallbackTimeHistogram.cs has the bucket bounds).
namespace Altitude;

/// <summary>
/// Callback times of one instance: <see cref="Buckets"/>[0] counts calls under 1 µs, <see cref="Buckets"/>[k] calls of
/// [2^(k-1), 2^k) µs, and the last bucket calls of 2^26 µs (about 67 s) or more. 28 buckets, always.
/// </summary>
public sealed record HistogramStatistics(long Count, long TotalMicroseconds, long[] Buckets)
{
    /// <summary>The number of buckets every histogram has.</summary>
    public const int BucketCount = CallbackTimeHistogram.BucketCount;

    /// <summary>The exclusive upper bound of bucket <paramref name="index"/> in microseconds (null for the last, unbounded one).</summary>
    public static long? UpperBoundMicroseconds(int index) => index >= BucketCount - 1 ? null : 1L << index;
}
