// The notifier's queue without a mount: what reaches the writer, in which order, merged how, and what a full ring
// becomes. The writer is held on a gate so the queue fills deterministically (no sleeps).
using Altitude.Fuse.Bridge;

namespace Altitude.Fuse.Tests;

public sealed class KernelCacheNotifierTests : IDisposable
{
    private readonly List<string> seen = new();
    private readonly ManualResetEventSlim entered = new(false), release = new(true);
    private readonly KernelCacheNotifier notifier;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    public KernelCacheNotifierTests()
    {
        notifier = new KernelCacheNotifier((in KernelCacheNotifier.Work w) =>
        {
            string what = w.Kind switch
            {
                KernelCacheNotifier.Kind.Inode => $"inode {w.Node} {w.Offset}+{w.Length}",
                KernelCacheNotifier.Kind.Everything => $"everything {w.Names} {w.Pages}",
                _ => $"{w.Kind} {w.Parent} {System.Text.Encoding.UTF8.GetString(w.Name)} {w.Node}",
            };
            lock (seen) seen.Add(what);
            entered.Set();
            release.Wait();
            return 0;
        });
    }

    public void Dispose()
    {
        release.Set();
        notifier.Stop();
    }

    private string[] Seen() { lock (seen) return seen.ToArray(); }

    /// <summary>Holds the writer inside its first item, so what is queued next stays queued.</summary>
    private void HoldWriterOnFirstItem()
    {
        release.Reset();
        notifier.EnqueueInode(99, -1, 0);
        Assert.True(entered.Wait(Wait));
    }

    [Fact]
    public void ConsecutiveInodeNotificationsOfOneNodeMergeIntoOneRange()
    {
        HoldWriterOnFirstItem();
        notifier.EnqueueInode(7, 100, 10);
        notifier.EnqueueInode(7, -1, 0);       // attributes only: already covered
        notifier.EnqueueInode(7, 50, 20);
        notifier.EnqueueInode(8, 0, 0);
        notifier.EnqueueInode(7, 4096, 0);     // another node came between: a new item
        release.Set();
        Assert.True(notifier.WaitForIdle(Wait));
        Assert.Equal(new[] { "inode 99 -1+0", "inode 7 50+60", "inode 8 0+0", "inode 7 4096+0" }, Seen());
    }

    [Fact]
    public void ARepeatedNameIsQueuedOnce()
    {
        HoldWriterOnFirstItem();
        notifier.EnqueueName(KernelCacheNotifier.Kind.Entry, 1, "a"u8, 0);
        notifier.EnqueueName(KernelCacheNotifier.Kind.Entry, 1, "a"u8, 0);
        notifier.EnqueueName(KernelCacheNotifier.Kind.Delete, 1, "a"u8, 5);
        release.Set();
        Assert.True(notifier.WaitForIdle(Wait));
        Assert.Equal(new[] { "inode 99 -1+0", "Entry 1 a 0", "Delete 1 a 5" }, Seen());
    }

    [Fact]
    public void AFullRingBecomesOneInvalidateEverythingAndLaterItemsFollowIt()
    {
        HoldWriterOnFirstItem();
        for (int i = 0; i < 1100; i++) notifier.EnqueueName(KernelCacheNotifier.Kind.Entry, 1, System.Text.Encoding.UTF8.GetBytes($"n{i}"), 0);
        Assert.Equal(1, notifier.Overflows);
        release.Set();
        Assert.True(notifier.WaitForIdle(Wait));
        string[] s = Seen();
        Assert.Equal("inode 99 -1+0", s[0]);
        Assert.Equal("everything True True", s[1]);   // stands for items n0 .. n1023, and the one that did not fit
        Assert.Equal(Enumerable.Range(1025, 75).Select(i => $"Entry 1 n{i} 0"), s[2..]);
    }

    [Fact]
    public void WaitForReturnsOnlyOnceTheNotificationWasWritten()
    {
        HoldWriterOnFirstItem();
        long seq = notifier.EnqueueInode(3, -1, 0);
        Assert.False(notifier.WaitFor(seq, TimeSpan.Zero));   // held: not written yet
        release.Set();
        Assert.True(notifier.WaitFor(seq, Wait));
        Assert.Contains("inode 3 -1+0", Seen());
    }
}
