// A port client on a raw SOCK_SEQPACKET socket, written from docs/port-protocol.md rather than from
// FilterLib, for the fuzz and protocol tests.
using System.Buffers.Binary;
using System.Net.Sockets;

namespace Altitude.Ports.Tests;

internal sealed class RawPortClient : IDisposable
{
    public const int HeaderSize = 32;
    public readonly Socket Socket;

    public RawPortClient(string socketPath)
    {
        Socket = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified) { ReceiveTimeout = 60_000 };
        Socket.Connect(new UnixDomainSocketEndPoint(socketPath));
    }

    public static byte[] Frame(byte kind, uint tag = 0, ulong messageId = 0, uint value = 0, int status = 0, ReadOnlySpan<byte> payload = default, byte version = 4)
    {
        var f = new byte[HeaderSize + payload.Length];
        f[0] = kind;
        f[1] = version;
        BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(4), tag);
        BinaryPrimitives.WriteUInt64LittleEndian(f.AsSpan(8), messageId);
        BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(16), value);
        BinaryPrimitives.WriteInt32LittleEndian(f.AsSpan(20), status);
        payload.CopyTo(f.AsSpan(HeaderSize));
        return f;
    }

    /// <summary>Creates the host's port and connects a raw client that said Hello with <paramref name="version"/> and was admitted.</summary>
    public static RawPortClient Admitted(PortHost host, byte version = 4)
    {
        Assert.Equal(NtStatus.Success, host.Create());
        var raw = new RawPortClient(host.Port!.SocketPath);
        raw.Send(Frame(1, version: version));
        Assert.Equal(0, HResult(raw.Receive()!));
        return raw;
    }

    public static byte[] Hello(ReadOnlySpan<byte> context = default) => Frame(1, value: (uint)context.Length, payload: context);

    public void Send(byte[] frame) => Socket.Send(frame);

    /// <summary>The next record, or null at end of connection.</summary>
    public byte[]? Receive()
    {
        var buf = new byte[70_000];
        try
        {
            int n = Socket.Receive(buf);
            return n == 0 ? null : buf.AsSpan(0, n).ToArray();
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.TimedOut)
        {
            return e.SocketErrorCode == SocketError.TimedOut ? throw new TimeoutException("no answer from the port") : null;
        }
    }

    /// <summary>Reads until end of connection, returning the last frame seen (the Error frame, if the server sent one).</summary>
    public byte[]? DrainToEnd()
    {
        byte[]? last = null;
        while (Receive() is { } f) last = f;
        return last;
    }

    public static int HResult(byte[] frame) => BinaryPrimitives.ReadInt32LittleEndian(frame.AsSpan(24));

    public void Dispose() => Socket.Dispose();
}
