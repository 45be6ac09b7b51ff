// The server end of one connection (the client port a ConnectNotify receives): its socket, its queues,
// the handshake and the teardown. Reading: ClientPort.Receive.cs; output: ClientPort.Output.cs; the lane
// that runs its filter callbacks: ClientPort.Lane.cs; FltSendMessage: ClientPort.Send.cs and .Async.cs.
//
// A connection owns no thread and no receive buffer. While nobody waits on it, its descriptor sits in the
// ports' epoll set (PortDispatcher.cs); whoever reads it holds the read token and brings the buffers.
using Altitude.Ports;
using Altitude.Ports.Interop;
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

    private enum Phase : byte { AwaitingHello, Handshaking, Connected, Closed }

    private readonly SocketHandle socket;
    private readonly int fd;
    private readonly PortDispatcher dispatcher;
    private readonly ILogger logger;
    private readonly object gate = new();
    private readonly RingQueue<Credit> credits = new();
    private readonly RingQueue<PendingMessage> waiting = new();
    private readonly Dictionary<ulong, PendingMessage> awaitingReply = new();
    // Senders waiting to read the socket (ClientPort.Receive.cs), oldest first.
    private readonly RingQueue<PendingMessage> candidates = new();
    private readonly ManualResetEventSlim finished = new(false);
    private ulong key;
    private volatile Phase phase;   // changed under the gate; read without it only as a hint
    // MessageIds count per connection, from 1.
    private ulong nextMessageId;
    private bool closed;
    private bool accepted;
    private bool inHandshake = true;
    private object? connectionCookie;
    private bool registered;

    private struct Credit
    {
        public uint Tag;
        public int Capacity;
    }

    internal ClientPort(ServerPort serverPort, SocketHandle socket, PeerCredentials credentials, ILogger logger)
    {
        ServerPort = serverPort;
        this.socket = socket;
        fd = socket.Fd;
        Credentials = credentials;
        this.logger = logger;
        dispatcher = serverPort.Dispatcher;
        workers = dispatcher.Workers;
    }

    public ServerPort ServerPort { get; }
    /// <summary>The connecting process (SO_PEERCRED), fixed at connect. Compare with a pidfd if pid reuse matters.</summary>
    public PeerCredentials Credentials { get; }
    public int ProcessId => Credentials.ProcessId;
    public uint UserId => Credentials.UserId;
    public uint GroupId => Credentials.GroupId;
    /// <summary>False once either side closed the connection.</summary>
    public bool IsConnected { get { lock (gate) return !closed; } }

    internal long HelloDeadline { get; private set; }
    /// <summary>A hint for the hello timer, read under the dispatcher's lock without this one (HelloTimedOut checks again).</summary>
    internal bool AwaitingHello => phase == Phase.AwaitingHello;

    /// <summary>I/O thread, right after the access check: the connection waits for its hello in the epoll set.</summary>
    internal void BeginHandshake()
    {
        HelloDeadline = Environment.TickCount64 + (long)dispatcher.HelloTimeout.TotalMilliseconds;
        lock (gate)
        {
            // Closed already (an unload between accept and here): Finish has nothing to unregister.
            if (closed) return;
            armed = PortInterop.EpollIn | PortInterop.EpollRdHup;
            key = dispatcher.Register(this, fd, armed | PortInterop.EpollOneShot);
            registered = true;
        }
        dispatcher.AddHandshake(this);
    }

    /// <summary>I/O thread: the hello did not come in time.</summary>
    internal void HelloTimedOut()
    {
        lock (gate) if (phase != Phase.AwaitingHello) return;
        Log("sent no hello within the timeout");
        Close(null);
    }

    /// <summary>I/O thread: the first record. Anything but a valid hello closes the connection with an Error frame.</summary>
    private void ReadHello()
    {
        var buffer = dispatcher.IoBuffers.First;
        int n;
        try { n = PortSocket.Receive(socket, buffer, dontWait: true); }
        catch (ObjectDisposedException) { return; }
        if (PortSocket.WouldBlock(n)) { lock (gate) RearmLocked(); return; }
        if (n <= 0) { Log(n == 0 ? "closed before its hello" : "no hello: " + PortSocket.Describe(n)); Close(null); return; }
        if (n == buffer.Length) { ProtocolError("oversized hello frame"); return; }
        var frame = buffer.AsSpan(0, n);
        if (!FrameHeader.TryRead(frame, out var h, out var reason)) { ProtocolError(reason!); return; }
        if (h.Kind != FrameKind.Hello) { ProtocolError($"frame {FrameHeader.Describe(h.Kind)} before the hello"); return; }
        var context = frame.Slice(FrameHeader.Size);
        if (h.Value != context.Length || context.Length > FrameHeader.MaxContext || h.Tag != 0 || h.MessageId != 0 || h.Status != 0 || h.HResult != 0)
        {
            ProtocolError("malformed hello (context length or zero fields)");
            return;
        }
        lock (gate)
        {
            if (closed) return;
            phase = Phase.Handshaking;
        }
        // The handshake item owns the copy from here on, also if the connection closes meanwhile.
        var work = new HandshakeWork(this, System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(1, context.Length)), context.Length);
        context.CopyTo(work.Context);
        Post(work);
    }

    /// <summary>
    /// Lane: the connection limit, ConnectNotify and the HelloResult. When every slot is taken but a client
    /// already hung up, the handshake waits (off the lane, holding no worker) until that connection's slot is
    /// free, and runs again.
    /// </summary>
    private void RunHandshake(HandshakeWork work)
    {
        lock (gate)
        {
            if (closed)
            {
                work.Release();
                if (work.SlotGranted) { work.SlotGranted = false; ServerPort.ReleaseSlot(); }
                return;
            }
        }
        NtStatus status = ServerPort.TryReserveSlot(this, work, out bool parked);
        if (parked) return;
        var context = work.Context.AsSpan(0, work.Length);
        if (status.IsSuccess())
        {
            try
            {
                status = ServerPort.ConnectNotify(this, context, out connectionCookie);
            }
            catch (Exception e)
            {
                ServerPort.Manager.ReportFault(null, null, $"ConnectNotify of port {ServerPort.Name} threw", e, ServerPort.Filter);
                status = NtStatus.UnhandledException;
            }
            // A warning is not a success for a connect.
            if (!status.IsSuccess() || status.IsWarning()) ServerPort.ReleaseSlot();
            else
            {
                accepted = true;
                Interlocked.Increment(ref ServerPort.Counters.Accepted);
                if (!ServerPort.Admit(this))
                {
                    // The port closed for unload while ConnectNotify ran: the connection was accepted, so it
                    // gets its DisconnectNotify; the client learns at once that the port is gone.
                    status = NtStatus.PortDisconnected;
                }
            }
        }
        work.Release();
        if (status.IsSuccess() && !status.IsWarning()) status = NtStatus.Success;
        Emit(new FrameHeader(FrameKind.HelloResult, status: (int)status, hresult: StatusMapping.ToHResult(status)), default);
        LeaveHandshake();
        if (status != NtStatus.Success)
        {
            Interlocked.Increment(ref ServerPort.Counters.Refused);
            logger.LogInformation("Port {Port}: connect from {Peer} refused with {Status}", ServerPort.Name, Credentials.ToString(), status.Describe());
            Close(null);
            return;
        }
        lock (gate)
        {
            if (closed) return;
            phase = Phase.Connected;
            RearmLocked();
        }
    }

    private void LeaveHandshake()
    {
        lock (gate)
        {
            if (!inHandshake) return;
            inHandshake = false;
        }
        ServerPort.HandshakeDone(this);
    }

    /// <summary>Waits until the connection finished (its DisconnectNotify returned), bounded; not from its own lane.</summary>
    internal void WaitFinished(TimeSpan limit)
    {
        if (ReferenceEquals(runningLane, this)) return;
        if (!finished.Wait(limit))
            logger.LogError("Port {Port}: connection ({Peer}) did not finish its DisconnectNotify within {Limit}", ServerPort.Name, Credentials.ToString(), limit);
    }

    /// <summary>True when the client closed its end (without reading anything); MaxConnections reaps such connections.</summary>
    internal bool PeerHungUp()
    {
        bool added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            return PortInterop.PeerHungUp(fd);
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
        finally
        {
            if (added) socket.DangerousRelease();
        }
    }

    /// <summary>
    /// Ends the connection: later sends fail with PORT_DISCONNECTED, blocked senders wake with it, queued
    /// FilterSendMessage calls that did not start are dropped, and the lane runs DisconnectNotify last.
    /// Idempotent; never blocks on the peer.
    /// </summary>
    internal void Close(string? reason)
    {
        List<PendingMessage>? publish = null;
        lock (gate)
        {
            if (closed) return;
            closed = true;
            phase = Phase.Closed;
            for (int i = 0; i < waiting.Count; i++) Disconnect(waiting[i], ref publish);
            waiting.Clear();
            foreach (var m in awaitingReply.Values) Disconnect(m, ref publish);
            awaitingReply.Clear();
            credits.Clear();
            // Waiting senders wake and see the close; none of them will read any more.
            for (int i = 0; i < candidates.Count; i++) candidates[i].Signal.Set();
            candidates.Clear();
        }
        // Async senders learn PORT_DISCONNECTED outside the gate (their continuations run on the lane or here).
        if (publish is not null) foreach (var m in publish) Complete(m);
        if (reason is not null) logger.LogInformation("Port {Port}: closing connection ({Peer}): {Reason}", ServerPort.Name, Credentials.ToString(), reason);
        // Wakes a sender blocked in recv (it returns 0); the descriptor is closed when the lane finishes.
        bool added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            PortInterop.Shutdown(fd);
        }
        catch (ObjectDisposedException) { }
        finally
        {
            if (added) socket.DangerousRelease();
        }
        // No longer in the handshake, at once: the cap counts live handshakes only.
        LeaveHandshake();
        DropQueuedSends();
        Post(new FinishWork(this));
    }

    private void Disconnect(PendingMessage m, ref List<PendingMessage>? publish)
    {
        m.State = MessageState.Disconnected;
        if (!m.IsAsync) m.Signal.Set();
        else if (DecideLocked(m, NtStatus.PortDisconnected)) (publish ??= new()).Add(m);
    }

    /// <summary>Lane, last item: DisconnectNotify (accepted connections only), then the slot and the descriptor are freed.</summary>
    private void Finish()
    {
        if (accepted)
        {
            try { ServerPort.DisconnectNotify(connectionCookie); }
            catch (Exception e) { ServerPort.Manager.ReportFault(null, null, $"DisconnectNotify of port {ServerPort.Name} threw", e, ServerPort.Filter); }
        }
        LeaveHandshake();
        // The slot is freed only after DisconnectNotify returned (the scanner sample relies on it).
        ServerPort.Remove(this, accepted);
        bool unregister;
        lock (gate) { unregister = registered; registered = false; }
        if (unregister) dispatcher.Unregister(fd, key);
        ReleaseBacklog();
        socket.Dispose();
        finished.Set();
    }

    /// <summary>Logs a protocol violation, tells the peer why (best effort), and closes this connection only.</summary>
    private void ProtocolError(string reason)
    {
        logger.LogWarning("Port {Port}: protocol error from {Peer}: {Reason}; closing the connection", ServerPort.Name, Credentials.ToString(), reason);
        Span<byte> frame = stackalloc byte[FrameHeader.Size + 128];
        int len = System.Text.Encoding.UTF8.GetBytes(reason.AsSpan(0, Math.Min(reason.Length, 128)), frame.Slice(FrameHeader.Size));
        new FrameHeader(FrameKind.Error, status: (int)NtStatus.InvalidParameter, hresult: StatusMapping.ToHResult(NtStatus.InvalidParameter), value: (uint)len).Write(frame);
        EmitRaw(frame.Slice(0, FrameHeader.Size + len));
        Close("protocol error: " + reason);
    }

    private void Log(string what) => logger.LogDebug("Port {Port}: connection ({Peer}) {What}", ServerPort.Name, Credentials.ToString(), what);

    internal sealed class HandshakeWork(ClientPort port, byte[] context, int length) : ILaneWork
    {
        public readonly ClientPort Port = port;
        public byte[] Context = context;
        public readonly int Length = length;
        /// <summary>A freed slot was handed to this handshake while it waited (under the server port's gate).</summary>
        public bool SlotGranted;
        public bool IsSend => false;
        public void Run() => Port.RunHandshake(this);
        public void Drop() { }

        public void Release()
        {
            var c = Interlocked.Exchange(ref Context, Array.Empty<byte>());
            if (c.Length > 0) System.Buffers.ArrayPool<byte>.Shared.Return(c);
        }
    }

    /// <summary>A handshake that waited for a slot runs again (ServerPort.Remove).</summary>
    internal void Retry(HandshakeWork work) => Post(work);

    private sealed class FinishWork(ClientPort port) : ILaneWork
    {
        public bool IsSend => false;
        public void Run() => port.Finish();
        public void Drop() { }
    }

    public override string ToString() => $"{ServerPort.Name} <- {Credentials}";
}
