// The client end of a port connection: the socket, the receive thread that matches answers to waiting
// calls by tag, and the handshake. Wire format: docs/port-protocol.md.
using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Altitude.Ports.Wire;

namespace Altitude.FilterLib;

internal sealed class PortConnection
{
    private readonly Socket socket;
    private readonly object gate = new();
    private readonly Dictionary<uint, PortRequest> pending = new();
    private uint nextTag;
    private int closedHResult;   // 0 while connected

    private PortConnection(Socket socket) { this.socket = socket; }

    public IntPtr SocketHandle => socket.Handle;
    public bool IsConnected { get { lock (gate) return closedHResult == 0; } }
    public string? ServerReason { get; private set; }

    /// <summary>Connects, sends the hello with the context and waits for the connect's outcome.</summary>
    public static int Connect(string path, ReadOnlySpan<byte> context, out PortConnection? connection)
    {
        connection = null;
        var socket = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            return e.SocketErrorCode switch
            {
                SocketError.AccessDenied => HResults.AccessDenied,
                // No socket file, or a leftover file nobody listens on: no such port.
                _ => HResults.FileNotFound,
            };
        }
        // Exactly one byte more than the largest frame (a pooled array may be longer), so a full read means a cut record.
        byte[] buffer = GC.AllocateUninitializedArray<byte>(FrameHeader.MaxFrame + 1);
        {
            new FrameHeader(FrameKind.Hello, value: (uint)context.Length).Write(buffer);
            context.CopyTo(buffer.AsSpan(FrameHeader.Size));
            int sent = socket.Send(buffer.AsSpan(0, FrameHeader.Size + context.Length), SocketFlags.None, out var err);
            if (err != SocketError.Success || sent != FrameHeader.Size + context.Length) { socket.Dispose(); return HResults.FileNotFound; }
            int n = socket.Receive(buffer, SocketFlags.None, out err);
            if (err != SocketError.Success || n == 0) { socket.Dispose(); return HResults.FileNotFound; }
            if (!FrameHeader.TryRead(buffer.AsSpan(0, n), out var h, out _) || h.Kind is not (FrameKind.HelloResult or FrameKind.Error))
            {
                socket.Dispose();
                return HResults.InvalidHandle;
            }
            if (h.Kind == FrameKind.Error || h.HResult != 0)
            {
                socket.Dispose();
                return h.HResult != 0 ? h.HResult : HResults.InvalidHandle;
            }
        }
        connection = new PortConnection(socket);
        new Thread(connection.ReceiveLoop) { IsBackground = true, Name = "altitude-filterlib" }.Start();
        return HResults.S_OK;
    }

    /// <summary>Registers a request under a fresh tag and sends its frame. An HRESULT if either failed (the request is then not registered).</summary>
    public int Start(PortRequest request, in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var h = header;
        lock (gate)
        {
            if (closedHResult != 0) return closedHResult;
            do { h.Tag = ++nextTag; } while (h.Tag == 0 || pending.ContainsKey(h.Tag));
            request.Tag = h.Tag;
            pending.Add(h.Tag, request);
        }
        if (Send(h, payload)) return HResults.S_OK;
        lock (gate)
        {
            // Already completed by a close that raced with us? Then the close owns the answer.
            if (!pending.Remove(h.Tag)) return HResults.S_OK;
        }
        return HResults.InvalidHandle;
    }

    /// <summary>Sends one record (SOCK_SEQPACKET: atomic, no lock needed).</summary>
    public bool Send(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        int len = FrameHeader.Size + payload.Length;
        byte[] frame = ArrayPool<byte>.Shared.Rent(len);
        header.Write(frame);
        payload.CopyTo(frame.AsSpan(FrameHeader.Size));
        bool ok;
        try
        {
            ok = socket.Send(frame.AsSpan(0, len), SocketFlags.None, out var err) == len && err == SocketError.Success;
        }
        catch (ObjectDisposedException)
        {
            ok = false;
        }
        ArrayPool<byte>.Shared.Return(frame);
        return ok;
    }

    public void CancelGet(uint tag)
    {
        lock (gate) if (!pending.ContainsKey(tag)) return;
        Send(new FrameHeader(FrameKind.CancelGet, tag: tag), default);
    }

    private void ReceiveLoop()
    {
        // Exactly one byte more than the largest frame (a pooled array may be longer), so a full read means a cut record.
        byte[] buffer = GC.AllocateUninitializedArray<byte>(FrameHeader.MaxFrame + 1);
        try
        {
            while (true)
            {
                int n;
                SocketError err;
                try { n = socket.Receive(buffer, SocketFlags.None, out err); }
                catch (ObjectDisposedException) { break; }
                if (err != SocketError.Success || n == 0 || n == buffer.Length) break;
                var frame = buffer.AsSpan(0, n);
                if (!FrameHeader.TryRead(frame, out var h, out _)) break;
                if (!Dispatch(h, frame.Slice(FrameHeader.Size))) break;
            }
        }
        finally
        {
            // The server closed (the filter closed the port or unloaded): everything pending fails with E_HANDLE.
            Close(HResults.InvalidHandle);
        }
    }

    private bool Dispatch(in FrameHeader h, ReadOnlySpan<byte> payload)
    {
        if (h.Kind == FrameKind.Error)
        {
            ServerReason = System.Text.Encoding.UTF8.GetString(payload);
            return false;
        }
        PortRequest? r;
        lock (gate)
        {
            if (!pending.Remove(h.Tag, out r)) return h.Kind == FrameKind.ReplyResult || h.Kind == FrameKind.SendResult || h.Kind == FrameKind.GetResult;
        }
        switch (h.Kind)
        {
            case FrameKind.Message:
            {
                // The get's buffer: FILTER_MESSAGE_HEADER, then the sender's bytes.
                var dest = r.Buffer.Span;
                int bytes = FilterMessageHeader.Size + payload.Length;
                if (dest.Length < bytes) { r.Complete(HResults.InsufficientBuffer, bytes); return true; }
                BinaryPrimitives.WriteUInt32LittleEndian(dest, h.Value);
                BinaryPrimitives.WriteUInt32LittleEndian(dest.Slice(4), 0);
                BinaryPrimitives.WriteUInt64LittleEndian(dest.Slice(8), h.MessageId);
                payload.CopyTo(dest.Slice(FilterMessageHeader.Size));
                r.Complete(HResults.S_OK, bytes);
                return true;
            }
            case FrameKind.GetResult:
                r.Complete(h.HResult, (int)h.Value);
                return true;
            case FrameKind.SendResult:
            {
                int bytes = Math.Min(payload.Length, r.Buffer.Length);
                payload.Slice(0, bytes).CopyTo(r.Buffer.Span);
                r.Complete(h.HResult, bytes);
                return true;
            }
            case FrameKind.ReplyResult:
                r.Complete(h.HResult, 0);
                return true;
            default:
                r.Complete(HResults.InvalidHandle, 0);
                return false;
        }
    }

    /// <summary>Fails every pending call with <paramref name="hresult"/> and closes the socket. Idempotent.</summary>
    public void Close(int hresult)
    {
        PortRequest[] failed;
        lock (gate)
        {
            if (closedHResult != 0) return;
            closedHResult = hresult;
            failed = new PortRequest[pending.Count];
            pending.Values.CopyTo(failed, 0);
            pending.Clear();
        }
        foreach (var r in failed) r.Complete(hresult, 0);
        try { socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        socket.Dispose();
    }
}
