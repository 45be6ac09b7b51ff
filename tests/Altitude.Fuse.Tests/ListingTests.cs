// Listings through a filter that removes entries: a batch whose entries were all removed must not end the listing,
// with READDIRPLUS and with plain READDIR alike.
namespace Altitude.Fuse.Tests;

public class ListingTests : MountTestBase
{
    private const int Hidden = 5000;
    private static readonly string[] Visible = ["v0", "v1", "v2", "v3", "v4"];

    [MountFact]
    public void HidingFiveThousandNamesNeverEndsAReadDirPlusListingEarly()
    {
        var (plain, plus) = ListWithHiddenRuns(ReadDirPlusMode.Always);
        Assert.True(plus > 0, "no READDIRPLUS request");
        Assert.Equal(0, plain);
    }

    [MountFact]
    public void HidingFiveThousandNamesNeverEndsAReadDirListingEarly()
    {
        var (plain, plus) = ListWithHiddenRuns(ReadDirPlusMode.Never);
        Assert.True(plain > 0, "no READDIR request");
        Assert.Equal(0, plus);
    }

    /// <summary>
    /// 5,000 hidden names and 5 visible ones: whatever order the backing directory lists them in, some run of hidden
    /// names is at least 833 long, far more than one batch (about 100 names for READDIR, 20 for READDIRPLUS), so whole
    /// batches lose every entry. Lists with ls -f and find, asserts exactly the visible names, and returns the listing
    /// requests by opcode.
    /// </summary>
    private (long Plain, long Plus) ListWithHiddenRuns(ReadDirPlusMode mode)
    {
        string dir = B("many");
        Directory.CreateDirectory(dir);
        for (int i = 0; i < Hidden; i++) File.WriteAllBytes(Path.Combine(dir, $"h{i:D5}"), []);
        foreach (string name in Visible) File.WriteAllBytes(Path.Combine(dir, name), []);
        int emptied = 0;
        AddFilter("HideH", "320000", new OperationRegistration(MajorFunction.DirectoryControl, 0, null,
            (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
            {
                DirectoryEntryList? list = d.Iopb.Parameters.DirectoryControl.Entries;
                if (list is null || list.Count == 0) return PostOperationStatus.FinishedProcessing;
                for (int i = list.Count - 1; i >= 0; i--)
                    if (list.GetName(i) is [(byte)'h', ..]) list.RemoveAt(i);
                if (list.Count == 0) Interlocked.Increment(ref emptied);
                return PostOperationStatus.FinishedProcessing;
            }));
        var v = Mount(new FuseVolumeOptions { ReadDirPlus = mode });
        string[] expected = [".", "..", .. Visible];
        Array.Sort(expected, StringComparer.Ordinal);
        Assert.Equal(expected, Lines(ShOk($"ls -f {M("many")}")));
        Assert.Equal(Visible, Lines(ShOk($"cd {M("many")} && find . -mindepth 1 -printf '%P\\n'")));
        Assert.True(Volatile.Read(ref emptied) > 0, "no batch lost all its entries: the test did not test anything");
        return (v.Bridge.ReadDirRequests, v.Bridge.ReadDirPlusRequests);
    }

    private static string[] Lines(string output)
    {
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Array.Sort(lines, StringComparer.Ordinal);
        return lines;
    }
}
