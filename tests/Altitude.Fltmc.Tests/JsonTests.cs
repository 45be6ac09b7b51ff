// --json writes the records with camelCase names and enums by name, and reads back to the same records.
using System.Text.Json;
using Altitude.FilterLib;
using Altitude.Fltmc.Output;

namespace Altitude.Fltmc.Tests;

public sealed class JsonTests
{
    [Fact]
    public void Filters_instances_and_volumes_round_trip()
    {
        IReadOnlyList<FilterInfo> filters = SpecExamples.FilterRecords;
        IReadOnlyList<InstanceInfo> instances = SpecExamples.InstanceRecords;
        IReadOnlyList<VolumeInfo> volumes = [.. SpecExamples.VolumeRecords, new("/dev/altitude/volume1", "/mnt/demo", FltFilesystemType.Unknown, "ext4", 0, true)];
        var ctx = FltmcJsonContext.Default;
        Assert.Equal(filters, JsonSerializer.Deserialize(JsonSerializer.Serialize(filters, ctx.IReadOnlyListFilterInfo), ctx.IReadOnlyListFilterInfo)!);
        Assert.Equal(instances, JsonSerializer.Deserialize(JsonSerializer.Serialize(instances, ctx.IReadOnlyListInstanceInfo), ctx.IReadOnlyListInstanceInfo)!);
        Assert.Equal(volumes, JsonSerializer.Deserialize(JsonSerializer.Serialize(volumes, ctx.IReadOnlyListVolumeInfo), ctx.IReadOnlyListVolumeInfo)!);
    }

    [Fact]
    public void Names_are_camelCase_and_enums_are_names()
    {
        string json = JsonSerializer.Serialize<IReadOnlyList<InstanceInfo>>(SpecExamples.InstanceRecords, FltmcJsonContext.Default.IReadOnlyListInstanceInfo);
        using var doc = JsonDocument.Parse(json);
        var first = doc.RootElement[0];
        Assert.Equal("minispy", first.GetProperty("filterName").GetString());
        Assert.Equal("Minispy - Top Instance", first.GetProperty("instanceName").GetString());
        Assert.Equal("Ntfs", first.GetProperty("volumeFileSystemType").GetString());
        Assert.Equal(15u, first.GetProperty("supportedFeatures").GetUInt32());
        Assert.Equal(JsonValueKind.Null, doc.RootElement[2].GetProperty("dosName").ValueKind);
    }

    [Fact]
    public void Statistics_round_trip()
    {
        var stats = new FilterStatistics(0,
            [new VolumeOperationStatistics("/dev/altitude/volume1", null, new Dictionary<string, long> { ["Create"] = 3 })],
            [new InstanceStatistics("scanner", "Scanner Instance", "/dev/altitude/volume1", "265000", new Dictionary<string, long> { ["Create"] = 3 },
                new Dictionary<string, long>(), new HistogramStatistics(3, 40, [0, 0, 2, 1]), new HistogramStatistics(0, 0, []), 1, 0, 0)],
            [new PortStatistics(@"\ScannerPort", "scanner", 1, 1, 0, 3, 3, 3, 0)]);
        var type = FltmcJsonContext.Default.FilterStatistics;
        string json = JsonSerializer.Serialize(stats, type);
        Assert.Contains("\"preOperations\"", json);
        Assert.Contains("\"Create\"", json);        // dictionary keys are the major names, unchanged
        var back = JsonSerializer.Deserialize(json, type)!;
        Assert.Equal(json, JsonSerializer.Serialize(back, type));
        Assert.Equal(3, back.Instances[0].PreOperationTime.Count);
        Assert.Equal([0L, 0, 2, 1], back.Instances[0].PreOperationTime.Buckets);
    }
}
