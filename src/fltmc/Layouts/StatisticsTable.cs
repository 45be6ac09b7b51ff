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
            foreach (var (major, count) in v.OperationsByMajor)
            {
                if (count == 0) continue;
                volumes.Add(first ? v.Name : "", major, Number(count));
                first = false;
            }
            if (first) volumes.Add(v.Name, "-", "0");
        }
        lines.AddRange(volumes.Lines());
        lines.Add("");

        var instances = new TextTable("Filter", "Instance", "Volume", "Pre>", "Post>", "Pended>", "TimedOut>", "Faults>",
            "p50 us>", "p90 us>", "p99 us>");
        foreach (var i in statistics.Instances)
        {
            var time = Merge(i.PreCallbackTime, i.PostCallbackTime);
            instances.Add(i.Filter, i.Instance, i.Volume, Number(Sum(i.PreCallbacksByMajor)), Number(Sum(i.PostCallbacksByMajor)),
                Number(i.Pended), Number(i.TimedOut), Number(i.Faults),
                Percentile(time, 0.50), Percentile(time, 0.90), Percentile(time, 0.99));
        }
        lines.AddRange(instances.Lines());
        lines.Add("");

        var ports = new TextTable("Port", "Filter", "Connections>", "Accepted>", "Sent>", "Received>", "Timeouts>");
        foreach (var p in statistics.Ports)
            ports.Add(p.Name, p.Filter ?? "", Number(p.Connections), Number(p.ConnectionsAccepted), Number(p.MessagesSent),
                Number(p.MessagesReceived), Number(p.Timeouts));
        lines.AddRange(ports.Lines());
        return lines;
    }

    /// <summary>
    /// The bucket the p-th callback falls in, shown as its upper bound ("&lt;=250"), or "&gt;" the last bound for
    /// the overflow bucket; "-" with no callbacks. Buckets are fixed, so this is an upper estimate.
    /// </summary>
    public static string Percentile(IReadOnlyList<HistogramBucket> buckets, double p)
    {
        long total = 0;
        foreach (var b in buckets) total += b.Count;
        if (total == 0) return "-";
        long rank = Math.Max(1, (long)Math.Ceiling(p * total));
        long seen = 0;
        double? lastBound = null;
        foreach (var b in buckets)
        {
            seen += b.Count;
            if (seen >= rank)
                return b.UpperBoundMicroseconds is { } bound ? "<=" + Micros(bound) : ">" + (lastBound is { } l ? Micros(l) : "0");
            if (b.UpperBoundMicroseconds is { } u) lastBound = u;
        }
        return "-";
    }

    /// <summary>Pre and post histograms share the fixed bounds: add the counts bucket by bucket.</summary>
    private static List<HistogramBucket> Merge(IReadOnlyList<HistogramBucket> a, IReadOnlyList<HistogramBucket> b)
    {
        var merged = new List<HistogramBucket>(Math.Max(a.Count, b.Count));
        for (int i = 0; i < Math.Max(a.Count, b.Count); i++)
        {
            var bucket = i < a.Count ? a[i] : b[i];
            long count = (i < a.Count ? a[i].Count : 0) + (i < b.Count ? b[i].Count : 0);
            merged.Add(bucket with { Count = count });
        }
        return merged;
    }

    private static long Sum(IReadOnlyDictionary<string, long> counts)
    {
        long sum = 0;
        foreach (var c in counts.Values) sum += c;
        return sum;
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
    private static string Micros(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
