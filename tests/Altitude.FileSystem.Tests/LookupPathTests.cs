// LookupPath: multi-component resolution beneath the root, and the escapes it must refuse.
namespace Altitude.FileSystem.Tests;

public class LookupPathTests : LoopbackTestBase
{
    public LookupPathTests()
    {
        Directory.CreateDirectory(InBacking("a/b/c"));
        File.WriteAllText(InBacking("a/b/c/file"), "deep");
        File.WriteAllText(Path.Combine(Outside, "x"), "secret");
        File.WriteAllText(Path.Combine(Top, "x"), "secret");
    }

    [Fact]
    public void ResolvesNestedPaths()
    {
        Ok(Fs.LookupPath(B("a/b/c/file"), out ulong node, out _, out FileAttributes attr));
        Assert.Equal(4, attr.Size);
        Ok(Fs.Lookup(NodeOf("a/b/c"), B("file"), out ulong same, out _, out _));
        Assert.Equal(node, same);
    }

    [Fact]
    public void DotDotInsideTheTreeIsAllowed()
    {
        Ok(Fs.LookupPath(B("a/b/../b/c/file"), out ulong node, out _, out _));
        Assert.Equal(NodeOf("a/b/c/file"), node);
        Ok(Fs.LookupPath(B("a/.."), out ulong root, out _, out _));
        Assert.Equal(Root, root);
    }

    [Fact]
    public void FinalSymlinkIsNotFollowedButIntermediateOnesAre()
    {
        File.CreateSymbolicLink(InBacking("toB"), "a/b");
        Ok(Fs.LookupPath(B("toB"), out _, out _, out FileAttributes link));
        Assert.True(link.IsSymbolicLink);
        Ok(Fs.LookupPath(B("toB/c/file"), out ulong file, out _, out _));
        Assert.Equal(NodeOf("a/b/c/file"), file);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("..")]
    [InlineData("a/../../x")]
    [InlineData("a/b/c/../../../../outside/x")]
    [InlineData("/etc")]
    [InlineData("/etc/passwd")]
    public void EscapesFailWithEXDEV(string path)
    {
        Assert.Equal(Errno.EXDEV, Fs.LookupPath(B(path), out ulong node, out _, out _));
        Assert.Equal(0UL, node);
        Assert.Equal(1, Fs.NodeCount);
    }

    [Fact]
    public void AbsoluteSymlinkToEtcFails()
    {
        File.CreateSymbolicLink(InBacking("etc"), "/etc");
        Assert.Equal(Errno.EXDEV, Fs.LookupPath(B("etc/passwd"), out _, out _, out _));
        Assert.Equal(Errno.EXDEV, Fs.LookupPath(B("etc/"), out _, out _, out _));
        // Lookup of the link itself is fine (it is a node of the tree), but it cannot be walked into.
        Ok(Fs.Lookup(Root, B("etc"), out ulong link, out _, out FileAttributes attr));
        Assert.True(attr.IsSymbolicLink);
        Assert.Equal(Errno.ENOTDIR, Fs.Lookup(link, B("passwd"), out _, out _, out _));
        Assert.Equal(Errno.ELOOP, Fs.Open(link, ORdOnly, out _));
    }

    [Fact]
    public void AbsoluteSymlinkToOutsideFails()
    {
        File.CreateSymbolicLink(InBacking("out"), Outside);
        Assert.Equal(Errno.EXDEV, Fs.LookupPath(B("out/x"), out _, out _, out _));
    }

    [Fact]
    public void RelativeSymlinkClimbingOutFails()
    {
        File.CreateSymbolicLink(InBacking("a/b/up"), "../../../outside");
        File.CreateSymbolicLink(InBacking("up2"), "a/../../x");
        Assert.Equal(Errno.EXDEV, Fs.LookupPath(B("a/b/up/x"), out _, out _, out _));
        Assert.Equal(Errno.EXDEV, Fs.LookupPath(B("a/b/up/"), out _, out _, out _));
        Assert.Equal(Errno.EXDEV, Fs.LookupPath(B("up2/"), out _, out _, out _));
    }

    [Fact]
    public void MagicLinksAreRefused()
    {
        File.CreateSymbolicLink(InBacking("proc"), "/proc/self/root");
        Assert.Equal(Errno.EXDEV, Fs.LookupPath(B("proc/etc"), out _, out _, out _));
    }

    [Fact]
    public void MissingAndTooLongPaths()
    {
        Assert.Equal(Errno.ENOENT, Fs.LookupPath(B("a/missing"), out _, out _, out _));
        Assert.Equal(Errno.ENAMETOOLONG, Fs.LookupPath(new byte[4096], out _, out _, out _));
        Assert.Equal(Errno.EINVAL, Fs.LookupPath(B("a\0b"), out _, out _, out _));
    }
}
