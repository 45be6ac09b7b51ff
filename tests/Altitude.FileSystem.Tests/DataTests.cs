// Open, Read, Write, Sync, Allocate, Close, StatFs.
using System.Text;

namespace Altitude.FileSystem.Tests;

public class DataTests : LoopbackTestBase
{
    [Fact]
    public void ReadAndWriteAtOffsets()
    {
        File.WriteAllText(InBacking("f"), "0123456789");
        ulong f = NodeOf("f");
        Ok(Fs.Open(f, ORdWr, out int fd));
        Assert.True(fd >= 0);
        Ok(Fs.Write(fd, "ab"u8, 4, out int n));
        Assert.Equal(2, n);
        byte[] buf = new byte[32];
        Ok(Fs.Read(fd, buf, 3, out n));
        Assert.Equal("3ab6789", Encoding.ASCII.GetString(buf, 0, n));
        Ok(Fs.Read(fd, buf, 10, out n));
        Assert.Equal(0, n);
        Ok(Fs.Sync(fd, dataOnly: true));
        Ok(Fs.Sync(fd, dataOnly: false));
        Ok(Fs.Close(fd));
        Assert.Equal("0123ab6789", File.ReadAllText(InBacking("f")));
        Assert.Equal(Errno.EBADF, Fs.Close(fd));
    }

    [Fact]
    public void OffsetMinusOneUsesThePositionOrAppends()
    {
        File.WriteAllText(InBacking("f"), "start");
        ulong f = NodeOf("f");
        Ok(Fs.Open(f, OWrOnly | OAppend, out int fd));
        Ok(Fs.Write(fd, "+end"u8, -1, out int n));
        Assert.Equal(4, n);
        Ok(Fs.Close(fd));
        Assert.Equal("start+end", File.ReadAllText(InBacking("f")));

        Ok(Fs.Open(f, ORdOnly, out fd));
        byte[] buf = new byte[3];
        Ok(Fs.Read(fd, buf, -1, out n));
        Assert.Equal("sta", Encoding.ASCII.GetString(buf, 0, n));
        Ok(Fs.Read(fd, buf, -1, out n));
        Assert.Equal("rt+", Encoding.ASCII.GetString(buf, 0, n));
        Ok(Fs.Close(fd));
    }

    [Fact]
    public void OpenHonoursFlagsAndStripsCreate()
    {
        File.WriteAllText(InBacking("f"), "content");
        ulong f = NodeOf("f");
        Ok(Fs.Open(f, OWrOnly | OTrunc | OExcl | 0x40 /* O_CREAT */, out int fd));
        Ok(Fs.Close(fd));
        Assert.Equal(0, new FileInfo(InBacking("f")).Length);
        Ok(Fs.Open(f, ORdOnly, out fd));
        Assert.Equal(Errno.EBADF, Fs.Write(fd, "x"u8, 0, out _));
        Ok(Fs.Close(fd));
        Ok(Fs.Open(Root, ORdOnly | 0x10000 /* O_DIRECTORY */, out fd));
        Ok(Fs.Close(fd));
        Assert.Equal(Errno.EISDIR, Fs.Open(Root, ORdWr, out _));
    }

    [Fact]
    public void OpenOfASymlinkNodeIsELOOP()
    {
        File.WriteAllText(InBacking("f"), "x");
        File.CreateSymbolicLink(InBacking("l"), "f");
        Assert.Equal(Errno.ELOOP, Fs.Open(NodeOf("l"), ORdOnly, out int fd));
        Assert.Equal(-1, fd);
    }

    [Fact]
    public void AllocateExtendsTheFile()
    {
        Ok(Fs.Create(Root, B("f"), ORdWr, 0x1A4, uint.MaxValue, uint.MaxValue, out ulong f, out _, out _, out int fd));
        Ok(Fs.Allocate(fd, 0, 0, 1 << 20));
        Ok(Fs.Close(fd));
        Assert.Equal(1 << 20, new FileInfo(InBacking("f")).Length);
        Ok(Fs.GetAttributes(f, out FileAttributes attr));
        Assert.True(attr.Blocks >= (1 << 20) / 512);
    }

    [Fact]
    public void StatFsMatchesTheBackingFileSystem()
    {
        Directory.CreateDirectory(InBacking("d"));
        Ok(Fs.StatFs(Root, out FileSystemStatistics root));
        Ok(Fs.StatFs(NodeOf("d"), out FileSystemStatistics sub));
        Assert.Equal(root.Type, sub.Type);
        Assert.Equal(root.Blocks, sub.Blocks);
        Assert.True(root.BlockSize > 0);
        Assert.True(root.Blocks >= root.BlocksFree);
        Assert.True(root.BlocksFree >= root.BlocksAvailable);
        Assert.Equal(255, root.MaxNameLength);
        var drive = new DriveInfo(Backing);
        Assert.Equal(drive.TotalSize, (long)root.Blocks * root.FragmentSize);
    }
}
