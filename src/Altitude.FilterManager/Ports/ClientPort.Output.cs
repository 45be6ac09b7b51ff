// Everything the server sends on one connection goes through Emit: one non-blocking send(2) of a whole
// record (SOCK_SEQPACKET writes a record atomically, so any thread may send). A client that does not read
// cannot block the sender: its records wait here, in order, until the socket takes them again (EPOLLOUT on
// the I/O thread). While they wait, the connection's MessageNotify lane pauses and the I/O thread reads no
// more of its requests, so what waits stays small; past MaxBacklogBytes the connection is closed. A record
// may carry one descriptor (a data-scan section for a SendResult): it waits with its record and is closed
// once sent, or when the record is dropped.
using System.Buffers;
using Altitude.Ports.Interop;
using Altitude.Ports.Wire;

namespace Altitude;

public sealed partial class ClientPort
{
    internal const int MaxBacklogBytes = 4 << 20;

    private readonly object outGate = new();
    private Queue<(byte[] Buffer, int Length, int Fd)>? backlog;
    private int backlogBytes;   // written under outGate, read without it

    /// <summary>True while records wait for the client to read (the lane then runs no MessageNotify).</summary>
    private bool OutputBlocked => Volatile.Read(ref backlogBytes) > 0;

    /// <summary>Sends a header and payload as one record (with <paramref name="fd"/>, owned, if not -1). False (and the connection closes) if it could not.</summary>
    private bool Emit(in FrameHeader header, ReadOnlySpan<byte> payload, int fd = -1)
    {
        byte[] frame = FrameHeader.RentRecord(header, payload, out int len);
        bool ok = EmitRaw(frame.AsSpan(0, len), fd);
        ArrayPool<byte>.Shared.Return(frame);
        return ok;
    }

    /// <summary>
    /// One record, sent now or queued behind the ones the client has not taken yet. <paramref name="fd"/>, if not
    /// -1, is owned from here: it travels as SCM_RIGHTS and is closed after the send, or when the record cannot go.
    /// </summary>
    internal bool EmitRaw(ReadOnlySpan<byte> record, int fd = -1)
    {
        string? failure = null;
        bool arm = false;
        lock (outGate)
        {
            if (backlog is null || backlog.Count == 0)
            {
                int sent;
                try { sent = fd < 0 ? PortSocket.Send(socket, record, dontWait: true) : PortSocket.SendWithDescriptor(socket, record, fd, dontWait: true); }
                catch (ObjectDisposedException) { CloseOwned(fd); return false; }
                if (sent == record.Length) { CloseOwned(fd); return true; }
                if (!PortSocket.WouldBlock(sent)) failure = sent >= 0 ? "short send" : "send failed: " + PortSocket.Describe(sent);
            }
            if (failure is null)
            {
                if (backlogBytes + record.Length > MaxBacklogBytes) failure = $"the client does not read its socket (more than {MaxBacklogBytes >> 20} MiB waiting)";
                else
                {
                    byte[] copy = ArrayPool<byte>.Shared.Rent(record.Length);
                    record.CopyTo(copy);
                    (backlog ??= new()).Enqueue((copy, record.Length, fd));
                    fd = -1;   // the backlog owns it now
                    arm = backlogBytes == 0;
                    Volatile.Write(ref backlogBytes, backlogBytes + record.Length);
                }
            }
        }
        if (failure is not null)
        {
            CloseOwned(fd);
            Close(failure);
            return false;
        }
        if (arm) lock (gate) RearmLocked();
        return true;
    }

    private static void CloseOwned(int fd)
    {
        if (fd >= 0) PortInterop.Close(fd);
    }

    /// <summary>I/O thread, on EPOLLOUT: sends what waited, as far as the socket takes it.</summary>
    private void FlushBacklog()
    {
        string? failure = null;
        bool drained;
        lock (outGate)
        {
            while (backlog is { Count: > 0 })
            {
                var (buffer, length, fd) = backlog.Peek();
                int sent;
                try { sent = fd < 0 ? PortSocket.Send(socket, buffer.AsSpan(0, length), dontWait: true) : PortSocket.SendWithDescriptor(socket, buffer.AsSpan(0, length), fd, dontWait: true); }
                catch (ObjectDisposedException) { return; }
                if (PortSocket.WouldBlock(sent)) break;
                if (sent != length) { failure = sent >= 0 ? "short send" : "send failed: " + PortSocket.Describe(sent); break; }
                backlog.Dequeue();
                ArrayPool<byte>.Shared.Return(buffer);
                CloseOwned(fd);
                Volatile.Write(ref backlogBytes, backlogBytes - length);
            }
            drained = backlogBytes == 0;
        }
        if (failure is not null) { Close(failure); return; }
        lock (gate) RearmLocked();
        if (drained) ResumeLane();
    }

    /// <summary>At the end: what never left goes back to the pool.</summary>
    private void ReleaseBacklog()
    {
        lock (outGate)
        {
            while (backlog is { Count: > 0 })
            {
                var (buffer, _, fd) = backlog.Dequeue();
                ArrayPool<byte>.Shared.Return(buffer);
                CloseOwned(fd);
            }
            Volatile.Write(ref backlogBytes, 0);
        }
    }
}
