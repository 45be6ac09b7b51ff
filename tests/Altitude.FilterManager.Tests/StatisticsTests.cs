// FilterManager.GetStatistics: exact counts after a known sequence of operations, and a snapshot that System.Text.Json
// serializes as it is (the control endpoint's camelCase).
using System.Text.Json;

namespace Altitude.Tests;

public sealed class StatisticsTests : IDisposable
{
    // A long pending timeout: a pend the test completes must never race the watchdog, however loaded the machine.
    private readonly FilterManager manager = new(new FilterManagerOptions { PendingTimeout = TimeSpan.FromMinutes(10) });
    private readonly Volume volume;

    public StatisticsTests() => volume = manager.AddVolume(new FakeFileSystem());

    public void Dispose() => manager.Dispose();

    [Fact]
    public void CountsFollowAKnownSequenceExactly()
    {
        var f = new LambdaFilter("Stats").Register(manager, "300");
        PreOperationCallback passThrough = f.Pre;

        // Three plain reads: pre and post each.
        for (int n = 0; n < 3; n++) Assert.Equal(NtStatus.Success, Ops.RunRead(volume).Status);

        // One read pended and completed: its post runs.
        CallbackData? parked = null;
        f.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { parked = d; c = null; return PreOperationStatus.Pending; };
        var pended = Ops.Read(volume);
        var sink = new CompletionSink();
        Assert.False(volume.StartOperation(pended, sink));
        Assert.Equal(NtStatus.Success, parked!.CompletePendedPreOperation(PreOperationStatus.SuccessWithCallback));
        Assert.True(sink.Done.Wait(60_000));
        pended.Free();

        // One pre-op that throws: a fault, no post.
        f.Pre = (CallbackData d, in RelatedObjects o, out object? c) => throw new InvalidOperationException("boom");
        Assert.Equal(NtStatus.UnhandledException, Ops.RunRead(volume).Status);
        f.Pre = passThrough;

        FilterManagerStatistics stats = manager.GetStatistics();
        var v = Assert.Single(stats.Volumes);
        Assert.Equal(volume.Name, v.Volume);
        Assert.Equal(new Dictionary<string, long> { ["Read"] = 5 }, v.Operations);
        var i = Assert.Single(stats.Instances);
        Assert.Equal(("Stats", "Stats Instance", volume.Name, "300"), (i.Filter, i.Instance, i.Volume, i.Altitude));
        Assert.Equal(new Dictionary<string, long> { ["Read"] = 5 }, i.PreOperations);
        Assert.Equal(new Dictionary<string, long> { ["Read"] = 4 }, i.PostOperations);
        Assert.Equal(1, i.Pended);
        Assert.Equal(0, i.TimedOut);
        Assert.Equal(1, i.Faults);
        Assert.Equal(1, stats.Faults);
        Assert.Equal(5, i.PreOperationTime.Count);
        Assert.Equal(4, i.PostOperationTime.Count);
        Assert.Equal(HistogramStatistics.BucketCount, i.PreOperationTime.Buckets.Length);
        Assert.Equal(5, i.PreOperationTime.Buckets.Sum());
        Assert.Empty(stats.Ports);
    }

    [Fact]
    public void AnOperationTheWatchdogEndsCountsAsPendedTimedOutAndAFault()
    {
        using var shortManager = new FilterManager(new FilterManagerOptions { PendingTimeout = TimeSpan.FromMilliseconds(200), WatchdogInterval = TimeSpan.FromMilliseconds(20) });
        var shortVolume = shortManager.AddVolume(new FakeFileSystem());
        var f = new LambdaFilter("Expires").Register(shortManager, "300");
        f.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { c = null; return PreOperationStatus.Pending; };

        // Pended forever: the watchdog fails it (a timeout and a fault); no post for the pending instance.
        var expired = Ops.Read(shortVolume);
        var expiredSink = new CompletionSink();
        Assert.False(shortVolume.StartOperation(expired, expiredSink));
        Assert.True(expiredSink.Done.Wait(60_000));
        Assert.Equal(NtStatus.IoTimeout, expiredSink.Status.Status);
        expired.Free();

        var i = Assert.Single(shortManager.GetStatistics().Instances);
        Assert.Equal((1L, 1L, 1L), (i.Pended, i.TimedOut, i.Faults));
        Assert.Equal(new Dictionary<string, long> { ["Read"] = 1 }, i.PreOperations);
        Assert.Empty(i.PostOperations);
    }

    [Fact]
    public void TheSnapshotSerializesCamelCaseWithMajorNamesAsKeys()
    {
        new LambdaFilter("Json").Register(manager, "300");
        Ops.RunRead(volume);
        string json = JsonSerializer.Serialize(manager.GetStatistics(), new JsonSerializerOptions(JsonSerializerDefaults.Web));
        using var doc = JsonDocument.Parse(json);
        var instance = doc.RootElement.GetProperty("instances")[0];
        Assert.Equal("Json", instance.GetProperty("filter").GetString());
        Assert.Equal(1, instance.GetProperty("preOperations").GetProperty("Read").GetInt64());
        Assert.Equal(1, instance.GetProperty("preOperationTime").GetProperty("count").GetInt64());
        Assert.Equal(1, doc.RootElement.GetProperty("volumes")[0].GetProperty("operations").GetProperty("Read").GetInt64());
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    [InlineData(4, 3)]
    [InlineData(1023, 10)]
    [InlineData(1024, 11)]
    [InlineData(long.MaxValue, HistogramStatistics.BucketCount - 1)]
    public void BucketsAreLog2Microseconds(long microseconds, int bucket)
    {
        Assert.Equal(bucket, CallbackTimeHistogram.BucketOf(microseconds));
        if (bucket < HistogramStatistics.BucketCount - 1) Assert.True(microseconds < HistogramStatistics.UpperBoundMicroseconds(bucket));
    }

    [Fact]
    public void ADetachedInstanceLeavesTheSnapshot()
    {
        var f = new LambdaFilter("Gone").Register(manager, "300");
        Ops.RunRead(volume);
        Assert.Single(manager.GetStatistics().Instances);
        Assert.Equal(NtStatus.Success, f.Filter.DetachVolume(volume, null));
        Assert.Empty(manager.GetStatistics().Instances);
        Assert.Equal(1, manager.GetStatistics().Volumes.Single().Operations["Read"]);
    }
}
