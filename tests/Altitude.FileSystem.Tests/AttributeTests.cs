// SetMode, SetOwner, SetTimes and Truncate, checked against the backing directory.
using Altitude.FileSystem.Interop;

namespace Altitude.FileSystem.Tests;

public class AttributeTests : LoopbackTestBase
{
    [Fact]
    public void SetModeChangesPermissionBits()
    {
        File.WriteAllText(InBacking("f"), "x");
        Directory.CreateDirectory(InBacking("d"));
        Ok(Fs.SetMode(NodeOf("f"), 0x8000 | 0b111_000_001));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute,
            File.GetUnixFileMode(InBacking("f")));
        Ok(Fs.SetMode(NodeOf("d"), 0b101_101_000));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute,
            File.GetUnixFileMode(InBacking("d")));
        Ok(Fs.GetAttributes(NodeOf("d"), out FileAttributes attr));
        Assert.Equal(0x4000u | 0b101_101_000u, attr.Mode);
    }

    [Fact]
    public void SetModeOnSymlinkIsEOPNOTSUPP()
    {
        File.WriteAllText(InBacking("f"), "x");
        File.SetUnixFileMode(InBacking("f"), UnixFileMode.UserRead);
        File.CreateSymbolicLink(InBacking("l"), "f");
        Assert.Equal(Errno.EOPNOTSUPP, Fs.SetMode(NodeOf("l"), 0x1FF));
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(InBacking("f")));
    }

    [RootFact]
    public void SetOwnerChangesOwnerOfFilesAndSymlinks()
    {
        RootRequirement.Assert();
        File.WriteAllText(InBacking("f"), "x");
        File.CreateSymbolicLink(InBacking("l"), "f");
        Ok(Fs.SetOwner(NodeOf("f"), 1234, uint.MaxValue));
        Ok(RawStat(B(InBacking("f")), out Libc.Statx st));
        Assert.Equal(1234u, st.Uid);
        Assert.Equal(0u, st.Gid);
        Ok(Fs.SetOwner(NodeOf("l"), 4321, 5678));
        Ok(RawStat(B(InBacking("l")), out st));
        Assert.Equal(4321u, st.Uid);
        Assert.Equal(5678u, st.Gid);
        Ok(RawStat(B(InBacking("f")), out st));
        Assert.Equal(1234u, st.Uid);
    }

    [Fact]
    public void SetTimesWithValuesNowAndOmit()
    {
        File.WriteAllText(InBacking("f"), "x");
        ulong f = NodeOf("f");
        Ok(Fs.SetTimes(f, new TimeSpec(1_000_000_000, 5), new TimeSpec(1_500_000_000, 123_456_789)));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_500_000_000).AddTicks(1_234_567).UtcDateTime, File.GetLastWriteTimeUtc(InBacking("f")));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_000_000_000).UtcDateTime, File.GetLastAccessTimeUtc(InBacking("f")));
        Ok(Fs.GetAttributes(f, out FileAttributes attr));
        Assert.Equal(new TimeSpec(1_500_000_000, 123_456_789), attr.ModificationTime);
        Assert.Equal(new TimeSpec(1_000_000_000, 5), attr.AccessTime);

        long before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Ok(Fs.SetTimes(f, TimeSpec.Omit, TimeSpec.Now));
        long after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Ok(Fs.GetAttributes(f, out attr));
        Assert.Equal(new TimeSpec(1_000_000_000, 5), attr.AccessTime);
        // UTIME_NOW: the clock at the call, between the readings around it (the kernel's coarse clock may lag a tick).
        Assert.InRange(attr.ModificationTime.Seconds, before - 1, after);
    }

    [Fact]
    public void SetTimesOnSymlinkDoesNotTouchTheTarget()
    {
        File.WriteAllText(InBacking("f"), "x");
        File.SetLastWriteTimeUtc(InBacking("f"), new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        File.CreateSymbolicLink(InBacking("l"), "f");
        ulong l = NodeOf("l");
        Ok(Fs.SetTimes(l, TimeSpec.Omit, new TimeSpec(86_400, 0)));
        Ok(Fs.GetAttributes(l, out FileAttributes attr));
        Assert.Equal(86_400, attr.ModificationTime.Seconds);
        Assert.Equal(new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc), File.GetLastWriteTimeUtc(InBacking("f")));
    }

    [Fact]
    public void TruncateWithAndWithoutFd()
    {
        File.WriteAllBytes(InBacking("f"), new byte[100]);
        ulong f = NodeOf("f");
        Ok(Fs.Truncate(f, -1, 10));
        Assert.Equal(10, new FileInfo(InBacking("f")).Length);
        Ok(Fs.Truncate(f, -1, 5000));
        Assert.Equal(5000, new FileInfo(InBacking("f")).Length);
        Ok(Fs.Open(f, OWrOnly, out int fd));
        Ok(Fs.Truncate(f, fd, 7));
        Ok(Fs.Close(fd));
        Assert.Equal(7, new FileInfo(InBacking("f")).Length);
        Assert.Equal(Errno.EISDIR, Fs.Truncate(Root, -1, 0));
    }
}
