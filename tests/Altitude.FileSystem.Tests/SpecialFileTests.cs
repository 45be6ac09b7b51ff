// Special files are never opened below: a FIFO without a writer would block the calling thread in open(2).
namespace Altitude.FileSystem.Tests;

public class SpecialFileTests : LoopbackTestBase
{
    [Fact]
    public void OpeningAFifoGivesEnxioInsteadOfBlocking()
    {
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [InBacking("fifo")])!)
        {
            Assert.True(mkfifo.WaitForExit(60_000));
            Assert.Equal(0, mkfifo.ExitCode);
        }
        ulong node = NodeOf("fifo");
        Ok(Fs.GetAttributes(node, out var attr));   // lookups and stat use O_PATH and work
        Assert.Equal(0x1000u, attr.FileType);
        // No writer exists: open(O_RDONLY) of the FIFO would wait for one forever.
        Assert.Equal(Errno.ENXIO, Fs.Open(node, ORdOnly, out int fd));
        Assert.Equal(-1, fd);
        // Create without O_EXCL finds the existing FIFO and does not open it either.
        Assert.Equal(Errno.ENXIO, Fs.Create(Root, B("fifo"), OWrOnly, 0x1B6, uint.MaxValue, uint.MaxValue, out _, out _, out _, out fd));
        Assert.Equal(-1, fd);
        Fs.Forget(node, 1);
    }

    [Fact]
    public void NewNodesGetTheGivenModeUnderTheGivenUmaskNotTheProcessUmask()
    {
        Ok(Fs.MakeDirectory(Root, B("d"), 0x1FF, 0, uint.MaxValue, uint.MaxValue, out ulong d, out _, out var dirAttr));
        Assert.Equal(0x1FFu, dirAttr.Mode & 0xFFF);   // 0777 with umask 0, whatever this process's umask is
        Ok(Fs.Create(Root, B("f"), OWrOnly, 0x1B6, 0x17, uint.MaxValue, uint.MaxValue, out ulong f, out _, out var fileAttr, out int fd));
        Assert.Equal(0x1A0u, fileAttr.Mode & 0xFFF);  // 0666 under umask 027: 0640
        Ok(Fs.Close(fd));
        Fs.Forget(d, 1);
        Fs.Forget(f, 1);
    }
}
