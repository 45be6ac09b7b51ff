// OpenDirectory / ReadDirectory with cookies, and DirectoryEntryReader.
using System.Text;

namespace Altitude.FileSystem.Tests;

public class DirectoryTests : LoopbackTestBase
{
    [Fact]
    public void TenThousandEntriesEachExactlyOnceAcrossCalls()
    {
        const int count = 10_000;
        Directory.CreateDirectory(InBacking("big"));
        for (int i = 0; i < count; i++)
            File.WriteAllBytes(InBacking("big/entry-" + i.ToString("D5")), []);
        byte[] odd = [0x6F, 0xFF, 0x64, 0x64];
        Ok(Fs.Create(NodeOf("big"), odd, OWrOnly, 0x1A4, uint.MaxValue, uint.MaxValue, out _, out _, out _, out int cfd));
        Ok(Fs.Close(cfd));

        Ok(Fs.OpenDirectory(NodeOf("big"), out int fd));
        var seen = new Dictionary<string, int>();
        byte[] buffer = new byte[4096];
        long cookie = 0;
        int calls = 0;
        bool sawOdd = false;
        while (true)
        {
            Ok(Fs.ReadDirectory(fd, cookie, buffer, out int bytes));
            if (bytes == 0)
                break;
            calls++;
            var reader = new DirectoryEntryReader(buffer.AsSpan(0, bytes));
            int inThisCall = 0;
            while (reader.MoveNext())
            {
                inThisCall++;
                if (reader.Name.SequenceEqual(odd))
                {
                    sawOdd = true;
                    Assert.Equal(8, reader.Type); // DT_REG
                }
                string name = Encoding.UTF8.GetString(reader.Name);
                seen[name] = seen.GetValueOrDefault(name) + 1;
                Assert.NotEqual(0UL, reader.Inode);
                cookie = reader.NextCookie;
            }
            Assert.True(inThisCall > 0);
            // Re-position on purpose: read the rest of the stream through the cookie, not the fd position.
            Ok(Fs.ReadDirectory(fd, 0, buffer, out _));
        }
        Ok(Fs.Close(fd));
        Assert.True(calls > 10, $"only {calls} calls");
        Assert.True(sawOdd);
        for (int i = 0; i < count; i++)
            Assert.Equal(1, seen.GetValueOrDefault("entry-" + i.ToString("D5")));
        Assert.Equal(1, seen["."]);
        Assert.Equal(1, seen[".."]);
        Assert.Equal(count + 3, seen.Count);
        Assert.All(seen.Values, v => Assert.Equal(1, v));
    }

    [Fact]
    public void EntryTypesAndEmptyDirectory()
    {
        Directory.CreateDirectory(InBacking("d/sub"));
        File.WriteAllText(InBacking("d/file"), "");
        File.CreateSymbolicLink(InBacking("d/link"), "file");
        Ok(Fs.OpenDirectory(NodeOf("d"), out int fd));
        byte[] buffer = new byte[8192];
        Ok(Fs.ReadDirectory(fd, 0, buffer, out int bytes));
        var types = new Dictionary<string, byte>();
        var reader = new DirectoryEntryReader(buffer.AsSpan(0, bytes));
        while (reader.MoveNext())
            types[Encoding.UTF8.GetString(reader.Name)] = reader.Type;
        Assert.Equal(4, types["sub"]);
        Assert.Equal(8, types["file"]);
        Assert.Equal(10, types["link"]);
        Assert.Equal(5, types.Count);
        Ok(Fs.Close(fd));

        Ok(Fs.OpenDirectory(NodeOf("d/sub"), out fd));
        Ok(Fs.ReadDirectory(fd, 0, buffer, out bytes));
        reader = new DirectoryEntryReader(buffer.AsSpan(0, bytes));
        int n = 0;
        long last = 0;
        while (reader.MoveNext())
        {
            n++;
            last = reader.NextCookie;
        }
        Assert.Equal(2, n);
        Ok(Fs.ReadDirectory(fd, last, buffer, out bytes));
        Assert.Equal(0, bytes);
        Assert.Equal(Errno.EINVAL, Fs.ReadDirectory(fd, 0, new byte[8], out _));
        Ok(Fs.Close(fd));
    }

    [Fact]
    public void OpenDirectoryOnAFileIsENOTDIR()
    {
        File.WriteAllText(InBacking("f"), "");
        Assert.Equal(Errno.ENOTDIR, Fs.OpenDirectory(NodeOf("f"), out int fd));
        Assert.Equal(-1, fd);
    }

    [Fact]
    public void ReaderStopsOnMalformedRecords()
    {
        byte[] junk = new byte[40];
        junk[16] = 5; // reclen shorter than the header
        var reader = new DirectoryEntryReader(junk);
        Assert.False(reader.MoveNext());
        junk[16] = 200; // reclen past the end of the buffer
        reader = new DirectoryEntryReader(junk);
        Assert.False(reader.MoveNext());
    }
}
