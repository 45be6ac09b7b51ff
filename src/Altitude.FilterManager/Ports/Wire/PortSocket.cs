// recv(2)/send(2) straight on a connection's descriptor, for the per-message paths of both sides: the
// System.Net.Sockets methods add their own state checks, error translation and exception machinery to
// every call, which shows in a round trip of a few microseconds (docs/benchmarks.md, ports). The Socket
// object still owns the descriptor (setup, timeouts, shutdown, close); each call holds a reference on its
// SafeHandle, so a concurrent Dispose cannot close (and the process reuse) the descriptor under it: the
// call then throws ObjectDisposedException, as the Socket methods do. Linked into FilterLib with the wire format:
// the one owner of sendmsg/recvmsg with SCM_RIGHTS for the ports (a data-scan section's descriptor, both sides).
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

    private const int SolSocket = 1, ScmRights = 1, MsgCmsgCloexec = 0x40000000;
    /// <summary>Descriptors one receive takes at most; more in one record are closed (the kernel closes what does not fit).</summary>
    public const int MaxReceivedDescriptors = 4;
    // CMSG_SPACE(MaxReceivedDescriptors * sizeof(int)) on 64-bit Linux: a 16-byte cmsghdr, the ints, 8-aligned.
    private const int ControlSpace = 16 + MaxReceivedDescriptors * 4;

    /// <summary>
    /// One sendmsg(2) of a whole record carrying <paramref name="descriptor"/> as SCM_RIGHTS ancillary data (no
    /// SIGPIPE): the bytes sent, or −errno. The descriptor stays the caller's (the kernel sends a duplicate).
    /// </summary>
    public static int SendWithDescriptor(SafeHandle socket, ReadOnlySpan<byte> record, int descriptor, bool dontWait = false)
    {
        bool added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            int fd = (int)socket.DangerousGetHandle();
            fixed (byte* p = record)
            {
                var iov = new IoVec { Base = p, Length = (nuint)record.Length };
                byte* control = stackalloc byte[24];   // CMSG_SPACE(sizeof(int))
                new Span<byte>(control, 24).Clear();
                var cmsg = (ControlMessageHeader*)control;
                cmsg->Length = 16 + 4;                  // CMSG_LEN(sizeof(int))
                cmsg->Level = SolSocket;
                cmsg->Type = ScmRights;
                *(int*)(control + 16) = descriptor;
                var msg = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = 24 };
                while (true)
                {
                    nint n = sendmsg(fd, &msg, dontWait ? MsgNoSignal | MsgDontWait : MsgNoSignal);
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
    /// One recvmsg(2) into <paramref name="buffer"/> that also takes SCM_RIGHTS descriptors (close-on-exec) into
    /// <paramref name="descriptors"/> (<see cref="MaxReceivedDescriptors"/> at most; <paramref name="descriptorCount"/>
    /// says how many). The caller owns them and must close the ones it does not keep. Result as <see cref="Receive"/>.
    /// </summary>
    public static int ReceiveWithDescriptors(SafeHandle socket, Span<byte> buffer, Span<int> descriptors, out int descriptorCount, bool dontWait = false)
    {
        descriptorCount = 0;
        bool added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            int fd = (int)socket.DangerousGetHandle();
            fixed (byte* p = buffer)
            {
                var iov = new IoVec { Base = p, Length = (nuint)buffer.Length };
                byte* control = stackalloc byte[ControlSpace];
                while (true)
                {
                    var msg = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = ControlSpace };
                    nint n = recvmsg(fd, &msg, MsgCmsgCloexec | (dontWait ? MsgDontWait : 0));
                    if (n < 0)
                    {
                        int errno = Marshal.GetLastPInvokeError();
                        if (errno != Eintr) return -errno;
                        continue;
                    }
                    // Walk the control messages (CMSG_FIRSTHDR/CMSG_NXTHDR); what does not fit the span is closed.
                    nuint offset = 0;
                    while (offset + 16 <= msg.ControlLength)
                    {
                        var cmsg = (ControlMessageHeader*)(control + offset);
                        if (cmsg->Length < 16 || offset + cmsg->Length > msg.ControlLength) break;
                        if (cmsg->Level == SolSocket && cmsg->Type == ScmRights)
                        {
                            int count = (int)((cmsg->Length - 16) / 4);
                            for (int i = 0; i < count; i++)
                            {
                                int received = *(int*)(control + offset + 16 + (nuint)(i * 4));
                                if (descriptorCount < descriptors.Length) descriptors[descriptorCount++] = received;
                                else CloseDescriptor(received);
                            }
                        }
                        offset += (cmsg->Length + 7) & ~(nuint)7;
                    }
                    // MSG_CTRUNC: the kernel already closed the descriptors that did not fit the control buffer.
                    return (int)n;
                }
            }
        }
        finally
        {
            if (added) socket.DangerousRelease();
        }
    }

    /// <summary>close(2) of a descriptor this side owns (never retried on EINTR: Linux has closed it already).</summary>
    public static void CloseDescriptor(int fd) => _ = close(fd);

    private struct ControlMessageHeader
    {
        public nuint Length;
        public int Level;
        public int Type;
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

    // struct msghdr (x86-64 and arm64 Linux layout). Name stays zero; control only for SCM_RIGHTS.
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
    private static partial nint sendmsg(int fd, MsgHdr* message, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recvmsg(int fd, MsgHdr* message, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int recvmmsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint send(int fd, byte* buffer, nuint length, int flags);
}
