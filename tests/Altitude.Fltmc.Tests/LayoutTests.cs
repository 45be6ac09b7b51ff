// Golden tests of the Windows layouts: each table rebuilt from records equals the spec's observed output line by
// line, and the column rules hold for values the examples do not show.
using Altitude.FilterLib;
using Altitude.Fltmc.Layouts;

namespace Altitude.Fltmc.Tests;

public sealed class LayoutTests
{
    private static void AssertLines(IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        for (int i = 0; i < Math.Min(expected.Count, actual.Count); i++)
            Assert.True(expected[i] == actual[i], $"line {i}:\nexpected \"{expected[i]}\"\nactual   \"{actual[i]}\"");
        Assert.Equal(expected.Count, actual.Count);
    }

    [Fact]
    public void Filters_table_reproduces_the_spec_example_including_the_legacy_row()
    {
        AssertLines(SpecExamples.Filters, FiltersTable.Lines(SpecExamples.FilterRecords));
    }

    [Fact]
    public void Filters_columns_count_ends_at_40_altitude_integer_at_53_frame_at_63_fraction_overhangs()
    {
        string whole = FiltersTable.Row(new FilterInfo("PassThrough", "370000", 12, 0, false));
        string fraction = FiltersTable.Row(new FilterInfo("PassThrough", "370000.123", 3, 0, false));
        foreach (var row in new[] { whole, fraction })
        {
            Assert.Equal('0', row[53]);                       // last digit of 370000
            Assert.Equal(' ', row[47]);                       // ...which is six digits wide
            Assert.Equal('0', row[63]);                       // the frame
            Assert.Equal(64, row.Length);
        }
        Assert.Equal("12", whole.Substring(39, 2));           // the count's last digit at column 40
        Assert.Equal(' ', whole[41]);
        Assert.Equal('3', fraction[40]);
        Assert.Equal(".123", fraction.Substring(54, 4));      // the fraction overhangs past column 53
        Assert.Equal("PassThrough".PadRight(32), whole[..32]);
    }

    [Fact]
    public void Filters_long_name_pushes_the_row_instead_of_being_cut()
    {
        string name = new('n', 40);
        string row = FiltersTable.Row(new FilterInfo(name, "1000", 1, 0, false));
        Assert.StartsWith(name, row);
        Assert.EndsWith("1000         0", row);
    }

    [Fact]
    public void Instances_table_reproduces_the_spec_example()
    {
        AssertLines(SpecExamples.Instances, InstancesTable.Lines(SpecExamples.InstanceRecords));
    }

    [Fact]
    public void Instances_columns_volume_at_22_altitude_integer_at_69_instance_at_75_frame_at_101_features_at_107()
    {
        var i = new InstanceInfo("PassThrough", "PassThrough Instance", "370000.5", "/dev/altitude/volume1", "/mnt/demo", 0,
            FltFilesystemType.Unknown, 0x3, Detached: true);
        string row = InstancesTable.Row(i);
        Assert.Equal("/mnt/demo", row.Substring(22, 9));        // the DOS name (mount point) before the volume name
        Assert.Equal("370000", row.Substring(64, 6));           // integer part ends at column 69
        Assert.Equal(".5", row.Substring(70, 2));               // fraction overhangs
        Assert.Equal("PassThrough Instance", row.Substring(75, 20));
        Assert.Equal('0', row[101]);
        Assert.Equal("00000003", row.Substring(107, 8));
        Assert.Equal(InstancesTable.DetachedStatus, row[117..]);
    }

    [Fact]
    public void Instances_are_sorted_by_filter_name_and_fall_back_to_the_volume_name()
    {
        InstanceInfo[] unsorted =
        [
            new("scanner", "Scanner Instance", "265000", "/dev/altitude/volume1", null, 0, FltFilesystemType.Unknown, 0, false),
            new("Minispy", "Minispy - Top Instance", "385100", "/dev/altitude/volume1", "", 0, FltFilesystemType.Unknown, 0, false),
            new("avscan", "AvScan Instance", "320000", "/dev/altitude/volume2", null, 0, FltFilesystemType.Unknown, 0, false),
        ];
        var lines = InstancesTable.Lines(unsorted);
        Assert.Equal(["avscan", "Minispy", "scanner"], lines.Skip(2).Select(l => l[..20].TrimEnd()));
        Assert.All(lines.Skip(2), l => Assert.StartsWith("/dev/altitude/volume", l[22..]));
    }

    [Fact]
    public void Volumes_table_reproduces_the_spec_example()
    {
        AssertLines(SpecExamples.Volumes, VolumesTable.Lines(SpecExamples.VolumeRecords));
    }

    [Fact]
    public void Volumes_columns_at_32_and_73_show_the_backing_file_system_and_detached_status()
    {
        string row = VolumesTable.Row(new VolumeInfo("/dev/altitude/volume1", "/mnt/demo", FltFilesystemType.Unknown, "ext4", 0, Detached: true));
        Assert.Equal("/mnt/demo".PadRight(32), row[..32]);
        Assert.Equal("/dev/altitude/volume1", row.Substring(32, 21));
        Assert.Equal("ext4", row.Substring(73, 4));
        Assert.Equal(VolumesTable.DetachedStatus, row[85..]);
        string unknown = VolumesTable.Row(new VolumeInfo("/dev/altitude/volume2", null, FltFilesystemType.Unknown, "", 0, false));
        Assert.Equal("<Unknown>", unknown[73..]);
    }

    [Fact]
    public void Empty_listings_print_no_header()
    {
        Assert.Empty(FiltersTable.Lines([]));
        Assert.Empty(InstancesTable.Lines([]));
        Assert.Empty(VolumesTable.Lines([]));
    }
}
