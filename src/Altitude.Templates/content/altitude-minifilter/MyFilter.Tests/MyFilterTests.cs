// MyFilter's tests, on the Altitude.Testing harness: the filter is loaded through its DriverEntry, as fltmgrd loads
// it, and the operations go through the whole stack in-process.
using Altitude;
using Altitude.Testing;
using MyFilter;
using Xunit;

namespace MyFilter.Tests;

public sealed class MyFilterTests
{
    [Fact]
    public void OpensOfBlockedNamesAreDeniedAndOthersAreNot()
    {
        using var volume = new FilterTestVolume();
        Filter filter = volume.Load(new MyFilterFilter(), "MyFilter", MyFilterFilter.DefaultAltitude);
        File.WriteAllText(volume.BackingPath("report.blocked"), "secret");
        File.WriteAllText(volume.BackingPath("report.txt"), "public");
        FilterAssert.OpenDenied(volume, "report.blocked");
        FilterAssert.OpenAllowed(volume, "report.txt");
        Assert.Equal("public", volume.ReadAllText("report.txt"));
        FilterAssert.ContextsFreed(volume, filter);
    }

    [Fact]
    public void TheBlockedSuffixComesFromTheParameters()
    {
        using var volume = new FilterTestVolume();
        volume.Load(new MyFilterFilter(), "MyFilter", MyFilterFilter.DefaultAltitude, new Dictionary<string, string> { ["BlockedSuffix"] = ".tmp" });
        File.WriteAllText(volume.BackingPath("a.tmp"), "x");
        File.WriteAllText(volume.BackingPath("a.blocked"), "y");
        FilterAssert.OpenDenied(volume, "a.tmp");
        FilterAssert.OpenAllowed(volume, "a.blocked");
    }

    [Fact]
    public void RenamesAreSeenByTheFiltersAboveWithTheirNames()
    {
        using var volume = new FilterTestVolume();
        volume.Load(new MyFilterFilter(), "MyFilter", MyFilterFilter.DefaultAltitude);
        var recorder = volume.Record();
        volume.WriteAllText("draft.txt", "text");
        volume.Rename("draft.txt", "final.txt");
        FilterAssert.RenameSeen(recorder, "/draft.txt", "/final.txt");
        FilterAssert.NoVerifierReports(volume);
    }
}
