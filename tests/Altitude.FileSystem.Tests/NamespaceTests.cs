// Create, MakeDirectory, MakeNode, symlinks, hard links, Unlink, RemoveDirectory, Rename, ReadLink.
using System.Text;
using Altitude.FileSystem.Interop;

namespace Altitude.FileSystem.Tests;

public class NamespaceTests : LoopbackTestBase
{
    [Fact]
    public void CreateMakesAFileAndReturnsAWritableFd()
    {
        Ok(Fs.Create(Root, B("new"), ORdWr, 0b110_000_000, uint.MaxValue, uint.MaxValue, out ulong node, out ulong gen, out FileAttributes attr, out int fd));
        Assert.NotEqual(0UL, gen);
        Assert.True(attr.IsRegularFile);
        Assert.Equal(0x8000u | 0b110_000_000u, attr.Mode);
        Ok(Fs.Write(fd, "abc"u8, 0, out int n));
        Assert.Equal(3, n);
        Ok(Fs.Close(fd));
        Assert.Equal("abc", File.ReadAllText(InBacking("new")));
        Ok(Fs.Lookup(Root, B("new"), out ulong again, out _, out _));
        Assert.Equal(node, again);
        Assert.Equal(2UL, Fs.LookupCount(node));
    }

    [Fact]
    public void CreateExclusiveOnExistingIsEEXISTAndPlainCreateOpensIt()
    {
        File.WriteAllText(InBacking("f"), "old");
        Assert.Equal(Errno.EEXIST, Fs.Create(Root, B("f"), OWrOnly | OExcl, 0x1A4, uint.MaxValue, uint.MaxValue, out _, out _, out _, out int fd));
        Assert.Equal(-1, fd);
        Ok(Fs.Create(Root, B("f"), ORdOnly, 0x1A4, uint.MaxValue, uint.MaxValue, out _, out _, out FileAttributes attr, out fd));
        Assert.Equal(3, attr.Size);
        Ok(Fs.Close(fd));
        Assert.Equal("old", File.ReadAllText(InBacking("f")));
    }

    [Fact]
    public void CreateDoesNotFollowASymlinkOutOfTheTree()
    {
        File.CreateSymbolicLink(InBacking("trap"), Path.Combine(Outside, "victim"));
        Assert.Equal(Errno.ELOOP, Fs.Create(Root, B("trap"), OWrOnly, 0x1A4, uint.MaxValue, uint.MaxValue, out _, out _, out _, out _));
        Assert.Empty(Directory.GetFileSystemEntries(Outside));
    }

    [RootFact]
    public void CreateFamilyChownsWhenRoot()
    {
        RootRequirement.Assert();
        Ok(Fs.Create(Root, B("f"), OWrOnly, 0x1A4, 1001, 2002, out _, out _, out FileAttributes fa, out int fd));
        Ok(Fs.Close(fd));
        Assert.Equal((1001u, 2002u), (fa.Uid, fa.Gid));
        Ok(RawStat(B(InBacking("f")), out Libc.Statx st));
        Assert.Equal((1001u, 2002u), (st.Uid, st.Gid));
        Ok(Fs.MakeDirectory(Root, B("d"), 0x1ED, 1003, uint.MaxValue, out _, out _, out FileAttributes da));
        Assert.Equal((1003u, 0u), (da.Uid, da.Gid));
        Ok(Fs.CreateSymbolicLink(Root, B("l"), B("f"), 1004, 2004, out _, out _, out FileAttributes la));
        Ok(RawStat(B(InBacking("l")), out st));
        Assert.Equal((1004u, 2004u), (st.Uid, st.Gid));
        Assert.Equal((1004u, 2004u), (la.Uid, la.Gid));
        Ok(RawStat(B(InBacking("f")), out st));
        Assert.Equal(1001u, st.Uid);
        Ok(Fs.MakeNode(Root, B("p"), Libc.S_IFIFO | 0x1A4, 0, 1005, 2005, out _, out _, out FileAttributes pa));
        Assert.Equal((1005u, 2005u), (pa.Uid, pa.Gid));
    }

    [Fact]
    public void MakeDirectoryAndRemoveDirectory()
    {
        Ok(Fs.MakeDirectory(Root, B("d"), 0b111_101_000, uint.MaxValue, uint.MaxValue, out ulong d, out _, out FileAttributes attr));
        Assert.True(Directory.Exists(InBacking("d")));
        Assert.True(attr.IsDirectory);
        Ok(Fs.MakeDirectory(d, B("inner"), 0x1ED, uint.MaxValue, uint.MaxValue, out _, out _, out _));
        Assert.True(Directory.Exists(InBacking("d/inner")));
        Assert.Equal(Errno.EEXIST, Fs.MakeDirectory(Root, B("d"), 0x1ED, uint.MaxValue, uint.MaxValue, out _, out _, out _));
        Assert.Equal(Errno.ENOTEMPTY, Fs.RemoveDirectory(Root, B("d")));
        Ok(Fs.RemoveDirectory(d, B("inner")));
        Ok(Fs.RemoveDirectory(Root, B("d")));
        Assert.False(Directory.Exists(InBacking("d")));
        Assert.Equal(Errno.ENOENT, Fs.RemoveDirectory(Root, B("d")));
    }

    [Fact]
    public void MakeNodeCreatesAFifo()
    {
        Ok(Fs.MakeNode(Root, B("fifo"), Libc.S_IFIFO | 0x1A4, 0, uint.MaxValue, uint.MaxValue, out _, out _, out FileAttributes attr));
        Assert.Equal(Libc.S_IFIFO, attr.FileType);
        Ok(RawStat(B(InBacking("fifo")), out Libc.Statx st));
        Assert.Equal(Libc.S_IFIFO, st.Mode & Libc.S_IFMT);
    }

    [RootFact]
    public void MakeNodeCreatesACharacterDevice()
    {
        RootRequirement.Assert();
        ulong rdev = Libc.MakeDev(1, 3);
        Ok(Fs.MakeNode(Root, B("null"), Libc.S_IFCHR | 0x1B6, rdev, uint.MaxValue, uint.MaxValue, out _, out _, out FileAttributes attr));
        Assert.Equal(Libc.S_IFCHR, attr.FileType);
        Assert.Equal(rdev, attr.RDev);
        Ok(RawStat(B(InBacking("null")), out Libc.Statx st));
        Assert.Equal((1u, 3u), (st.RdevMajor, st.RdevMinor));
    }

    [Fact]
    public void SymbolicLinkAndReadLink()
    {
        byte[] target = [(byte)'.', (byte)'.', (byte)'/', 0xC3, 0x28, (byte)'x'];
        Ok(Fs.CreateSymbolicLink(Root, B("l"), target, uint.MaxValue, uint.MaxValue, out ulong l, out _, out FileAttributes attr));
        Assert.True(attr.IsSymbolicLink);
        Assert.Equal(target.Length, attr.Size);
        byte[] buffer = new byte[4096];
        Ok(Fs.ReadLink(l, buffer, out int length));
        Assert.Equal(target, buffer[..length]);
        Assert.Equal(Errno.ERANGE, Fs.ReadLink(l, new byte[3], out _));
        Assert.Equal(Errno.EINVAL, Fs.ReadLink(Root, buffer, out _));
        File.CreateSymbolicLink(InBacking("l2"), "plain/target");
        Ok(Fs.ReadLink(NodeOf("l2"), buffer, out length));
        Assert.Equal("plain/target", Encoding.UTF8.GetString(buffer, 0, length));
        Assert.Equal("plain/target", new FileInfo(InBacking("l2")).LinkTarget);
    }

    [Fact]
    public void HardLinkThenUnlinkOneName()
    {
        File.WriteAllText(InBacking("a"), "same");
        Directory.CreateDirectory(InBacking("d"));
        ulong a = NodeOf("a");
        Ok(Fs.CreateHardLink(a, NodeOf("d"), B("b"), out _, out FileAttributes attr));
        Assert.Equal(2u, attr.LinkCount);
        Assert.Equal("same", File.ReadAllText(InBacking("d/b")));
        Assert.Equal(Errno.EEXIST, Fs.CreateHardLink(a, Root, B("a"), out _, out _));
        Assert.Equal(Errno.EPERM, Fs.CreateHardLink(NodeOf("d"), Root, B("dirlink"), out _, out _));
        Ok(Fs.Unlink(Root, B("a")));
        Assert.False(File.Exists(InBacking("a")));
        Ok(Fs.GetAttributes(a, out attr));
        Assert.Equal(1u, attr.LinkCount);
        Assert.Equal(Errno.EISDIR, Fs.Unlink(Root, B("d")));
        Assert.Equal(Errno.ENOENT, Fs.Unlink(Root, B("a")));
    }

    [Fact]
    public void RenamePlainNoReplaceAndExchange()
    {
        File.WriteAllText(InBacking("a"), "A");
        File.WriteAllText(InBacking("b"), "B");
        Directory.CreateDirectory(InBacking("d"));
        ulong d = NodeOf("d");

        Assert.Equal(Errno.EEXIST, Fs.Rename(Root, B("a"), Root, B("b"), LoopbackFileSystem.RenameNoReplace));
        Assert.Equal("A", File.ReadAllText(InBacking("a")));
        Assert.Equal("B", File.ReadAllText(InBacking("b")));

        Ok(Fs.Rename(Root, B("a"), Root, B("b"), LoopbackFileSystem.RenameExchange));
        Assert.Equal("B", File.ReadAllText(InBacking("a")));
        Assert.Equal("A", File.ReadAllText(InBacking("b")));

        Ok(Fs.Rename(Root, B("a"), d, B("moved"), LoopbackFileSystem.RenameNoReplace));
        Assert.False(File.Exists(InBacking("a")));
        Assert.Equal("B", File.ReadAllText(InBacking("d/moved")));

        Ok(Fs.Rename(d, B("moved"), Root, B("b"), 0));
        Assert.Equal("B", File.ReadAllText(InBacking("b")));
        Assert.Equal(Errno.ENOENT, Fs.Rename(Root, B("a"), Root, B("c"), LoopbackFileSystem.RenameExchange));
        Assert.Equal(Errno.EINVAL, Fs.Rename(Root, B("b"), Root, B(".."), 0));
    }

    [Fact]
    public void NodesFollowRenames()
    {
        File.WriteAllText(InBacking("a"), "A");
        ulong a = NodeOf("a");
        Ok(Fs.Rename(Root, B("a"), Root, B("z"), 0));
        Ok(Fs.Lookup(Root, B("z"), out ulong z, out _, out _));
        Assert.Equal(a, z);
        Ok(Fs.Open(a, ORdOnly, out int fd));
        byte[] buf = new byte[4];
        Ok(Fs.Read(fd, buf, 0, out int n));
        Ok(Fs.Close(fd));
        Assert.Equal("A", Encoding.ASCII.GetString(buf, 0, n));
    }
}
