// Race: another thread keeps exchanging a directory and a symlink pointing outside (renameat2 EXCHANGE) while
// LookupPath/Lookup/Create go through that name; nothing may ever be opened or created outside the backing tree.
using System.Text;
using Altitude.FileSystem.Interop;

namespace Altitude.FileSystem.Tests;

public class EscapeRaceTests : LoopbackTestBase
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public unsafe void SwappingDirectoryAndSymlinkNeverEscapes(bool absoluteLink)
    {
        // outside/ holds a bait file "x" which the real directory "d" lacks, so opening d/x can only succeed by escaping.
        string sentinel = Path.Combine(Outside, "x");
        File.WriteAllText(sentinel, "bait");
        Directory.CreateDirectory(InBacking("d"));
        File.CreateSymbolicLink(InBacking("s"), absoluteLink ? Outside : "../outside");

        using var stop = new CancellationTokenSource();
        long swaps = 0;
        Errno swapError = Errno.Success;
        var swapper = new Thread(() =>
        {
            byte[] dir = Encoding.UTF8.GetBytes(Backing + "/d\0");
            byte[] link = Encoding.UTF8.GetBytes(Backing + "/s\0");
            fixed (byte* d = dir)
            fixed (byte* s = link)
            {
                while (!stop.IsCancellationRequested)
                {
                    Errno e = Libc.RenameAt2(Libc.AT_FDCWD, d, Libc.AT_FDCWD, s, Libc.RENAME_EXCHANGE);
                    if (e != Errno.Success)
                    {
                        swapError = e;
                        return;
                    }
                    swaps++;
                }
            }
        });
        swapper.Start();

        int escapes = 0, created = 0, createdThroughSymlink = 0;
        var unexpected = new List<string>();
        byte[] dx = B("d/x");
        byte[] dNew = B("d/new");
        byte[] x = B("x");
        try
        {
            for (int i = 0; i < 3000; i++)
            {
                Errno e = Fs.LookupPath(dx, out ulong node, out _, out _);
                if (e == Errno.Success)
                {
                    escapes++;
                    Fs.Forget(node, 1);
                }
                else if (e is not (Errno.ENOENT or Errno.EXDEV or Errno.ENOTDIR or Errno.EAGAIN))
                {
                    unexpected.Add("LookupPath " + e);
                }

                e = Fs.LookupPath(B("d"), out ulong d, out _, out FileAttributes dattr);
                if (e != Errno.Success)
                {
                    unexpected.Add("LookupPath d " + e);
                    continue;
                }
                if (Fs.Lookup(d, x, out ulong xn, out _, out _) == Errno.Success)
                {
                    escapes++;
                    Fs.Forget(xn, 1);
                }
                byte[] name = B("f" + i);
                e = Fs.Create(d, name, OWrOnly, 0x1A4, uint.MaxValue, uint.MaxValue, out ulong fnode, out _, out _, out int fd);
                if (e == Errno.Success)
                {
                    created++;
                    if (!dattr.IsDirectory)
                        createdThroughSymlink++;
                    Fs.Close(fd);
                    Fs.Forget(fnode, 1);
                }
                else if (e != Errno.ENOTDIR)
                {
                    unexpected.Add("Create " + e);
                }
                e = Fs.MakeDirectory(d, B("m" + i), 0x1ED, uint.MaxValue, uint.MaxValue, out ulong m, out _, out _);
                if (e == Errno.Success)
                    Fs.Forget(m, 1);
                else if (e != Errno.ENOTDIR)
                    unexpected.Add("MakeDirectory " + e);
                Fs.Forget(d, 1);
                // Through the path: only ever below the real directory.
                if (Fs.LookupPath(dNew, out ulong pn, out _, out _) == Errno.Success)
                    Fs.Forget(pn, 1);
            }
        }
        finally
        {
            stop.Cancel();
            swapper.Join();
        }

        Assert.Equal(Errno.Success, swapError);
        Assert.True(swaps > 100, $"the swapper made only {swaps} swaps");
        Assert.Empty(unexpected);
        Assert.Equal(0, escapes);
        Assert.Equal(0, createdThroughSymlink);
        Assert.True(created > 0, "no Create went through the real directory; the race test exercised nothing");
        // The sentinel directory outside still holds only the bait, unchanged.
        Assert.Equal([sentinel], Directory.GetFileSystemEntries(Outside));
        Assert.Equal("bait", File.ReadAllText(sentinel));
        Assert.Equal(new[] { "backing", "outside" }, Directory.GetFileSystemEntries(Top).Select(Path.GetFileName).Order());
        // Every successful Create landed in the real directory, whichever name it has now.
        string realDir = new DirectoryInfo(InBacking("d")).LinkTarget is null ? InBacking("d") : InBacking("s");
        Assert.Equal(created, Directory.GetFiles(realDir, "f*").Length);
        Assert.Equal(1, Fs.NodeCount);
    }
}
