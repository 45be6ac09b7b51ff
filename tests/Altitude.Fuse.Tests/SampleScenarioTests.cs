// The ctx, delete and change samples through a real mount: programs on the mount drive the operations, the samples'
// contexts, names and filter-issued I/O observe them.
using Altitude.Samples.Change;
using Altitude.Samples.Ctx;
using Altitude.Samples.Delete;

namespace Altitude.Fuse.Tests;

public sealed class SampleScenarioTests : MountTestBase
{
    /// <summary>
    /// RELEASE reaches the daemon after close(2) returns: polls what it counts until <paramref name="done"/> holds, and
    /// returns the last value either way (the caller's assertion on it then shows what was seen). The deadline only
    /// bounds a wait for a count that never comes.
    /// </summary>
    private static T WaitFor<T>(Func<T> probe, Func<T, bool> done, int milliseconds = 60_000)
    {
        T value = probe();
        SpinWait.SpinUntil(() => done(value = probe()), milliseconds);
        return value;
    }

    [MountFact]
    public void TheCtxSampleCountsCreatesCleanupsAndClosesPerStreamAndRefreshesNamesAfterARename()
    {
        var ctx = new CtxFilter();
        Assert.Equal(NtStatus.Success, ctx.Register(Manager));
        Mount();
        string volume = Volume!.Volume.Name;
        ShOk($"echo hello > {M("a.txt")}; cat {M("a.txt")} > /dev/null; cat {M("a.txt")} > /dev/null");
        StreamStatistics? Find(string name) => ctx.Streams.Where(s => s.FileName == volume + name).Cast<StreamStatistics?>().FirstOrDefault();
        var a = WaitFor(() => Find("/a.txt"), s => s is { CloseCount: 3 });
        Assert.Equal(new StreamStatistics(volume + "/a.txt", 3, 3, 3), a);
        ShOk($"mv {M("a.txt")} {M("b.txt")}");
        Assert.NotNull(WaitFor(() => Find("/b.txt"), s => s is not null));   // the post-rename refreshed the name
        ShOk($"cat {M("b.txt")} > /dev/null");
        var b = WaitFor(() => Find("/b.txt"), s => s is { CloseCount: 4 });
        Assert.Equal(new StreamStatistics(volume + "/b.txt", 4, 4, 4), b);
        Assert.Null(Find("/a.txt"));
        // A second file is its own stream.
        ShOk($"echo x > {M("c.txt")}");
        Assert.Equal(1, WaitFor(() => Find("/c.txt"), s => s is { CloseCount: 1 })!.Value.CreateCount);
        Volume.Unmount();
        Assert.Contains(ctx.Log, l => l.StartsWith($"stream {volume}/b.txt: creates 4, cleanups 4, closes 4", StringComparison.Ordinal));
    }

    [MountFact]
    public void TheDeleteSampleDetectsUnlinkRmdirAndARenameOverAFile()
    {
        var delete = new DeleteFilter();
        Assert.Equal(NtStatus.Success, delete.Register(Manager));
        Mount();
        string volume = Volume!.Volume.Name;
        ShOk($"echo 1 > {M("gone")}; rm {M("gone")}");
        ShOk($"echo 2 > {M("target")}; echo 3 > {M("source")}; mv {M("source")} {M("target")}");
        ShOk($"echo 4 > {M("linked")}; ln {M("linked")} {M("alias")}; rm {M("linked")}");   // another name remains: not deleted
        ShOk($"mkdir {M("dir")}; rmdir {M("dir")}");
        ShOk($"echo 5 > {M("open")}; exec 3<{M("open")}; rm {M("open")}; cat <&3 >/dev/null; exec 3<&-");
        ShOk($"mv {M("target")} {M("fresh")}");   // a rename to a new name deletes nothing
        string[] expected =
        {
            $"A file \"{volume}/gone\" has been deleted!",
            $"A file \"{volume}/target\" has been deleted!",
            $"A file \"{volume}/dir\" has been deleted!",
            $"A file \"{volume}/open\" has been deleted!",
        };
        var seen = WaitFor(() => delete.Deleted, d => d.Length >= expected.Length);
        Assert.Equal(expected, seen);
        ShOk($"rm {M("alias")}");
        Assert.Contains($"A file \"{volume}/alias\" has been deleted!", WaitFor(() => delete.Deleted, d => d.Length > expected.Length));
    }

    [MountFact]
    public void TheChangeSampleMarksWritesTruncatesAndHolePunchesDirtyButNotReadsOrStats()
    {
        foreach (string f in new[] { "read.txt", "appended.txt", "truncated.txt", "overwritten.txt", "punched.bin", "reserved.bin", "linked.txt" })
            File.WriteAllBytes(B(f), new byte[65536]);
        var change = new ChangeFilter();
        Assert.Equal(NtStatus.Success, change.Register(Manager));
        Mount();
        string volume = Volume!.Volume.Name;
        ShOk($"cat {M("read.txt")} > /dev/null; stat {M("read.txt")} > /dev/null; ls -l {M("")} > /dev/null; head -c 10 {M("read.txt")} > /dev/null");
        ShOk($"ln {M("linked.txt")} {M("alias.txt")}");   // a new name is not a change of contents
        ShOk($"fallocate -n -o 0 -l 1M {M("reserved.bin")}");   // KEEP_SIZE: allocation only
        ShOk($"echo more >> {M("appended.txt")}");
        ShOk($"truncate -s 100 {M("truncated.txt")}");
        ShOk($": > {M("overwritten.txt")}");   // O_TRUNC
        ShOk($"fallocate -p -o 4096 -l 4096 {M("punched.bin")}");
        ShOk($"echo new > {M("created.txt")}");
        ShOk($"echo via-link >> {M("linked.txt")}");
        string[] expected = { "appended.txt", "truncated.txt", "overwritten.txt", "punched.bin", "created.txt", "linked.txt" };
        string[] Dirty() => change.Changed.Select(l => l.Split('"')[1]).ToArray();
        string[] seen = WaitFor(Dirty, d => d.Length >= expected.Length);
        Assert.Equal(expected.Select(n => volume + "/" + n).Order(), seen.Order());
        // Each file is reported once: a second write to a dirty file adds nothing, nor does a write through the other
        // name of the hard-linked file (one file context for both names). Post-ops run before a write's reply, so what
        // these writes reported is there when the program returns.
        ShOk($"echo again >> {M("appended.txt")}; echo via-alias >> {M("alias.txt")}");
        Assert.Equal(expected.Length, change.Changed.Length);
        Assert.Contains(change.Changed, l => l.Contains("(id ") && l.EndsWith("is now dirty", StringComparison.Ordinal));
    }
}
