// One open /dev/fuse fd: the session's first fd or a clone (FUSE_DEV_IOC_CLONE) with its own processing list.
// A request must be answered on the fd it was read from.
using Altitude.Fuse.Interop;
using Altitude.Fuse.Kernel;

namespace Altitude.Fuse;

/// <summary>A /dev/fuse file descriptor. Thread-safe: reads and writes are single syscalls.</summary>
public sealed unsafe class FuseDevice : IDisposable
{
    private int fd;

    private FuseDevice(int fd) => this.fd = fd;

    public int Fd => fd;

    /// <summary>Opens /dev/fuse (root only: mode 0600). Throws IOException when it cannot.</summary>
    public static FuseDevice Open()
    {
        byte[] path = Libc.Z("/dev/fuse");
        int d;
        fixed (byte* p = path) d = Libc.Open(p, Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        if (d < 0) throw new IOException($"cannot open /dev/fuse: errno {Libc.LastError}", Libc.LastError);
        return new FuseDevice(d);
    }

    /// <summary>Wraps an fd received from fusermount3.</summary>
    internal static FuseDevice FromFd(int fd) => new(fd);

    /// <summary>
    /// A second fd on the same connection (only after the mount); null when the kernel refuses. A non-blocking clone
    /// serves an extra reader, which polls with a timeout so that it can retire when idle.
    /// </summary>
    public FuseDevice? Clone(bool nonBlocking = false)
    {
        byte[] path = Libc.Z("/dev/fuse");
        int d;
        fixed (byte* p = path) d = Libc.Open(p, Libc.O_RDWR | Libc.O_CLOEXEC | (nonBlocking ? Libc.O_NONBLOCK : 0), 0);
        if (d < 0) return null;
        uint source = (uint)fd;
        if (Libc.Ioctl(d, FuseDeviceIoctl.CLONE, &source) != 0)
        {
            Libc.Close(d);
            return null;
        }
        return new FuseDevice(d) { NonBlocking = nonBlocking };
    }

    /// <summary>Reads return EAGAIN instead of waiting (an extra reader's clone).</summary>
    public bool NonBlocking { get; private init; }

    /// <summary>
    /// Reads one request into <paramref name="count"/> segments; returns its length or -errno (EINTR is retried here;
    /// EAGAIN is returned on a non-blocking fd).
    /// </summary>
    internal int ReadV(Libc.IoVec* iov, int count)
    {
        while (true)
        {
            nint n = Libc.Readv(fd, iov, count);
            if (n >= 0) return (int)n;
            int e = Libc.LastError;
            if (e == Libc.EINTR) continue;
            return -e;
        }
    }

    /// <summary>Waits up to <paramref name="milliseconds"/> for a request: true when one may be there (or the fd failed).</summary>
    internal bool WaitReadable(int milliseconds)
    {
        var p = new Libc.PollFd { Fd = fd, Events = Libc.POLLIN };
        int r = Libc.Poll(&p, 1, milliseconds);
        return r != 0;
    }

    /// <summary>Writes one reply or notification; returns 0 or the errno (ENOENT: the request is gone, e.g. interrupted).</summary>
    internal int Write(Libc.IoVec* iov, int count)
    {
        while (true)
        {
            nint n = Libc.Writev(fd, iov, count);
            if (n >= 0) return 0;
            int e = Libc.LastError;
            if (e == Libc.EINTR) continue;
            return e;
        }
    }

    /// <summary>FUSE_DEV_IOC_BACKING_OPEN: registers <paramref name="backingFd"/> for passthrough; returns the id (&gt; 0) or -errno.</summary>
    public int BackingOpen(int backingFd)
    {
        var map = new fuse_backing_map { fd = backingFd };
        int id = Libc.Ioctl(fd, FuseDeviceIoctl.BACKING_OPEN, &map);
        return id > 0 ? id : -Libc.LastError;
    }

    /// <summary>FUSE_DEV_IOC_BACKING_CLOSE.</summary>
    public int BackingClose(int backingId)
    {
        uint id = (uint)backingId;
        return Libc.Ioctl(fd, FuseDeviceIoctl.BACKING_CLOSE, &id) == 0 ? 0 : Libc.LastError;
    }

    public void Dispose()
    {
        int d = Interlocked.Exchange(ref fd, -1);
        if (d >= 0) Libc.Close(d);
    }
}
