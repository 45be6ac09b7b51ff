// Extended attributes on files and directories; OFD locks and flock across two open file descriptions.
using System.Text;

namespace Altitude.FileSystem.Tests;

public class XattrAndLockTests : LoopbackTestBase
{
    [XattrFact]
    public void UserXattrsRoundTripOnFilesAndDirectories()
    {
        File.WriteAllText(InBacking("f"), "x");
        Directory.CreateDirectory(InBacking("d"));
        foreach (ulong node in new[] { NodeOf("f"), NodeOf("d") })
        {
            byte[] value = [1, 2, 3, 0, 255];
            Ok(Fs.SetExtendedAttribute(node, B("user.altitude"), value, 0));
            Ok(Fs.GetExtendedAttribute(node, B("user.altitude"), Span<byte>.Empty, out int size));
            Assert.Equal(5, size);
            byte[] read = new byte[16];
            Ok(Fs.GetExtendedAttribute(node, B("user.altitude"), read, out size));
            Assert.Equal(value, read[..size]);
            Assert.Equal(Errno.ERANGE, Fs.GetExtendedAttribute(node, B("user.altitude"), new byte[2], out _));
            Assert.Equal(Errno.EEXIST, Fs.SetExtendedAttribute(node, B("user.altitude"), value, 1 /* XATTR_CREATE */));
            Assert.Equal(Errno.ENODATA, Fs.SetExtendedAttribute(node, B("user.other"), value, 2 /* XATTR_REPLACE */));
            Ok(Fs.SetExtendedAttribute(node, B("user.second"), "v"u8, 0));

            Ok(Fs.ListExtendedAttributes(node, Span<byte>.Empty, out int listSize));
            byte[] list = new byte[listSize];
            Ok(Fs.ListExtendedAttributes(node, list, out listSize));
            string[] names = Encoding.UTF8.GetString(list, 0, listSize).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains("user.altitude", names);
            Assert.Contains("user.second", names);

            Ok(Fs.RemoveExtendedAttribute(node, B("user.altitude")));
            Assert.Equal(Errno.ENODATA, Fs.GetExtendedAttribute(node, B("user.altitude"), read, out _));
            Assert.Equal(Errno.ENODATA, Fs.RemoveExtendedAttribute(node, B("user.altitude")));
        }
        // Checked from outside: the value is on the backing file.
        Assert.True(XattrFromOutside(InBacking("f"), "user.second", out byte[] outside));
        Assert.Equal("v"u8.ToArray(), outside);
    }

    [Fact]
    public void XattrNamesAreValidated()
    {
        Assert.Equal(Errno.ERANGE, Fs.GetExtendedAttribute(Root, B("user." + new string('n', 300)), new byte[4], out _));
        Assert.Equal(Errno.EINVAL, Fs.SetExtendedAttribute(Root, ""u8, "v"u8, 0));
        Assert.Equal(Errno.ESTALE, Fs.RemoveExtendedAttribute(424242, B("user.x")));
    }

    [Fact]
    public void OfdLocksConflictAcrossTwoFds()
    {
        File.WriteAllBytes(InBacking("f"), new byte[100]);
        ulong f = NodeOf("f");
        Ok(Fs.Open(f, ORdWr, out int fd1));
        Ok(Fs.Open(f, ORdWr, out int fd2));
        try
        {
            Ok(Fs.SetLock(fd1, new PosixLock(PosixLock.Write, 10, 20), wait: false));
            Assert.Equal(Errno.EAGAIN, Fs.SetLock(fd2, new PosixLock(PosixLock.Read, 15, 1), wait: false));
            Ok(Fs.SetLock(fd2, new PosixLock(PosixLock.Write, 30, 10), wait: false)); // no overlap

            var probe = new PosixLock(PosixLock.Read, 0, 0);
            Ok(Fs.GetLock(fd2, ref probe));
            Assert.Equal(PosixLock.Write, probe.Type);
            Assert.Equal(10, probe.Start);
            Assert.Equal(20, probe.Length);
            Assert.Equal(-1, probe.Pid);

            var free = new PosixLock(PosixLock.Write, 50, 10);
            Ok(Fs.GetLock(fd2, ref free));
            Assert.Equal(PosixLock.Unlock, free.Type);

            Ok(Fs.SetLock(fd1, new PosixLock(PosixLock.Unlock, 10, 20), wait: false));
            Ok(Fs.SetLock(fd2, new PosixLock(PosixLock.Read, 15, 1), wait: false));

            // A waiting lock blocks until the holder releases it.
            Ok(Fs.SetLock(fd1, new PosixLock(PosixLock.Write, 0, 5), wait: false));
            Errno waited = Errno.EIO;
            using var done = new ManualResetEventSlim();
            var waiter = new Thread(() =>
            {
                waited = Fs.SetLock(fd2, new PosixLock(PosixLock.Write, 0, 5), wait: true);
                done.Set();
            });
            waiter.Start();
            // Blocked in F_OFD_SETLKW: /proc/locks lists its request ("->") on this file, and it has not returned.
            Ok(Fs.GetAttributes(f, out var attributes));
            string file = $":{attributes.Inode} ";
            Assert.True(SpinWait.SpinUntil(() => done.IsSet || File.ReadLines("/proc/locks").Any(l => l.Contains("-> OFDLCK", StringComparison.Ordinal) && l.Contains(file, StringComparison.Ordinal)), 60_000),
                "the waiting lock request never showed in /proc/locks");
            Assert.False(done.IsSet, "the waiting lock was granted while a conflicting one was held");
            Ok(Fs.SetLock(fd1, new PosixLock(PosixLock.Unlock, 0, 5), wait: false));
            Assert.True(done.Wait(60_000));
            waiter.Join();
            Ok(waited);
        }
        finally
        {
            Ok(Fs.Close(fd1));
            Ok(Fs.Close(fd2));
        }
    }

    [Fact]
    public void FlockConflictsAcrossTwoFds()
    {
        File.WriteAllText(InBacking("f"), "");
        ulong f = NodeOf("f");
        Ok(Fs.Open(f, ORdOnly, out int fd1));
        Ok(Fs.Open(f, ORdOnly, out int fd2));
        Ok(Fs.Flock(fd1, 2 /* LOCK_EX */));
        Assert.Equal(Errno.EWOULDBLOCK, Fs.Flock(fd2, 2 | 4 /* LOCK_EX | LOCK_NB */));
        Assert.Equal(Errno.EWOULDBLOCK, Fs.Flock(fd2, 1 | 4 /* LOCK_SH | LOCK_NB */));
        Ok(Fs.Flock(fd1, 8 /* LOCK_UN */));
        Ok(Fs.Flock(fd2, 1 | 4));
        Ok(Fs.Close(fd1));
        Ok(Fs.Close(fd2));
    }

    private static unsafe bool XattrFromOutside(string path, string name, out byte[] value)
    {
        byte[] p = Encoding.UTF8.GetBytes(path + "\0");
        byte[] n = Encoding.UTF8.GetBytes(name + "\0");
        byte[] v = new byte[256];
        fixed (byte* pp = p)
        fixed (byte* nn = n)
        fixed (byte* vv = v)
        {
            nint r = Interop.Libc.GetXattr(pp, nn, vv, (nuint)v.Length, out _);
            value = r < 0 ? [] : v[..(int)r];
            return r >= 0;
        }
    }
}
