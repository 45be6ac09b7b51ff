// One connection to the control endpoint: sends a ControlRequest and reads the reply header and data. Thread-safe
// (the port handle is); the endpoint serves one request of a connection at a time, in order.
using Altitude.FilterLib.Control;
using Altitude.Ports.Wire;

namespace Altitude.FilterLib;

internal sealed class ControlConnection : IDisposable
{
    private readonly FilterPortHandle port;

    private ControlConnection(FilterPortHandle port) => this.port = port;

    /// <summary>Connects to the control socket (<see cref="ControlProtocol.ResolveSocketPath"/>): 0x80070002 when no daemon listens, 0x80070005 when the descriptor does not admit the caller.</summary>
    public static int Open(string? socketPath, out ControlConnection? connection)
    {
        connection = null;
        int hr = PortConnection.Connect(ControlProtocol.ResolveSocketPath(socketPath), default, out var c);
        if (hr != HResults.S_OK) return hr;
        connection = new ControlConnection(new FilterPortHandle(c!));
        return HResults.S_OK;
    }

    /// <summary>
    /// One call: the request, and a reply of at most <paramref name="dataCapacity"/> data bytes. Returns the reply's
    /// HRESULT (or the transport's), with <paramref name="value"/> and <paramref name="data"/> from the reply.
    /// </summary>
    public int Call(ControlRequest request, int dataCapacity, out uint value, out ReadOnlyMemory<byte> data)
    {
        value = 0;
        data = default;
        byte[] reply = new byte[ControlProtocol.ReplyHeaderSize + Math.Clamp(dataCapacity, 0, FrameHeader.MaxPayload - ControlProtocol.ReplyHeaderSize)];
        int hr = FltLib.TryFilterSendMessage(port, request.ToBytes(), reply, out int bytes);
        if (hr < 0) return hr;
        if (bytes < ControlProtocol.ReplyHeaderSize) return HResults.InvalidData;
        hr = BitConverter.ToInt32(reply, 0);
        value = BitConverter.ToUInt32(reply, 4);
        data = reply.AsMemory(ControlProtocol.ReplyHeaderSize, bytes - ControlProtocol.ReplyHeaderSize);
        return hr;
    }

    /// <summary>A call whose reply data is a UTF-16 string (an instance or volume name, a DOS name).</summary>
    public int CallForString(ControlRequest request, out string? text)
    {
        text = null;
        int hr = Call(request, (ControlProtocol.MaxVolumeNameChars + 1) * 2 * 4, out _, out var data);
        if (hr < 0) return hr;
        text = System.Text.Encoding.Unicode.GetString(data.Span);
        return hr;
    }

    /// <summary>
    /// A call that returns one information entry into <paramref name="buffer"/>: <paramref name="bytesReturned"/> is
    /// the entry's size, or with ERROR_INSUFFICIENT_BUFFER the size needed.
    /// </summary>
    public int CallForEntry(ControlRequest request, Span<byte> buffer, out int bytesReturned, out uint value)
    {
        bytesReturned = 0;
        int hr = Call(request, buffer.Length, out value, out var data);
        if (hr == HResults.InsufficientBuffer) { bytesReturned = (int)value; return hr; }
        if (hr < 0) return hr;
        data.Span.CopyTo(buffer);
        bytesReturned = data.Length;
        return hr;
    }

    public void Dispose() => port.Dispose();
}
