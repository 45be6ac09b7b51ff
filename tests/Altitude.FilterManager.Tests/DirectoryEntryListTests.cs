// DirectoryEntryList.CopyFrom, the copy-back of a filter that swapped in its own list (swapBuffers).
namespace Altitude.Tests;

public sealed class DirectoryEntryListTests
{
    [Fact]
    public void CopyFromKeepsEntriesNamesAndTheResumeCookieOfAListWhoseLastEntriesWereRemoved()
    {
        var source = new DirectoryEntryList();
        for (int i = 0; i < 100; i++) source.Add((ulong)i + 10, i + 1, 8, System.Text.Encoding.ASCII.GetBytes("name-" + i));
        source.RemoveAt(99);   // a filter below hid the last entry: the listing must still go on after it
        source.RemoveAt(0);
        var target = new DirectoryEntryList();
        target.Add(1, 1, 4, "stale"u8);
        target.CopyFrom(source);
        Assert.Equal(98, target.Count);
        Assert.Equal(source.AddedCount, target.AddedCount);
        Assert.Equal(100, target.ResumeCookie);
        Assert.Equal("name-1"u8.ToArray(), target.GetName(0).ToArray());
        Assert.Equal("name-98"u8.ToArray(), target.GetName(97).ToArray());
        Assert.Equal(11ul, target[0].FileId);
        // The copy is its own storage: changing the source afterwards leaves it alone.
        source.Clear();
        source.Add(5, 5, 8, "other"u8);
        Assert.Equal("name-1"u8.ToArray(), target.GetName(0).ToArray());
    }
}
