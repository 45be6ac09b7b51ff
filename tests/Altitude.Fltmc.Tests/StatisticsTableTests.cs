// `fltmc stats`: the three tables and the percentile estimate from fixed histogram buckets.
using Altitude.FilterLib;
using Altitude.Fltmc.Layouts;

namespace Altitude.Fltmc.Tests;

public sealed class StatisticsTableTests
{
    private static readonly HistogramBucket[] Buckets =
        [new(10, 0), new(100, 0), new(1000, 0), new(null, 0)];

    private static HistogramBucket[] Counts(params long[] counts) =>
        Buckets.Select((b, i) => b with { Count = counts[i] }).ToArray();

    [Fact]
    public void Percentile_is_the_upper_bound_of_the_bucket_holding_that_rank()
    {
        var h = Counts(50, 40, 9, 1);                         // 100 callbacks
        Assert.Equal("<=10", StatisticsTable.Percentile(h, 0.50));
        Assert.Equal("<=100", StatisticsTable.Percentile(h, 0.90));
        Assert.Equal("<=1000", StatisticsTable.Percentile(h, 0.99));
        Assert.Equal(">1000", StatisticsTable.Percentile(Counts(0, 0, 0, 3), 0.50));
        Assert.Equal("-", StatisticsTable.Percentile(Counts(0, 0, 0, 0), 0.50));
    }

    [Fact]
    public void Tables_show_volume_operations_instance_counters_and_port_counters()
    {
        var stats = new FilterStatistics(
            [new VolumeStatistics("/dev/altitude/volume1", new Dictionary<string, long> { ["IRP_MJ_CREATE"] = 12, ["IRP_MJ_READ"] = 0, ["IRP_MJ_WRITE"] = 7 })],
            [new InstanceStatistics("scanner", "Scanner Instance", "/dev/altitude/volume1",
                new Dictionary<string, long> { ["IRP_MJ_CREATE"] = 12, ["IRP_MJ_WRITE"] = 7 },
                new Dictionary<string, long> { ["IRP_MJ_CREATE"] = 12 },
                Counts(10, 9, 0, 0), Counts(0, 12, 0, 0), Pended: 2, TimedOut: 1, Faults: 3)],
            [new PortStatistics(@"\ScannerPort", "scanner", 1, 4, 31, 30, 1)]);
        var lines = StatisticsTable.Lines(stats);

        int blank = lines.ToList().IndexOf("");
        Assert.Equal(["Volume                 Major          Operations",
                      "---------------------  -------------  ----------",
                      "/dev/altitude/volume1  IRP_MJ_CREATE          12",
                      "                       IRP_MJ_WRITE            7"], lines.Take(blank));
        // 31 callbacks: 10 within 10us, 21 within 100us -> p50 and p90 in the 100us bucket.
        string instance = lines.Single(l => l.StartsWith("scanner", StringComparison.Ordinal));
        Assert.Equal(["scanner", "Scanner", "Instance", "/dev/altitude/volume1", "19", "12", "2", "1", "3", "<=100", "<=100", "<=100"],
            instance.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        string port = lines.Single(l => l.StartsWith(@"\ScannerPort", StringComparison.Ordinal));
        Assert.Equal([@"\ScannerPort", "scanner", "1", "4", "31", "30", "1"], port.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(lines, l => l.StartsWith("Port", StringComparison.Ordinal) && l.Contains("Connections") && l.Contains("Timeouts"));
    }
}
