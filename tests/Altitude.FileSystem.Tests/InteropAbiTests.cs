// ABI checks that replace C static asserts: struct sizes and field offsets on x86_64, and interop helpers.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Altitude.FileSystem.Interop;

namespace Altitude.FileSystem.Tests;

public class InteropAbiTests
{
    [Fact]
    public void StructSizesMatchX8664()
    {
        Assert.Equal(256, Marshal.SizeOf<Libc.Statx>());
        Assert.Equal(256, Unsafe.SizeOf<Libc.Statx>());
        Assert.Equal(16, Unsafe.SizeOf<Libc.StatxTimestamp>());
        Assert.Equal(24, Marshal.SizeOf<Libc.OpenHow>());
        Assert.Equal(32, Marshal.SizeOf<Libc.Flock>());
        Assert.Equal(120, Marshal.SizeOf<Libc.StatFs>());
        Assert.Equal(16, Marshal.SizeOf<TimeSpec>());
        Assert.Equal(16, Marshal.SizeOf<Libc.RLimit>());
    }

    [Theory]
    [InlineData(nameof(Libc.Statx.Mask), 0)]
    [InlineData(nameof(Libc.Statx.BlkSize), 4)]
    [InlineData(nameof(Libc.Statx.Attributes), 8)]
    [InlineData(nameof(Libc.Statx.Nlink), 16)]
    [InlineData(nameof(Libc.Statx.Uid), 20)]
    [InlineData(nameof(Libc.Statx.Gid), 24)]
    [InlineData(nameof(Libc.Statx.Mode), 28)]
    [InlineData(nameof(Libc.Statx.Ino), 32)]
    [InlineData(nameof(Libc.Statx.Size), 40)]
    [InlineData(nameof(Libc.Statx.Blocks), 48)]
    [InlineData(nameof(Libc.Statx.AttributesMask), 56)]
    [InlineData(nameof(Libc.Statx.Atime), 64)]
    [InlineData(nameof(Libc.Statx.Btime), 80)]
    [InlineData(nameof(Libc.Statx.Ctime), 96)]
    [InlineData(nameof(Libc.Statx.Mtime), 112)]
    [InlineData(nameof(Libc.Statx.RdevMajor), 128)]
    [InlineData(nameof(Libc.Statx.RdevMinor), 132)]
    [InlineData(nameof(Libc.Statx.DevMajor), 136)]
    [InlineData(nameof(Libc.Statx.DevMinor), 140)]
    [InlineData(nameof(Libc.Statx.MntId), 144)]
    [InlineData(nameof(Libc.Statx.DioMemAlign), 152)]
    [InlineData(nameof(Libc.Statx.DioOffsetAlign), 156)]
    [InlineData(nameof(Libc.Statx.Spare3), 160)]
    public void StatxOffsets(string field, int offset) =>
        Assert.Equal(offset, (int)Marshal.OffsetOf<Libc.Statx>(field));

    [Theory]
    [InlineData(nameof(Libc.Flock.Type), 0)]
    [InlineData(nameof(Libc.Flock.Whence), 2)]
    [InlineData(nameof(Libc.Flock.Start), 8)]
    [InlineData(nameof(Libc.Flock.Len), 16)]
    [InlineData(nameof(Libc.Flock.Pid), 24)]
    public void FlockOffsets(string field, int offset) =>
        Assert.Equal(offset, (int)Marshal.OffsetOf<Libc.Flock>(field));

    [Theory]
    [InlineData(nameof(Libc.OpenHow.Flags), 0)]
    [InlineData(nameof(Libc.OpenHow.Mode), 8)]
    [InlineData(nameof(Libc.OpenHow.Resolve), 16)]
    public void OpenHowOffsets(string field, int offset) =>
        Assert.Equal(offset, (int)Marshal.OffsetOf<Libc.OpenHow>(field));

    [Theory]
    [InlineData(nameof(Libc.StatFs.Type), 0)]
    [InlineData(nameof(Libc.StatFs.BSize), 8)]
    [InlineData(nameof(Libc.StatFs.Blocks), 16)]
    [InlineData(nameof(Libc.StatFs.FFree), 48)]
    [InlineData(nameof(Libc.StatFs.Fsid0), 56)]
    [InlineData(nameof(Libc.StatFs.NameLen), 64)]
    [InlineData(nameof(Libc.StatFs.FrSize), 72)]
    [InlineData(nameof(Libc.StatFs.Flags), 80)]
    public void StatFsOffsets(string field, int offset) =>
        Assert.Equal(offset, (int)Marshal.OffsetOf<Libc.StatFs>(field));

    [Fact]
    public void ErrnoValuesAreLinuxValues()
    {
        Assert.Equal(2, (int)Errno.ENOENT);
        Assert.Equal(18, (int)Errno.EXDEV);
        Assert.Equal(36, (int)Errno.ENAMETOOLONG);
        Assert.Equal(40, (int)Errno.ELOOP);
        Assert.Equal(61, (int)Errno.ENODATA);
        Assert.Equal(95, (int)Errno.EOPNOTSUPP);
        Assert.Equal(116, (int)Errno.ESTALE);
    }

    [Fact]
    public unsafe void LastErrorIsTheKernelErrno()
    {
        byte* path = stackalloc byte[] { (byte)'/', (byte)'n', (byte)'o', (byte)'p', (byte)'e', 0 };
        int fd = Libc.OpenAt(Libc.AT_FDCWD, path, Libc.O_RDONLY, 0, out Errno e);
        Assert.Equal(-1, fd);
        Assert.Equal(Errno.ENOENT, e);
    }

    [Fact]
    public unsafe void OpenFlagConstantsMatchTheKernel()
    {
        // O_PATH|O_NOFOLLOW on a symlink opens the link itself; statx through it then reports S_IFLNK.
        string dir = Path.Combine(Path.GetTempPath(), "altitude-abi-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.CreateSymbolicLink(Path.Combine(dir, "l"), "/");
            byte[] p = System.Text.Encoding.UTF8.GetBytes(Path.Combine(dir, "l") + "\0");
            fixed (byte* pp = p)
            {
                int fd = Libc.OpenAt(Libc.AT_FDCWD, pp, Libc.O_PATH | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0, out Errno e);
                Assert.Equal(Errno.Success, e);
                Assert.Equal(Errno.Success, Libc.StatxFd(fd, out Libc.Statx st));
                Assert.Equal(Libc.S_IFLNK, st.Mode & Libc.S_IFMT);
                Libc.Close(fd);
                fd = Libc.OpenAt(Libc.AT_FDCWD, pp, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW, 0, out e);
                Assert.Equal(-1, fd);
                Assert.True(e is Errno.ELOOP or Errno.ENOTDIR, e.ToString());
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData(0, "/proc/self/fd/0")]
    [InlineData(7, "/proc/self/fd/7")]
    [InlineData(10, "/proc/self/fd/10")]
    [InlineData(123456, "/proc/self/fd/123456")]
    public void ProcFdPathFormatsDecimal(int fd, string expected)
    {
        Span<byte> buf = stackalloc byte[32];
        Libc.ProcFdPath(fd, buf);
        int nul = buf.IndexOf((byte)0);
        Assert.Equal(expected, System.Text.Encoding.ASCII.GetString(buf[..nul]));
    }

    [Theory]
    [InlineData("", Errno.ENOENT)]
    [InlineData(".", Errno.EINVAL)]
    [InlineData("..", Errno.EINVAL)]
    [InlineData("a/b", Errno.EINVAL)]
    [InlineData("/etc", Errno.EINVAL)]
    [InlineData("a\0b", Errno.EINVAL)]
    [InlineData("...", Errno.Success)]
    [InlineData(".hidden", Errno.Success)]
    public void CopyComponentValidates(string name, Errno expected)
    {
        Span<byte> buf = stackalloc byte[256];
        Assert.Equal(expected, Libc.CopyComponent(System.Text.Encoding.UTF8.GetBytes(name), buf));
    }

    [Fact]
    public void CopyComponentLengthLimit()
    {
        Span<byte> buf = stackalloc byte[256];
        Assert.Equal(Errno.Success, Libc.CopyComponent(new string('a', 255).Select(c => (byte)c).ToArray(), buf));
        Assert.Equal(0, buf[255]);
        Assert.Equal(Errno.ENAMETOOLONG, Libc.CopyComponent(new byte[256], buf));
    }

    [Fact]
    public void MakeDevMatchesGlibc()
    {
        Assert.Equal(0x0103UL, Libc.MakeDev(1, 3));
        Assert.Equal(0x0000_1000_0000_0000UL | 0x00100000UL | 0x05, Libc.MakeDev(0x1000, 0x105));
    }
}
