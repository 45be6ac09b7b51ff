// Control calls on open fds: file ioctls and the data/hole map (lseek SEEK_DATA/SEEK_HOLE).
using Altitude.FileSystem.Interop;

namespace Altitude.FileSystem;

public sealed unsafe partial class LoopbackFileSystem
{
    /// <summary>ioctl(fd, request, argument) with <paramref name="argument"/> as the in/out buffer. The caller picks which requests are safe.</summary>
    public Errno IoControl(int fd, uint request, Span<byte> argument)
    {
        fixed (byte* a = argument)
            return Libc.Ioctl(fd, request, a);
    }

    /// <summary>
    /// The next data (or, with <paramref name="hole"/>, the next hole) at or after <paramref name="offset"/>. ENXIO: no data
    /// from there to the end. Moves the fd's position, which no pread/pwrite of the loopback depends on.
    /// </summary>
    public Errno SeekData(int fd, long offset, bool hole, out long position)
    {
        position = Libc.Lseek(fd, offset, hole ? Libc.SEEK_HOLE : Libc.SEEK_DATA, out Errno e);
        return e;
    }
}
