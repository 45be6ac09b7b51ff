// The communication port routines of a filter: FltCreateCommunicationPort, FltCloseCommunicationPort,
// FltCloseClientPort and FltSendMessage.
using Altitude.Ports.Wire;

namespace Altitude;

public sealed partial class Filter
{
    private readonly List<ServerPort> serverPorts = new();

    /// <summary>
    /// FltCreateCommunicationPort: creates a named listener that accepts connections at once. Fails with
    /// STATUS_INVALID_PARAMETER without OBJ_KERNEL_HANDLE, without a connect or disconnect callback, with
    /// <paramref name="maxConnections"/> &lt;= 0, or with a security descriptor that does not parse (the reason is
    /// logged); STATUS_OBJECT_NAME_INVALID for a name that maps to no socket path; STATUS_OBJECT_NAME_COLLISION
    /// when a port of that name exists; STATUS_FLT_DELETING_OBJECT while the filter unloads;
    /// STATUS_INSUFFICIENT_RESOURCES when the socket cannot be created.
    /// </summary>
    public NtStatus CreateCommunicationPort(ObjectAttributes objectAttributes, object? serverPortCookie,
        ConnectNotifyCallback connectNotify, DisconnectNotifyCallback disconnectNotify, MessageNotifyCallback? messageNotify,
        int maxConnections, out ServerPort? serverPort)
    {
        serverPort = null;
        if (objectAttributes is null || (objectAttributes.Attributes & ObjectAttributeFlags.KernelHandle) == 0) return NtStatus.InvalidParameter;
        if (connectNotify is null || disconnectNotify is null || maxConnections <= 0) return NtStatus.InvalidParameter;
        if (State is FilterState.Unloading or FilterState.Unloaded) return NtStatus.FltDeletingObject;
        string? path = PortName.ToSocketPath(Manager.Options.PortDirectory, objectAttributes.ObjectName);
        if (path is null) return NtStatus.ObjectNameInvalid;
        NtStatus st = Manager.CreateListeningPort(this, objectAttributes.ObjectName, path, objectAttributes.SecurityDescriptor, serverPortCookie,
            connectNotify, disconnectNotify, messageNotify, maxConnections, out var port);
        if (!st.IsSuccess()) return st;
        lock (serverPorts)
        {
            if (State is FilterState.Unloading or FilterState.Unloaded)
            {
                port!.StopListening();
                return NtStatus.FltDeletingObject;
            }
            serverPorts.Add(port!);
        }
        port!.Open();
        serverPort = port;
        return NtStatus.Success;
    }

    /// <summary>
    /// FltCloseCommunicationPort: stops new connections (the socket file goes away; clients get
    /// 0x80070002). Existing connections go on until either side closes them or the filter unloads.
    /// </summary>
    public void CloseCommunicationPort(ServerPort? serverPort)
    {
        if (serverPort is null || serverPort.Filter != this) return;
        serverPort.StopListening();
        lock (serverPorts) serverPorts.Remove(serverPort);
        lock (closedPortsWithConnections) closedPortsWithConnections.Add(serverPort);
    }

    // Ports closed by the filter whose connections may still live: unload must close those too.
    private readonly List<ServerPort> closedPortsWithConnections = new();

    /// <summary>
    /// FltCloseClientPort: closes one connection and sets the variable to null (read by concurrent
    /// SendMessage callers through the same reference). DisconnectNotify follows on the connection's
    /// thread unless it already ran. Never blocks.
    /// </summary>
    public void CloseClientPort(ref ClientPort? clientPort)
    {
        var port = Interlocked.Exchange(ref clientPort, null);
        port?.Close("closed by the filter");
    }

    /// <summary>
    /// FltSendMessage without a reply buffer: returns STATUS_SUCCESS once a FilterGetMessage took the message
    /// (the reader sees ReplyLength 0). See the overload with a reply buffer for the other statuses.
    /// </summary>
    public NtStatus SendMessage(ref ClientPort? clientPort, ReadOnlySpan<byte> senderBuffer, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var port = Volatile.Read(ref clientPort);
        if (port is null) return NtStatus.PortDisconnected;
        return port.SendMessage(senderBuffer, Span<byte>.Empty, false, out _, timeout, cancellationToken);
    }

    /// <summary>
    /// FltSendMessage with a reply buffer. Blocks until a FilterGetMessage takes the message (the sender waits
    /// for a reader; there is no queue-full error), then until FilterReplyMessage answers it.
    /// <paramref name="timeout"/> covers both: null waits forever, <see cref="TimeSpan.Zero"/> polls; on expiry the
    /// result is STATUS_TIMEOUT (a success code: test for it), an undelivered message is withdrawn and a late
    /// reply gets 0x801F0020. <paramref name="replyLength"/> is the reply payload copied; a larger reply gives
    /// STATUS_BUFFER_OVERFLOW with the first <c>replyBuffer.Length</c> bytes. STATUS_PORT_DISCONNECTED when the
    /// connection is gone before or during the wait (or the variable is null). Cancelling
    /// <paramref name="cancellationToken"/> (an interrupted file operation) withdraws the message and returns
    /// STATUS_CANCELLED. Never throws.
    /// </summary>
    public NtStatus SendMessage(ref ClientPort? clientPort, ReadOnlySpan<byte> senderBuffer, Span<byte> replyBuffer, out int replyLength,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        replyLength = 0;
        var port = Volatile.Read(ref clientPort);
        if (port is null) return NtStatus.PortDisconnected;
        return port.SendMessage(senderBuffer, replyBuffer, true, out replyLength, timeout, cancellationToken);
    }

    /// <summary>
    /// Altitude extension (no Windows equivalent; docs/deviations.md section 10): FltSendMessage without a
    /// blocked thread. Same rendezvous, statuses and timeout rules as <see cref="SendMessage(ref ClientPort?, ReadOnlySpan{byte}, Span{byte}, out int, TimeSpan?, CancellationToken)"/>
    /// (a null <paramref name="replyBuffer"/> is the overload without a reply buffer): the task completes when a
    /// get took the message (no reply buffer) or the reply arrived, with the status and the reply bytes copied
    /// to <paramref name="replyBuffer"/>; STATUS_TIMEOUT withdraws the message (a late reply gets 0x801F0020),
    /// cancelling returns STATUS_CANCELLED the same way, a closed connection STATUS_PORT_DISCONNECTED. Never
    /// throws. The continuation runs inline on the thread that completes it, usually the connection's reading
    /// thread: it may send again (sync or async) but must not block for long, as frames of this connection
    /// wait meanwhile. Neither buffer may be touched until the task completes. Await each result once; the
    /// task is pooled (no allocation per message).
    /// </summary>
    public ValueTask<SendResult> SendMessageAsync(ref ClientPort? clientPort, ReadOnlyMemory<byte> senderBuffer, Memory<byte>? replyBuffer,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var port = Volatile.Read(ref clientPort);
        if (port is null) return new(new SendResult(NtStatus.PortDisconnected, 0));
        return port.SendMessageAsync(senderBuffer, replyBuffer, timeout, cancellationToken);
    }

    /// <summary>Unload: every port stops listening and every connection is closed, each after its DisconnectNotify (waited for until <paramref name="deadline"/>).</summary>
    internal void CloseCommunicationPortsForUnload(long deadline)
    {
        ServerPort[] ports;
        lock (serverPorts) { ports = serverPorts.ToArray(); serverPorts.Clear(); }
        ServerPort[] closed;
        lock (closedPortsWithConnections) { closed = closedPortsWithConnections.ToArray(); closedPortsWithConnections.Clear(); }
        foreach (var p in ports) p.CloseForUnload(deadline);
        foreach (var p in closed) p.CloseForUnload(deadline);
    }
}
