// FltLib's communication port calls: FilterConnectCommunicationPort, FilterSendMessage, FilterGetMessage
// (synchronous and asynchronous) and FilterReplyMessage. Each throws FilterException with the Windows
// HRESULT; the Try* forms return the HRESULT instead, for hot loops.
using System.Buffers.Binary;
using Altitude.Ports.Wire;

namespace Altitude.FilterLib;

/// <summary>The user-mode side of communication ports (fltuser.h).</summary>
public static partial class FltLib
{
    /// <summary>FLT_PORT_FLAG_SYNC_HANDLE. Accepted; every handle here supports both sync and async calls.</summary>
    public const uint FltPortFlagSyncHandle = 1;

    /// <summary>
    /// FilterConnectCommunicationPort. <paramref name="portName"/> like <c>\ScannerPort</c>; the socket is looked
    /// up in <paramref name="portDirectory"/>, else $ALTITUDE_PORT_DIRECTORY, else /run/altitude/ports.
    /// <paramref name="context"/> (at most 65535 bytes) reaches ConnectNotify. Throws with 0x80070002 (no such
    /// port), 0x80070005 (the descriptor does not admit the caller), 0x800704D6 (MaxConnections reached), the
    /// converted status of a refusing ConnectNotify, or E_INVALIDARG.
    /// </summary>
    public static FilterPortHandle FilterConnectCommunicationPort(string portName, uint options = 0, ReadOnlySpan<byte> context = default, string? portDirectory = null)
    {
        int hr = TryFilterConnectCommunicationPort(portName, options, context, out var port, portDirectory);
        FilterException.ThrowIfFailed(hr, $"FilterConnectCommunicationPort({portName})");
        return port!;
    }

    /// <inheritdoc cref="FilterConnectCommunicationPort"/>
    public static int TryFilterConnectCommunicationPort(string portName, uint options, ReadOnlySpan<byte> context, out FilterPortHandle? port, string? portDirectory = null)
    {
        port = null;
        if (options > FltPortFlagSyncHandle || context.Length > FrameHeader.MaxContext) return HResults.InvalidArgument;
        string? path = PortName.ToSocketPath(PortName.ClientDirectory(portDirectory), portName);
        if (path is null) return HResults.InvalidArgument;
        int hr = PortConnection.Connect(path, context, out var connection);
        if (hr != HResults.S_OK) return hr;
        port = new FilterPortHandle(connection!);
        return HResults.S_OK;
    }

    /// <summary>
    /// FilterSendMessage: runs the port's MessageNotify with <paramref name="inBuffer"/> and returns the bytes
    /// it wrote to <paramref name="outBuffer"/>. Throws with MessageNotify's converted status, E_INVALIDARG
    /// for a port without MessageNotify, 0x80070006 when the port is disconnected.
    /// </summary>
    public static int FilterSendMessage(FilterPortHandle port, ReadOnlySpan<byte> inBuffer, Memory<byte> outBuffer)
    {
        int hr = TryFilterSendMessage(port, inBuffer, outBuffer, out int bytesReturned);
        FilterException.ThrowIfFailed(hr, "FilterSendMessage");
        return bytesReturned;
    }

    /// <inheritdoc cref="FilterSendMessage"/>
    public static int TryFilterSendMessage(FilterPortHandle port, ReadOnlySpan<byte> inBuffer, Memory<byte> outBuffer, out int bytesReturned)
    {
        bytesReturned = 0;
        if (inBuffer.Length > FrameHeader.MaxPayload) return HResults.InvalidArgument;
        if (!TryConnection(port, out var c)) return HResults.InvalidHandle;
        var r = PortRequest.Rent(c, outBuffer, isAsync: false);
        return Run(c, r, new FrameHeader(FrameKind.Send, value: (uint)Math.Min(outBuffer.Length, FrameHeader.MaxPayload)), inBuffer, out bytesReturned);
    }

    /// <summary>
    /// FilterGetMessage, blocking until a FltSendMessage arrives. <paramref name="buffer"/> receives
    /// FILTER_MESSAGE_HEADER (16 bytes) and the message; returns 16 + message size. Too small a buffer throws
    /// ERROR_INSUFFICIENT_BUFFER (<see cref="FilterException.RequiredSize"/> says how much) and the message stays
    /// queued for the next get. Throws 0x80070006 when the filter closes the port or unloads, 0x800703E3 when
    /// the handle is closed meanwhile.
    /// </summary>
    public static int FilterGetMessage(FilterPortHandle port, Memory<byte> buffer)
    {
        int hr = TryFilterGetMessage(port, buffer, out int bytes);
        FilterException.ThrowIfFailed(hr, "FilterGetMessage", hr == HResults.InsufficientBuffer ? bytes : 0);
        return bytes;
    }

    /// <summary><see cref="FilterGetMessage"/> returning the HRESULT; on ERROR_INSUFFICIENT_BUFFER <paramref name="bytes"/> is the size needed.</summary>
    public static int TryFilterGetMessage(FilterPortHandle port, Memory<byte> buffer, out int bytes)
    {
        bytes = 0;
        if (!TryConnection(port, out var c)) return HResults.InvalidHandle;
        var r = PortRequest.Rent(c, buffer, isAsync: false);
        return Run(c, r, new FrameHeader(FrameKind.Get, value: (uint)buffer.Length), default, out bytes);
    }

    /// <summary>
    /// FilterGetMessage with an OVERLAPPED, as a task: any number may be outstanding on one handle, and each
    /// completes with one message (in no particular order). Cancelling <paramref name="cancellationToken"/>
    /// withdraws the get (0x800703E3) unless a message already went to it. Errors as <see cref="FilterGetMessage"/>.
    /// </summary>
    public static ValueTask<int> FilterGetMessageAsync(FilterPortHandle port, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!TryConnection(port, out var c)) return ValueTask.FromException<int>(new FilterException(HResults.InvalidHandle, "FilterGetMessage failed"));
        var r = PortRequest.Rent(c, buffer, isAsync: true);
        var task = r.AsValueTask();
        int hr = c.Start(r, new FrameHeader(FrameKind.Get, value: (uint)buffer.Length), default);
        if (hr != HResults.S_OK) r.Complete(hr, 0);
        else r.RegisterCancellation(cancellationToken);
        return task;
    }

    /// <summary>
    /// FilterReplyMessage: <paramref name="reply"/> is FILTER_REPLY_HEADER (16 bytes) then the payload; pass
    /// exactly 16 + payload size. Throws 0x801F0020 (ERROR_FLT_NO_WAITER_FOR_REPLY) for an unknown, late or
    /// duplicate reply or a message sent without a reply buffer, 0x800700EA when the payload was larger than
    /// the sender's buffer (it received the first part), 0x80070006 when the port is disconnected.
    /// </summary>
    public static void FilterReplyMessage(FilterPortHandle port, ReadOnlySpan<byte> reply)
    {
        int hr = TryFilterReplyMessage(port, reply);
        FilterException.ThrowIfFailed(hr, "FilterReplyMessage");
    }

    /// <inheritdoc cref="FilterReplyMessage"/>
    public static int TryFilterReplyMessage(FilterPortHandle port, ReadOnlySpan<byte> reply)
    {
        if (reply.Length < FilterReplyHeader.Size || reply.Length - FilterReplyHeader.Size > FrameHeader.MaxPayload) return HResults.InvalidArgument;
        if (!TryConnection(port, out var c)) return HResults.InvalidHandle;
        // Tag 0: no ReplyResult; the connection checks the id against the messages it still owes.
        var h = new FrameHeader(FrameKind.Reply,
            messageId: BinaryPrimitives.ReadUInt64LittleEndian(reply.Slice(8)),
            value: (uint)(reply.Length - FilterReplyHeader.Size),
            status: BinaryPrimitives.ReadInt32LittleEndian(reply));
        return c.Reply(h, reply.Slice(FilterReplyHeader.Size));
    }

    private static bool TryConnection(FilterPortHandle port, out PortConnection connection)
    {
        ArgumentNullException.ThrowIfNull(port);
        connection = port.Connection;
        return !port.IsClosed;
    }

    private static int Run(PortConnection c, PortRequest r, in FrameHeader header, ReadOnlySpan<byte> payload, out int bytes)
    {
        int hr = c.Start(r, header, payload);
        if (hr != HResults.S_OK)
        {
            bytes = 0;
            r.Return();
            return hr;
        }
        c.Wait(r);
        hr = r.HResult;
        bytes = r.Bytes;
        r.Return();
        return hr;
    }
}
