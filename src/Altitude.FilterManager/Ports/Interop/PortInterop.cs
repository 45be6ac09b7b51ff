// The libc calls of the port server that FilterLib does not need: the epoll set and its wake-up eventfd,
// accept4 with SO_PEERCRED read straight after, shutdown, and poll for a hung-up peer. The
// per-message recv/send calls (and close) shared with FilterLib are in Wire/PortSocket.cs.
using System.Runtime.InteropServices;

namespace Altitude.Ports.Interop;

internal static unsafe partial class PortInterop
{
    public const uint EpollIn = 0x001, EpollOut = 0x004, EpollErr = 0x008, EpollHup = 0x010, EpollRdHup = 0x2000, EpollOneShot = 1u << 30;
    private const int EpollCtlAdd = 1, EpollCtlDel = 2, EpollCtlMod = 3;
    private const int EpollCloexec = 0x80000, EfdCloexec = 0x80000, EfdNonblock = 0x800;
    private const int SockCloexec = 0x80000;
    private const int SolSocket = 1, SoPeerCred = 17, SoPeerGroups = 59;
    public const int Eintr = 4, Eagain = 11, Emfile = 24, Enfile = 23, Econnaborted = 103, Enobufs = 105, Enomem = 12;

    // struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16 bytes).
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEventPacked
    {
        public uint Events;
        public ulong Data;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct EpollEventAligned
    {
        public uint Events;
        public ulong Data;
    }

    private static readonly bool Packed = RuntimeInformation.ProcessArchitecture == Architecture.X64;
    public static int EpollEventSize => Packed ? sizeof(EpollEventPacked) : sizeof(EpollEventAligned);

    public static int CreateEpoll() => Check(epoll_create1(EpollCloexec));

    public static int CreateEventFd() => Check(eventfd(0, EfdCloexec | EfdNonblock));

    /// <summary>Adds, modifies or (with <paramref name="events"/> null) removes a descriptor. 0 or −errno.</summary>
    public static int Control(int epoll, int fd, uint? events, ulong data, bool add = false)
    {
        int op = events is null ? EpollCtlDel : add ? EpollCtlAdd : EpollCtlMod;
        int r;
        if (Packed)
        {
            var e = new EpollEventPacked { Events = events ?? 0, Data = data };
            r = epoll_ctl(epoll, op, fd, &e);
        }
        else
        {
            var e = new EpollEventAligned { Events = events ?? 0, Data = data };
            r = epoll_ctl(epoll, op, fd, &e);
        }
        return r == 0 ? 0 : -Marshal.GetLastPInvokeError();
    }

    /// <summary>epoll_wait into <paramref name="buffer"/> (EpollEventSize bytes per event): the count, or −errno.</summary>
    public static int Wait(int epoll, byte* buffer, int capacity, int timeoutMilliseconds)
    {
        int n = epoll_wait(epoll, buffer, capacity, timeoutMilliseconds);
        return n >= 0 ? n : -Marshal.GetLastPInvokeError();
    }

    public static void ReadEvent(byte* buffer, int index, out uint events, out ulong data)
    {
        if (Packed)
        {
            var e = ((EpollEventPacked*)buffer)[index];
            events = e.Events; data = e.Data;
        }
        else
        {
            var e = ((EpollEventAligned*)buffer)[index];
            events = e.Events; data = e.Data;
        }
    }

    public static void Signal(int eventFd)
    {
        ulong one = 1;
        _ = write(eventFd, &one, 8);
    }

    public static void DrainEventFd(int eventFd)
    {
        ulong value;
        _ = read(eventFd, &value, 8);
    }

    /// <summary>
    /// accept4 on a non-blocking listener: the new descriptor (close-on-exec, blocking: readers that must not
    /// wait pass MSG_DONTWAIT per call), or −errno (−EAGAIN when none is waiting).
    /// </summary>
    public static int Accept(int listener)
    {
        while (true)
        {
            int fd = accept4(listener, null, null, SockCloexec);
            if (fd >= 0) return fd;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Eintr) return -errno;
        }
    }

    /// <summary>SO_PEERCRED and SO_PEERGROUPS of a connected AF_UNIX socket, as the kernel recorded them at connect(2).</summary>
    public static bool TryReadPeer(int fd, out PeerCredentials credentials)
    {
        credentials = default;
        int* ucred = stackalloc int[3];   // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        uint len = 12;
        if (getsockopt(fd, SolSocket, SoPeerCred, ucred, &len) != 0 || len != 12) return false;
        uint[]? groups = null;
        uint* buf = stackalloc uint[256];
        len = 256 * 4;
        // Kernels before 4.13, or more than 256 groups: the primary group still counts.
        if (getsockopt(fd, SolSocket, SoPeerGroups, buf, &len) == 0 && len > 0)
        {
            groups = new uint[len / 4];
            for (int i = 0; i < groups.Length; i++) groups[i] = buf[i];
        }
        credentials = new PeerCredentials(ucred[0], (uint)ucred[1], (uint)ucred[2], groups);
        return true;
    }

    /// <summary>True when the peer closed its end (readable EOF or hang-up), without reading anything.</summary>
    public static bool PeerHungUp(int fd) =>
        Wire.PortSocket.Poll(fd, Wire.PortSocket.PollRdHup, 0, out short revents) == 1 && (revents & (Wire.PortSocket.PollRdHup | Wire.PortSocket.PollHup)) != 0;

    /// <summary>O_NONBLOCK on a descriptor (the listener: accept4 in a loop must never block the I/O thread).</summary>
    public static void SetNonBlocking(int fd)
    {
        int flags = fcntl(fd, 3 /* F_GETFL */, 0);
        if (flags >= 0) _ = fcntl(fd, 4 /* F_SETFL */, flags | 0x800 /* O_NONBLOCK */);
    }

    public static void Shutdown(int fd) => _ = shutdown(fd, 2);

    public static void Close(int fd) => Wire.PortSocket.CloseDescriptor(fd);

    private static int Check(int r) => r >= 0 ? r : throw new IOException(Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);
    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, void* ev);
    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_wait(int epfd, byte* events, int maxevents, int timeout);
    [LibraryImport("libc", SetLastError = true)]
    private static partial int eventfd(uint initval, int flags);
    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, void* buf, nuint count);
    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(int fd, void* buf, nuint count);
    [LibraryImport("libc", SetLastError = true)]
    private static partial int accept4(int fd, void* addr, void* addrlen, int flags);
    [LibraryImport("libc", SetLastError = true)]
    private static partial int getsockopt(int fd, int level, int name, void* value, uint* length);
    [LibraryImport("libc", SetLastError = true)]
    private static partial int shutdown(int fd, int how);
    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int cmd, int arg);
}
