// `fltmc stats` (Altitude addition): the engine's counters as three tables. The only file that reads the shape of
// FilterStatistics, so it is the one to adapt if the engine's snapshot changes.
//   Volumes:   operations by major function.
//   Instances: callbacks (pre and post, all majors), pended, timed out, faults, and callback-time percentiles
//              estimated from the fixed histogram buckets (pre and post together).
//   Ports:     connections now and accepted, messages sent and received, timeouts.
using System.Globalization;
using Altitude.FilterLib;

namespace Altitude.Fltmc.Layouts;

internal static class StatisticsTable
{
    public static IReadOnlyList<string> Lines(FilterStatistics statistics)
    {
        var lines = new List<string>();
        var volumes = new TextTable("Volume", "Major", "Operations>");
        foreach (var v in statistics.Volumes)
        {
            bool first = true;
            foreach (var (major, count) in v.Operations)
            {
                if (count == 0) continue;
                volumes.Add(first ? v.Volume : "", major, Number(count));
                first = false;
            }
            if (first) volumes.Add(v.Volume, "-", "0");
        }
        lines.AddRange(volumes.Lines());
        lines.Add("");

        var instances = new TextTable("Filter", "Instance", "Volume", "Pre>", "Post>", "Pended>", "TimedOut>", "Faults>",
            "p50 us>", "p90 us>", "p99 us>");
        foreach (var i in statistics.Instances)
        {
            var time = Merge(i.PreOperationTime.Buckets, i.PostOperationTime.Buckets);
            instances.Add(i.Filter, i.Instance, i.Volume, Number(Sum(i.PreOperations)), Number(Sum(i.PostOperations)),
                Number(i.Pended), Number(i.TimedOut), Number(i.Faults),
                Percentile(time, 0.50), Percentile(time, 0.90), Percentile(time, 0.99));
        }
        lines.AddRange(instances.Lines());
        lines.Add("");

        var ports = new TextTable("Port", "Filter", "Connections>", "Accepted>", "Sent>", "Received>", "Timeouts>");
        foreach (var p in statistics.Ports)
            ports.Add(p.Port, p.Filter ?? "", Number(p.Connections), Number(p.ConnectionsAccepted), Number(p.MessagesSent),
                Number(p.MessagesReceived), Number(p.Timeouts));
        lines.AddRange(ports.Lines());
        return lines;
    }

    /// <summary>
    /// The bucket the p-th callback falls in, shown as its upper bound in microseconds ("&lt;256"; bucket k holds
    /// [2^(k-1), 2^k) µs, bucket 0 under 1 µs), or "&gt;=" and its lower bound for the overflow bucket; "-" with no
    /// callbacks. Buckets are fixed, so this is an upper estimate.
    /// </summary>
    public static string Percentile(long[] buckets, double p)
    {
        long total = 0;
        foreach (long b in buckets) total += b;
        if (total == 0) return "-";
        long rank = Math.Max(1, (long)Math.Ceiling(p * total));
        long seen = 0;
        for (int k = 0; k < buckets.Length; k++)
        {
            seen += buckets[k];
            if (seen < rank) continue;
            return k == buckets.Length - 1 ? ">=" + Number(1L << (k - 1)) : "<" + Number(1L << k);
        }
        return "-";
    }

    /// <summary>Pre and post histograms share the fixed bounds: add the counts bucket by bucket.</summary>
    private static long[] Merge(long[] a, long[] b)
    {
        var merged = new long[Math.Max(a.Length, b.Length)];
        for (int i = 0; i < merged.Length; i++) merged[i] = (i < a.Length ? a[i] : 0) + (i < b.Length ? b[i] : 0);
        return merged;
    }

    private static long Sum(IReadOnlyDictionary<string, long> counts)
    {
        long sum = 0;
        foreach (var c in counts.Values) sum += c;
        return sum;
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
