// recv(2)/send(2) straight on a connection's descriptor, for the per-message paths of both sides: the
// System.Net.Sockets methods add their own state checks, error translation and exception machinery to
// every call, which shows in a round trip of a few microseconds (docs/benchmarks.md, ports). The Socket
// object still owns the descriptor (setup, timeouts, shutdown, close); each call holds a reference on its
// SafeHandle, so a concurrent Dispose cannot close (and the process reuse) the descriptor under it: the
// call then throws ObjectDisposedException, as the Socket methods do. Linked into FilterLib with the wire format.
using System.Runtime.InteropServices;

namespace Altitude.Ports.Wire;

internal static unsafe partial class PortSocket
{
    private const int MsgDontWait = 0x40, MsgNoSignal = 0x4000, MsgWaitForOne = 0x10000;
    private const int Eintr = 4, Eagain = 11, Epipe = 32, Econnreset = 104;

    /// <summary>
    /// One recv(2) into <paramref name="buffer"/>: the record's length, 0 at EOF, or −errno (−EAGAIN when
    /// <paramref name="dontWait"/> found nothing). Restarted on EINTR.
    /// </summary>
    public static int Receive(SafeHandle socket, Span<byte> buffer, bool dontWait = false)
    {
        bool added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            int fd = (int)socket.DangerousGetHandle();
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    nint n = recv(fd, p, (nuint)buffer.Length, dontWait ? MsgDontWait : 0);
                    if (n >= 0) return (int)n;
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno != Eintr) return -errno;
                }
            }
        }
        finally
        {
            if (added) socket.DangerousRelease();
        }
    }

    /// <summary>
    /// recvmmsg(2) with MSG_WAITFORONE: blocks for one record into <paramref name="first"/>, then takes a
    /// second one into <paramref name="second"/> only if it is already there (one system call for both).
    /// The number of records read (1 or 2; a length of 0 is EOF, as for recv), or −errno. Restarted on EINTR.
    /// </summary>
    public static int ReceiveTwo(SafeHandle socket, Span<byte> first, Span<byte> second, out int firstLength, out int secondLength, bool dontWait = false)
    {
        firstLength = secondLength = 0;
        bool added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            int fd = (int)socket.DangerousGetHandle();
            fixed (byte* p1 = first)
            fixed (byte* p2 = second)
            {
                var iov = stackalloc IoVec[2];
                iov[0] = new IoVec { Base = p1, Length = (nuint)first.Length };
                iov[1] = new IoVec { Base = p2, Length = (nuint)second.Length };
                var msgs = stackalloc MMsgHdr[2];
                msgs[0] = default;
                msgs[1] = default;
                msgs[0].Header.Iov = &iov[0];
                msgs[0].Header.IovLength = 1;
                msgs[1].Header.Iov = &iov[1];
                msgs[1].Header.IovLength = 1;
                while (true)
                {
                    int n = recvmmsg(fd, msgs, 2, dontWait ? MsgWaitForOne | MsgDontWait : MsgWaitForOne, null);
                    if (n >= 0)
                    {
                        firstLength = n >= 1 ? (int)msgs[0].Length : 0;
                        secondLength = n >= 2 ? (int)msgs[1].Length : 0;
                        return n;
                    }
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno != Eintr) return -errno;
                }
            }
        }
        finally
        {
            if (added) socket.DangerousRelease();
        }
    }

    /// <summary>
    /// One send(2) of a whole record (no SIGPIPE): the bytes sent, or −errno (−EAGAIN when
    /// <paramref name="dontWait"/> found the peer's buffer full). Restarted on EINTR.
    /// </summary>
    public static int Send(SafeHandle socket, ReadOnlySpan<byte> record, bool dontWait = false)
    {
        bool added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            int fd = (int)socket.DangerousGetHandle();
            fixed (byte* p = record)
            {
                while (true)
                {
                    nint n = send(fd, p, (nuint)record.Length, dontWait ? MsgNoSignal | MsgDontWait : MsgNoSignal);
                    if (n >= 0) return (int)n;
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno != Eintr) return -errno;
                }
            }
        }
        finally
        {
            if (added) socket.DangerousRelease();
        }
    }

    /// <summary>
    /// Waits up to <paramref name="milliseconds"/> (−1: forever) for the socket to be readable (or hung up):
    /// true when it is. Restarted on EINTR with the full wait (callers loop on their own deadline).
    /// </summary>
    public static bool PollReadable(SafeHandle socket, int milliseconds)
    {
        bool added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            // An error: let the read report it.
            return Poll((int)socket.DangerousGetHandle(), PollIn, milliseconds, out _) != 0;
        }
        finally
        {
            if (added) socket.DangerousRelease();
        }
    }

    public const short PollIn = 0x001, PollHup = 0x010, PollRdHup = 0x2000;

    /// <summary>poll(2) on one descriptor (restarted on EINTR): 1 with <paramref name="revents"/> set, 0 on timeout, or −errno.</summary>
    public static int Poll(int fd, short events, int milliseconds, out short revents)
    {
        var p = new PollFd { Fd = fd, Events = events };
        while (true)
        {
            int n = poll(&p, 1, milliseconds);
            revents = p.Revents;
            if (n >= 0) return n;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Eintr) return -errno;
        }
    }

    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int poll(PollFd* fds, nuint count, int timeout);

    /// <summary>What <see cref="Receive"/> returns when a non-blocking read found nothing (−EAGAIN).</summary>
    public const int WouldBlockResult = -Eagain;

    public static bool WouldBlock(int result) => result == -Eagain;

    /// <summary>What a read returns when the peer closed with records of ours unread (reported once, before the records still queued).</summary>
    public const int ConnectionResetResult = -Econnreset;

    /// <summary>A negative result as the reason logged: the SocketError name the Socket methods used to report where there is one.</summary>
    public static string Describe(int result) => -result switch
    {
        // A blocking socket with SO_SNDTIMEO/SO_RCVTIMEO that timed out.
        Eagain => "TimedOut",
        Epipe => "Shutdown",
        Econnreset => "ConnectionReset",
        int errno => Marshal.GetPInvokeErrorMessage(errno),
    };

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recv(int fd, byte* buffer, nuint length, int flags);

    private struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    // struct msghdr (x86-64 and arm64 Linux layout). Name, control and flags stay zero (written by the kernel only).
#pragma warning disable CS0649
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    private struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }
#pragma warning restore CS0649

    [LibraryImport("libc", SetLastError = true)]
    private static partial int recvmmsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint send(int fd, byte* buffer, nuint length, int flags);
}
