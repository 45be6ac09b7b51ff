// Lookup, LookupPath, Forget, GetAttributes and the node table (hard links, generations, lookup counts).
using Altitude.FileSystem.Interop;

namespace Altitude.FileSystem.Tests;

public class LookupTests : LoopbackTestBase
{
    [Fact]
    public void LookupReportsWhatTheBackingDirectoryHas()
    {
        File.WriteAllBytes(InBacking("f"), new byte[1234]);
        File.SetUnixFileMode(InBacking("f"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        Directory.CreateDirectory(InBacking("d"));
        File.CreateSymbolicLink(InBacking("l"), "f");

        Ok(Fs.Lookup(Root, B("f"), out ulong f, out ulong gen, out FileAttributes fa));
        Assert.NotEqual(Root, f);
        Assert.NotEqual(0UL, gen);
        Assert.True(fa.IsRegularFile);
        Assert.Equal(1234, fa.Size);
        Assert.Equal(0x8000u | 0b110_100_000u, fa.Mode);
        Assert.Equal(1u, fa.LinkCount);
        Assert.Equal(new DateTimeOffset(File.GetLastWriteTimeUtc(InBacking("f"))), fa.ModificationTime.ToDateTimeOffset());
        Ok(RawStat(B(InBacking("f")), out Libc.Statx st));
        Assert.Equal(st.Ino, fa.Inode);
        Assert.Equal(Libc.MakeDev(st.DevMajor, st.DevMinor), fa.Device);

        Ok(Fs.Lookup(Root, B("d"), out ulong d, out _, out FileAttributes da));
        Assert.True(da.IsDirectory);
        Ok(Fs.Lookup(Root, B("l"), out ulong l, out _, out FileAttributes la));
        Assert.True(la.IsSymbolicLink);
        Assert.Equal(1, la.Size);
        Assert.Equal(4, Fs.NodeCount);
        Assert.NotEqual(d, l);
    }

    [Fact]
    public void LookupOfMissingNameIsENOENT() =>
        Assert.Equal(Errno.ENOENT, Fs.Lookup(Root, B("missing"), out _, out _, out _));

    [Theory]
    [InlineData("..", Errno.EINVAL)]
    [InlineData(".", Errno.EINVAL)]
    [InlineData("a/b", Errno.EINVAL)]
    [InlineData("/etc", Errno.EINVAL)]
    [InlineData("etc/", Errno.EINVAL)]
    [InlineData("", Errno.ENOENT)]
    public void LookupRejectsNamesThatAreNotOneComponent(string name, Errno expected)
    {
        Directory.CreateDirectory(InBacking("a/b"));
        Assert.Equal(expected, Fs.Lookup(Root, B(name), out ulong node, out _, out _));
        Assert.Equal(0UL, node);
        Assert.Equal(1, Fs.NodeCount);
    }

    [Fact]
    public void LookupOfTooLongNameIsENAMETOOLONG() =>
        Assert.Equal(Errno.ENAMETOOLONG, Fs.Lookup(Root, B(new string('x', 256)), out _, out _, out _));

    [Fact]
    public void LookupInANonDirectoryIsENOTDIR()
    {
        File.WriteAllText(InBacking("f"), "x");
        ulong f = NodeOf("f");
        Assert.Equal(Errno.ENOTDIR, Fs.Lookup(f, B("x"), out _, out _, out _));
    }

    [Fact]
    public void UnknownNodeIdsAreESTALE()
    {
        Assert.Equal(Errno.ESTALE, Fs.GetAttributes(0, out _));
        Assert.Equal(Errno.ESTALE, Fs.GetAttributes(999_999, out _));
        Assert.Equal(Errno.ESTALE, Fs.Lookup(12345, B("x"), out _, out _, out _));
        File.WriteAllText(InBacking("f"), "x");
        ulong f = NodeOf("f");
        Fs.Forget(f, 1);
        Assert.Equal(Errno.ESTALE, Fs.GetAttributes(f, out _));
    }

    [Fact]
    public void LookupCountsAndForget()
    {
        File.WriteAllText(InBacking("f"), "x");
        Ok(Fs.Lookup(Root, B("f"), out ulong a, out ulong ga, out _));
        Ok(Fs.Lookup(Root, B("f"), out ulong b, out ulong gb, out _));
        Ok(Fs.LookupPath(B("f"), out ulong c, out _, out _));
        Assert.Equal(a, b);
        Assert.Equal(a, c);
        Assert.Equal(ga, gb);
        Assert.Equal(3UL, Fs.LookupCount(a));
        Assert.Equal(2, Fs.NodeCount);
        Fs.Forget(a, 2);
        Assert.Equal(1UL, Fs.LookupCount(a));
        Ok(Fs.GetAttributes(a, out _));
        Fs.Forget(a, 1);
        Assert.Equal(1, Fs.NodeCount);
        Assert.Equal(0UL, Fs.LookupCount(a));
    }

    [Fact]
    public void RootIsNeverForgotten()
    {
        Fs.Forget(Root, 1000);
        Ok(Fs.GetAttributes(Root, out FileAttributes attr));
        Assert.True(attr.IsDirectory);
        Ok(Fs.LookupPath(""u8, out ulong r, out _, out _));
        Assert.Equal(Root, r);
        Ok(Fs.LookupPath("."u8, out r, out _, out _));
        Assert.Equal(Root, r);
    }

    [Fact]
    public void HardLinksResolveToOneNode()
    {
        File.WriteAllText(InBacking("a"), "data");
        ulong a = NodeOf("a");
        Ok(Fs.CreateHardLink(a, Root, B("b"), out _, out FileAttributes linkAttr));
        Assert.Equal(2u, linkAttr.LinkCount);
        Ok(Fs.Lookup(Root, B("b"), out ulong b, out _, out FileAttributes battr));
        Assert.Equal(a, b);
        Assert.Equal(3UL, Fs.LookupCount(a));
        Assert.Equal("data", File.ReadAllText(InBacking("b")));
        Ok(RawStat(B(InBacking("b")), out Libc.Statx st));
        Assert.Equal(st.Ino, battr.Inode);

        // A link made behind our back also resolves to the same node.
        Directory.CreateDirectory(InBacking("sub"));
        unsafe
        {
            byte[] from = B(InBacking("a") + "\0");
            byte[] to = B(InBacking("sub/c") + "\0");
            fixed (byte* f = from)
            fixed (byte* t = to)
                Ok(Libc.LinkAt(Libc.AT_FDCWD, f, Libc.AT_FDCWD, t, 0));
        }
        Ok(Fs.LookupPath(B("sub/c"), out ulong c, out _, out _));
        Assert.Equal(a, c);
    }

    [Fact]
    public void GenerationIsBumpedWhenASlotIsReused()
    {
        File.WriteAllText(InBacking("one"), "1");
        File.WriteAllText(InBacking("two"), "2");
        Ok(Fs.Lookup(Root, B("one"), out ulong first, out ulong gen1, out FileAttributes a1));
        Fs.Forget(first, 1);
        Ok(Fs.Lookup(Root, B("two"), out ulong second, out ulong gen2, out FileAttributes a2));
        Assert.Equal(first, second);
        Assert.Equal(gen1 + 1, gen2);
        Assert.NotEqual(a1.Inode, a2.Inode);
        Ok(Fs.GetAttributes(second, out FileAttributes now));
        Assert.Equal(a2.Inode, now.Inode);
    }

    [Fact]
    public void NodeIdsAreSmallSlabIndexes()
    {
        for (int i = 0; i < 100; i++)
            File.WriteAllText(InBacking("f" + i), "");
        var ids = new HashSet<ulong>();
        for (int i = 0; i < 100; i++)
        {
            Ok(Fs.Lookup(Root, B("f" + i), out ulong id, out _, out _));
            ids.Add(id);
        }
        Assert.Equal(100, ids.Count);
        Assert.All(ids, id => Assert.InRange(id, 2UL, 101UL));
    }

    [Fact]
    public void NonUtf8NamesWork()
    {
        byte[] name = [0x66, 0xFF, 0xFE, 0x80, 0x2E, 0x62];
        Ok(Fs.Create(Root, name, OWrOnly, 0x1A4, uint.MaxValue, uint.MaxValue, out ulong node, out _, out _, out int fd));
        Ok(Fs.Write(fd, "hello"u8, 0, out int written));
        Assert.Equal(5, written);
        Ok(Fs.Close(fd));
        Ok(RawStat(RawBackingPath(name), out Libc.Statx st));
        Assert.Equal(5UL, st.Size);
        Ok(Fs.Lookup(Root, name, out ulong again, out _, out _));
        Assert.Equal(node, again);
        Ok(Fs.LookupPath(name, out again, out _, out _));
        Assert.Equal(node, again);
        Ok(Fs.Unlink(Root, name));
        Assert.Equal(Errno.ENOENT, RawStat(RawBackingPath(name), out _));
    }

    [Fact]
    public void ConcurrentLookupAndForgetLeaveNoNodesBehind()
    {
        for (int i = 0; i < 8; i++)
            File.WriteAllText(InBacking("f" + i), "");
        var threads = new Thread[4];
        int failures = 0;
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() =>
            {
                byte[][] names = Enumerable.Range(0, 8).Select(i => B("f" + i)).ToArray();
                for (int i = 0; i < 5000; i++)
                {
                    byte[] n = names[i % 8];
                    if (Fs.Lookup(Root, n, out ulong id, out _, out _) != Errno.Success ||
                        Fs.GetAttributes(id, out _) != Errno.Success)
                        Interlocked.Increment(ref failures);
                    Fs.Forget(id, 1);
                }
            });
            threads[t].Start();
        }
        foreach (Thread t in threads)
            t.Join();
        Assert.Equal(0, failures);
        Assert.Equal(1, Fs.NodeCount);
    }
}
