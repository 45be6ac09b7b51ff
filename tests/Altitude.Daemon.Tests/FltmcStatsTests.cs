// `fltmc stats` against a real fltmgrd: after a program creates k files through a mount PassThrough watches, the
// volume's Create count and the instance's callbacks grew by at least k (other programs may touch the mount too, so
// the checks are relations between snapshots), in the JSON and in the text tables.
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Altitude.Daemon.Tests;

public class FltmcStatsTests
{
    private const int Files = 5;

    [MountFact]
    public void StatsCountTheOperationsOfAProgramOnTheMount()
    {
        using var d = new DaemonProcess();
        d.WriteMainVolume();
        d.WriteFilterManifest("passthrough", "PassThrough", Filters.PassThrough, Filters.PassThroughClass, "370030");
        d.StartServing();
        using var fltmc = new Fltmc(d.ControlSocket);

        var before = Stats(fltmc);
        Tool.Output("sh", "-c", $"for i in $(seq {Files}); do : > '{d.MountPoint}'/new$i; done");
        for (int i = 1; i <= Files; i++) Assert.True(File.Exists(d.B("new" + i)), "new" + i + " created through the mount");
        var after = Stats(fltmc);

        Assert.True(VolumeCreates(after) >= VolumeCreates(before) + Files, $"creates {VolumeCreates(before)} -> {VolumeCreates(after)}");
        var instanceBefore = PassThrough(before);
        var instanceAfter = PassThrough(after);
        Assert.Equal("370030", instanceAfter.GetProperty("altitude").GetString());
        foreach (string side in new[] { "preOperations", "postOperations" })
            Assert.True(Count(instanceAfter.GetProperty(side), "Create") >= Count(instanceBefore.GetProperty(side), "Create") + Files, side);
        // Each of those callbacks was timed: the histograms grew as much.
        foreach (string side in new[] { "preOperationTime", "postOperationTime" })
            Assert.True(TimedCalls(instanceAfter, side) >= TimedCalls(instanceBefore, side) + Files, side);
        foreach (string zero in new[] { "pended", "timedOut", "faults" }) Assert.Equal(0, instanceAfter.GetProperty(zero).GetInt64());
        // The control endpoint is a port of the Filter Manager's own (no filter); each fltmc run is one connection to it.
        Assert.True(ControlAccepted(after) >= ControlAccepted(before) + 1);

        // The text tables: the volume's Create row and the instance's row, each at least the JSON's later snapshot.
        var lines = fltmc.Ok("stats");
        Assert.Equal("", lines[0]);
        Assert.Matches(@"^Volume +Major +Operations$", lines[1]);
        Assert.Matches(@"^-+  -+  -+$", lines[2]);
        var create = lines.Select(l => Regex.Match(l, @"^/dev/altitude/volume1 +Create +(\d+)$")).Single(m => m.Success);
        Assert.True(long.Parse(create.Groups[1].Value) >= VolumeCreates(after), create.Value);
        var row = lines.Select(l => Regex.Match(l, @"^PassThrough +PassThrough Instance +/dev/altitude/volume1 +(\d+) +(\d+) +0 +0 +0 ")).Single(m => m.Success);
        Assert.True(long.Parse(row.Groups[1].Value) >= Sum(instanceAfter.GetProperty("preOperations")), row.Value);
        Assert.True(long.Parse(row.Groups[2].Value) >= Sum(instanceAfter.GetProperty("postOperations")), row.Value);

        Assert.Equal(0, d.Stop());
    }

    private static JsonElement Stats(Fltmc fltmc)
    {
        using var doc = JsonDocument.Parse(string.Join('\n', fltmc.Ok("stats", "--json")));
        return doc.RootElement.Clone();
    }

    private static long VolumeCreates(JsonElement stats)
    {
        var volume = stats.GetProperty("volumes").EnumerateArray().Single(v => v.GetProperty("volume").GetString() == "/dev/altitude/volume1");
        return Count(volume.GetProperty("operations"), "Create");
    }

    private static JsonElement PassThrough(JsonElement stats) =>
        stats.GetProperty("instances").EnumerateArray().Single(i => i.GetProperty("filter").GetString() == "PassThrough"
            && i.GetProperty("instance").GetString() == "PassThrough Instance" && i.GetProperty("volume").GetString() == "/dev/altitude/volume1");

    private static long ControlAccepted(JsonElement stats) =>
        stats.GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("filter").ValueKind == JsonValueKind.Null).GetProperty("connectionsAccepted").GetInt64();

    private static long TimedCalls(JsonElement instance, string histogram) => instance.GetProperty(histogram).GetProperty("count").GetInt64();

    /// <summary>A major's count in a by-major object; majors with no operation are left out (0).</summary>
    private static long Count(JsonElement byMajor, string major) => byMajor.TryGetProperty(major, out var n) ? n.GetInt64() : 0;

    private static long Sum(JsonElement byMajor)
    {
        long sum = 0;
        foreach (var p in byMajor.EnumerateObject()) sum += p.Value.GetInt64();
        return sum;
    }
}
