// The server end of one connection (the client port a ConnectNotify receives): its socket, its receive
// thread, its queues, and the handshake and teardown. Frames: ClientPort.Receive.cs; FltSendMessage:
// ClientPort.Send.cs.
using System.Buffers;
using System.Net.Sockets;
using Altitude.Ports;
using Altitude.Ports.Wire;
using Microsoft.Extensions.Logging;

namespace Altitude;

/// <summary>
/// PFLT_PORT for one client connection. Keep it (in a field) from ConnectNotify and pass that field by
/// reference to <see cref="Filter.SendMessage(ref ClientPort?, ReadOnlySpan{byte}, TimeSpan?, CancellationToken)"/>
/// and <see cref="Filter.CloseClientPort(ref ClientPort?)"/>.
/// </summary>
public sealed partial class ClientPort
{
    // Bounds a client cannot exceed without being disconnected: they cap what one peer can make us hold.
    internal const int MaxOutstandingGets = 4096;
    internal const int MaxOutstandingSends = 1024;
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);
    // A client that stops reading its socket for this long is disconnected rather than left to block us.
    private const int SendTimeoutMilliseconds = 10_000;

    private readonly Socket socket;
    private readonly ILogger logger;
    private readonly object gate = new();
    private readonly RingQueue<Credit> credits = new();
    private readonly RingQueue<PendingMessage> waiting = new();
    private readonly Dictionary<ulong, PendingMessage> awaitingReply = new();
    // Senders waiting to read the socket (ClientPort.Receive.cs), oldest first.
    private readonly RingQueue<PendingMessage> candidates = new();
    // Exactly one byte more than the largest frame (a full read means a cut record); used by the token holder only.
    private readonly byte[] receiveBuffer = GC.AllocateUninitializedArray<byte>(FrameHeader.MaxFrame + 1);
    // A second record the last read took because it was already there; handled by the next read (token holder only).
    private readonly byte[] readAheadBuffer = GC.AllocateUninitializedArray<byte>(FrameHeader.MaxFrame + 1);
    private int readAhead = -1;   // its length (0: EOF), or -1 for none
    // How long the connection thread waits without send activity before it takes the read token back.
    private const int ParkMilliseconds = 1;
    private readonly Thread thread;
    private readonly ManualResetEventSlim finished = new(false);
    private ulong nextMessageId;
    // The read token: only its holder calls recv(2). The connection thread holds it from the start (hello).
    private bool reading = true;
    // Counts FltSendMessage calls, so the connection thread stays parked while senders keep reading.
    private long activity;
    // The protocol version of the client's hello; every frame of the connection carries it.
    private byte version = FrameHeader.CurrentVersion;
    private int outstandingSends;
    private bool closed;
    private string? closeReason;
    private object? connectionCookie;

    private struct Credit
    {
        public uint Tag;
        public int Capacity;
    }

    internal ClientPort(ServerPort serverPort, Socket socket, PeerCredentials credentials, ILogger logger)
    {
        ServerPort = serverPort;
        this.socket = socket;
        Credentials = credentials;
        this.logger = logger;
        thread = new Thread(Run) { IsBackground = true, Name = "altitude-port " + serverPort.Name };
    }

    public ServerPort ServerPort { get; }
    /// <summary>The connecting process (SO_PEERCRED), fixed at connect. Compare with a pidfd if pid reuse matters.</summary>
    public PeerCredentials Credentials { get; }
    public int ProcessId => Credentials.ProcessId;
    public uint UserId => Credentials.UserId;
    public uint GroupId => Credentials.GroupId;
    /// <summary>False once either side closed the connection.</summary>
    public bool IsConnected { get { lock (gate) return !closed; } }

    internal void Start() => thread.Start();

    /// <summary>Waits until the receive thread ran DisconnectNotify (bounded; not from that thread itself).</summary>
    internal void WaitFinished(TimeSpan limit)
    {
        if (Thread.CurrentThread == thread) return;
        if (!finished.Wait(limit))
            logger.LogError("Port {Port}: connection ({Peer}) did not finish its DisconnectNotify within {Limit}", ServerPort.Name, Credentials.ToString(), limit);
    }

    private void Run()
    {
        bool accepted = false;
        try
        {
            accepted = Handshake(receiveBuffer);
            if (accepted) ReceiveLoop();
        }
        catch (Exception e)
        {
            // Nothing a peer sends may take the daemon down; log and drop this connection only.
            logger.LogError(e, "Port {Port}: connection ({Peer}) failed", ServerPort.Name, Credentials.ToString());
            Close("internal error: " + e.GetType().Name);
        }
        finally
        {
            Close(null);
            try { socket.Dispose(); } catch (ObjectDisposedException) { }
            if (accepted)
            {
                try { ServerPort.DisconnectNotify(connectionCookie); }
                catch (Exception e) { ServerPort.Filter.Manager.ReportFault(null, null, $"DisconnectNotify of port {ServerPort.Name} threw", e, ServerPort.Filter); }
            }
            // The slot is freed only after DisconnectNotify returned (the scanner sample relies on it).
            ServerPort.Remove(this, accepted);
            finished.Set();
        }
    }

    /// <summary>Reads the hello, runs the access check, the connection limit and ConnectNotify, and answers.</summary>
    private bool Handshake(byte[] buffer)
    {
        socket.ReceiveTimeout = (int)HelloTimeout.TotalMilliseconds;
        int n = socket.Receive(buffer, SocketFlags.None, out var error);
        socket.ReceiveTimeout = 0;
        if (error != SocketError.Success || n == 0) { Log(error == SocketError.Success ? "closed before its hello" : "no hello: " + error); return false; }
        var frame = buffer.AsSpan(0, n);
        if (n == buffer.Length) { ProtocolError("oversized hello frame"); return false; }
        if (!FrameHeader.TryRead(frame, out var h, out var reason)) { ProtocolError(reason!); return false; }
        version = h.Version;
        if (h.Kind != FrameKind.Hello) { ProtocolError($"frame kind {h.Kind} before the hello"); return false; }
        var context = frame.Slice(FrameHeader.Size);
        if (h.Value != context.Length || context.Length > FrameHeader.MaxContext || h.Tag != 0 || h.MessageId != 0 || h.Status != 0 || h.HResult != 0)
        {
            ProtocolError("malformed hello (context length or zero fields)");
            return false;
        }

        NtStatus status;
        if (!ServerPort.AccessCheck(Credentials)) status = NtStatus.AccessDenied;
        else status = ServerPort.TryReserveSlot();
        if (status.IsSuccess())
        {
            try
            {
                status = ServerPort.ConnectNotify(this, context, out connectionCookie);
            }
            catch (Exception e)
            {
                ServerPort.Filter.Manager.ReportFault(null, null, $"ConnectNotify of port {ServerPort.Name} threw", e, ServerPort.Filter);
                status = NtStatus.UnhandledException;
            }
            // A warning is not a success for a connect.
            if (!status.IsSuccess() || status.IsWarning()) ServerPort.ReleaseSlot();
            else if (!ServerPort.Admit(this))
            {
                // The port closed for unload while ConnectNotify ran: the connection was accepted, so it
                // gets its DisconnectNotify; the client learns at once that the port is gone.
                Send(new FrameHeader(FrameKind.HelloResult, status: (int)NtStatus.PortDisconnected, hresult: StatusMapping.ToHResult(NtStatus.PortDisconnected)), default);
                return true;
            }
        }
        if (status.IsSuccess() && !status.IsWarning()) status = NtStatus.Success;
        Send(new FrameHeader(FrameKind.HelloResult, status: (int)status, hresult: StatusMapping.ToHResult(status)), default);
        if (status != NtStatus.Success)
        {
            logger.LogInformation("Port {Port}: connect from {Peer} refused with {Status}", ServerPort.Name, Credentials.ToString(), status.Describe());
            return false;
        }
        return true;
    }

    /// <summary>
    /// Ends the connection: later sends fail with PORT_DISCONNECTED, blocked senders wake with it, and the
    /// receive thread runs DisconnectNotify. Idempotent; never blocks on the peer.
    /// </summary>
    internal void Close(string? reason)
    {
        List<PendingMessage>? publish = null;
        lock (gate)
        {
            if (closed) return;
            closed = true;
            closeReason = reason;
            for (int i = 0; i < waiting.Count; i++) Disconnect(waiting[i], ref publish);
            waiting.Clear();
            foreach (var m in awaitingReply.Values) Disconnect(m, ref publish);
            awaitingReply.Clear();
            credits.Clear();
            candidates.Clear();
            Monitor.PulseAll(gate);
        }
        // Async senders learn PORT_DISCONNECTED outside the gate (their continuations run here).
        if (publish is not null) foreach (var m in publish) m.Publish();
        if (reason is not null) logger.LogInformation("Port {Port}: closing connection ({Peer}): {Reason}", ServerPort.Name, Credentials.ToString(), reason);
        // Wakes the receive thread (recv returns 0); the socket itself is disposed by that thread.
        try { socket.Shutdown(SocketShutdown.Both); }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
    }

    private void Disconnect(PendingMessage m, ref List<PendingMessage>? publish)
    {
        m.State = MessageState.Disconnected;
        if (!m.IsAsync) m.Signal.Set();
        else if (DecideLocked(m, NtStatus.PortDisconnected)) (publish ??= new()).Add(m);
    }

    /// <summary>Logs a protocol violation, tells the peer why (best effort), and closes this connection only.</summary>
    private void ProtocolError(string reason)
    {
        logger.LogWarning("Port {Port}: protocol error from {Peer}: {Reason}; closing the connection", ServerPort.Name, Credentials.ToString(), reason);
        Span<byte> frame = stackalloc byte[FrameHeader.Size + 128];
        int len = System.Text.Encoding.UTF8.GetBytes(reason.AsSpan(0, Math.Min(reason.Length, 128)), frame.Slice(FrameHeader.Size));
        new FrameHeader(FrameKind.Error, status: (int)NtStatus.InvalidParameter, hresult: StatusMapping.ToHResult(NtStatus.InvalidParameter), value: (uint)len) { Version = version }.Write(frame);
        SendRaw(frame.Slice(0, FrameHeader.Size + len));
        Close("protocol error: " + reason);
    }

    private void Log(string what) => logger.LogDebug("Port {Port}: connection ({Peer}) {What}", ServerPort.Name, Credentials.ToString(), what);

    /// <summary>Sends a header and payload as one record. False (and the connection closes) if it could not.</summary>
    private bool Send(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        int len = FrameHeader.Size + payload.Length;
        byte[] frame = ArrayPool<byte>.Shared.Rent(len);
        var h = header;
        h.Version = version;
        h.Write(frame);
        payload.CopyTo(frame.AsSpan(FrameHeader.Size));
        bool ok = SendRaw(frame.AsSpan(0, len));
        ArrayPool<byte>.Shared.Return(frame);
        return ok;
    }

    /// <summary>
    /// One send(2) of a whole record. SOCK_SEQPACKET writes each record atomically, so any thread may send
    /// without a lock. Returns a result instead of throwing; a failure closes the connection.
    /// </summary>
    internal bool SendRaw(ReadOnlySpan<byte> frame)
    {
        int sent;
        try
        {
            sent = PortSocket.Send(socket.SafeHandle, frame);
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        if (sent == frame.Length) return true;
        Close(sent >= 0 ? "short send" : "send failed: " + PortSocket.Describe(sent));
        return false;
    }

    internal void ConfigureSocket() => socket.SendTimeout = SendTimeoutMilliseconds;

    public override string ToString() => $"{ServerPort.Name} <- {Credentials}";
}
