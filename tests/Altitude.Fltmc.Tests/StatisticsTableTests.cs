// `fltmc stats`: the three tables and the percentile estimate from fixed histogram buckets.
using Altitude.FilterLib;
using Altitude.Fltmc.Layouts;

namespace Altitude.Fltmc.Tests;

public sealed class StatisticsTableTests
{
    // Bucket 0: under 1 us; bucket k: [2^(k-1), 2^k) us; the last (27): 2^26 us or more.
    private static HistogramStatistics Histogram(params (int Bucket, long Count)[] counts)
    {
        var buckets = new long[28];
        long n = 0;
        foreach (var (k, c) in counts) { buckets[k] += c; n += c; }
        return new HistogramStatistics(n, 0, buckets);
    }

    [Fact]
    public void Percentile_is_the_upper_bound_of_the_bucket_holding_that_rank()
    {
        var h = Histogram((3, 50), (6, 40), (10, 9), (27, 1)).Buckets;   // 100 callbacks
        Assert.Equal("<8", StatisticsTable.Percentile(h, 0.50));
        Assert.Equal("<64", StatisticsTable.Percentile(h, 0.90));
        Assert.Equal("<1024", StatisticsTable.Percentile(h, 0.99));
        Assert.Equal(">=67108864", StatisticsTable.Percentile(Histogram((27, 3)).Buckets, 0.50));
        Assert.Equal("-", StatisticsTable.Percentile(Histogram().Buckets, 0.50));
    }

    [Fact]
    public void Tables_show_volume_operations_instance_counters_and_port_counters()
    {
        var stats = new FilterStatistics(3,
            [new VolumeOperationStatistics("/dev/altitude/volume1", "/mnt", new Dictionary<string, long> { ["Create"] = 12, ["Read"] = 0, ["Write"] = 7 })],
            [new InstanceStatistics("scanner", "Scanner Instance", "/dev/altitude/volume1", "265000",
                new Dictionary<string, long> { ["Create"] = 12, ["Write"] = 7 },
                new Dictionary<string, long> { ["Create"] = 12 },
                Histogram((4, 10), (7, 9)), Histogram((7, 12)), Pended: 2, TimedOut: 1, Faults: 3)],
            [new PortStatistics(@"\ScannerPort", "scanner", 1, 4, 0, 31, 30, 30, 1)]);
        var lines = StatisticsTable.Lines(stats);

        int blank = lines.ToList().IndexOf("");
        Assert.Equal(["Volume                 Major   Operations",
                      "---------------------  ------  ----------",
                      "/dev/altitude/volume1  Create          12",
                      "                       Write            7"], lines.Take(blank));
        // 31 callbacks: 10 under 16 us, 21 in [64, 128) us -> p50, p90 and p99 in the 128 us bucket.
        string instance = lines.Single(l => l.StartsWith("scanner", StringComparison.Ordinal));
        Assert.Equal(["scanner", "Scanner", "Instance", "/dev/altitude/volume1", "19", "12", "2", "1", "3", "<128", "<128", "<128"],
            instance.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        string port = lines.Single(l => l.StartsWith(@"\ScannerPort", StringComparison.Ordinal));
        Assert.Equal([@"\ScannerPort", "scanner", "1", "4", "31", "30", "1"], port.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(lines, l => l.StartsWith("Port", StringComparison.Ordinal) && l.Contains("Connections") && l.Contains("Timeouts"));
    }
}
