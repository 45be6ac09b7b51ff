// The server port of FltCreateCommunicationPort: one AF_UNIX SOCK_SEQPACKET listener, its callbacks,
// its connection limit and its live connections. Accepting runs on the ports' I/O thread
// (PortDispatcher.cs), and the security check comes first: a peer the descriptor does not admit costs one
// non-blocking send of an Error frame and a close, nothing else.
using System.Net.Sockets;
using Altitude.Ports;
using Altitude.Ports.Interop;
using Altitude.Ports.Wire;
using Microsoft.Extensions.Logging;

namespace Altitude;

/// <summary>
/// PFLT_PORT for a server port. Close a filter's with <see cref="Filter.CloseCommunicationPort"/>; the Filter
/// Manager's own (the control endpoint, <see cref="FilterManager.CreateControlPort"/>) with
/// <see cref="FilterManager.CloseControlPort"/>.
/// </summary>
public sealed class ServerPort
{
    // How long unload waits for one port's DisconnectNotify calls at most (the unload's teardown deadline may end it sooner).
    private const long DisconnectLimitMilliseconds = 30_000;
    // Connections accepted per readiness event before other descriptors get their turn.
    private const int AcceptBatch = 64;

    private readonly Socket listener;
    private readonly SecurityDescriptor security;
    private readonly uint? adminGroup;
    private readonly ConnectNotifyCallback connectNotify;
    private readonly DisconnectNotifyCallback disconnectNotify;
    private readonly ILogger logger;
    private readonly PortDispatcher dispatcher;
    private readonly object gate = new();
    private readonly List<ClientPort> connections = new();   // accepted ones, until their DisconnectNotify returned
    private readonly List<ClientPort> all = new();           // every live socket, handshaking ones included
    private readonly List<ClientPort> handshakes = new();    // admitted, not yet connected, refused or closed
    // Handshakes waiting for the slot of a connection whose client hung up (TryReserveSlot).
    private readonly Queue<ClientPort.HandshakeWork> slotWaiters = new();
    private readonly int listenerFd;
    private ulong key;
    private bool registered;
    private int slots;
    private bool listening = true;
    private bool unloading;
    internal readonly PortCounters Counters = new();

    internal ServerPort(FilterManager manager, Filter? filter, string name, string socketPath, Socket listener, SecurityDescriptor security, uint? adminGroup,
        object? cookie, ConnectNotifyCallback connect, DisconnectNotifyCallback disconnect, MessageNotifyCallback? message, int maxConnections, ILogger logger)
    {
        Manager = manager; Filter = filter; Name = name; SocketPath = socketPath; this.listener = listener; this.security = security; this.adminGroup = adminGroup;
        ServerPortCookie = cookie; connectNotify = connect; disconnectNotify = disconnect; MessageNotify = message;
        MaxConnections = maxConnections; this.logger = logger;
        dispatcher = manager.PortDispatcher;
        listenerFd = (int)listener.SafeHandle.DangerousGetHandle();
        PortInterop.SetNonBlocking(listenerFd);
    }

    public FilterManager Manager { get; }
    /// <summary>The filter that created the port; null for a port of the Filter Manager itself (the control endpoint).</summary>
    public Filter? Filter { get; }
    /// <summary>The name as created (e.g. \ScannerPort).</summary>
    public string Name { get; }
    /// <summary>The listening socket's path (under the port directory for a filter's port).</summary>
    public string SocketPath { get; }
    public object? ServerPortCookie { get; }
    public int MaxConnections { get; }
    public SecurityDescriptor SecurityDescriptor => security;
    internal MessageNotifyCallback? MessageNotify { get; }
    internal PortDispatcher Dispatcher => dispatcher;
    /// <summary>Connections that count against MaxConnections.</summary>
    public int ConnectionCount { get { lock (gate) return slots; } }
    /// <summary>Connections accepted and admitted that have not finished their handshake.</summary>
    public int HandshakeCount { get { lock (gate) return handshakes.Count; } }
    /// <summary>False after CloseCommunicationPort or unload.</summary>
    public bool IsListening { get { lock (gate) return listening; } }

    /// <summary>The port's name now resolves to it, and it accepts connections.</summary>
    internal void Open()
    {
        Manager.BindPortName(SocketPath, this);
        StartListening();
    }

    private void StartListening()
    {
        lock (gate)
        {
            // Closed by an unload that came first: nothing to register (or to unregister later).
            if (!listening) return;
            key = dispatcher.Register(this, listenerFd, PortInterop.EpollIn | PortInterop.EpollOneShot);
            registered = true;
        }
    }

    internal void ArmListener()
    {
        // Under the gate: StopListening cannot close the descriptor between the check and the arm.
        lock (gate) if (listening) dispatcher.Arm(listenerFd, key, PortInterop.EpollIn);
    }

    /// <summary>
    /// I/O thread: accepts what is waiting (up to a batch). Each peer is checked against the descriptor from
    /// SO_PEERCRED before anything is spent on it; the handshake cap comes next. Then the connection waits
    /// for its hello in the epoll set.
    /// </summary>
    internal void OnAcceptable()
    {
        bool added = false;
        try
        {
            listener.SafeHandle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            return;   // closed meanwhile
        }
        bool rearm = true;
        try
        {
            for (int i = 0; i < AcceptBatch; i++)
            {
                int fd = PortInterop.Accept(listenerFd);
                if (fd == -PortInterop.Eagain) break;
                if (fd == -PortInterop.Econnaborted) continue;
                if (fd < 0)
                {
                    logger.LogError("Port {Port}: accept failed: {Error}; retrying in 100 ms", Name, System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(-fd));
                    dispatcher.DelayListener(this);
                    rearm = false;
                    break;
                }
                Admit(fd);
            }
        }
        finally
        {
            listener.SafeHandle.DangerousRelease();
        }
        if (rearm) ArmListener();
    }

    private void Admit(int fd)
    {
        if (!PortInterop.TryReadPeer(fd, out var creds))
        {
            logger.LogWarning("Port {Port}: no SO_PEERCRED for a new connection; closed", Name);
            PortInterop.Close(fd);
            return;
        }
        if (!security.AccessCheck(creds, adminGroup))
        {
            logger.LogInformation("Port {Port}: connect from {Peer} refused: the security descriptor does not admit it", Name, creds.ToString());
            Interlocked.Increment(ref Counters.Refused);
            Refuse(fd, NtStatus.AccessDenied, "access denied");
            return;
        }
        ClientPort? c = null;
        for (int attempt = 0; attempt < 2 && c is null; attempt++)
        {
            ClientPort[] waiting;
            lock (gate)
            {
                if (!listening) { PortInterop.Close(fd); return; }
                if (handshakes.Count < dispatcher.HandshakeLimit)
                {
                    c = new ClientPort(this, new SocketHandle(fd), creds, logger);
                    handshakes.Add(c);
                    all.Add(c);
                    break;
                }
                if (attempt > 0) break;
                waiting = handshakes.ToArray();
            }
            // At the cap: handshakes whose client already went away (their close not handled yet) do not count.
            bool reaped = false;
            foreach (var h in waiting)
                if (h.PeerHungUp()) { h.Close(null); reaped = true; }
            if (!reaped) break;
        }
        if (c is null)
        {
            logger.LogWarning("Port {Port}: connect from {Peer} refused: {Limit} connections are already in the handshake", Name, creds.ToString(), dispatcher.HandshakeLimit);
            Interlocked.Increment(ref Counters.Refused);
            Refuse(fd, NtStatus.InsufficientResources, "too many connections in the handshake");
            return;
        }
        c.BeginHandshake();
    }

    /// <summary>One Error frame, sent without waiting (a peer that does not read loses it), then the close.</summary>
    private static void Refuse(int fd, NtStatus status, string reason)
    {
        using var handle = new SocketHandle(fd);
        Span<byte> frame = stackalloc byte[FrameHeader.Size + 64];
        int len = System.Text.Encoding.UTF8.GetBytes(reason, frame.Slice(FrameHeader.Size));
        new FrameHeader(FrameKind.Error, value: (uint)len, status: (int)status, hresult: StatusMapping.ToHResult(status)).Write(frame);
        PortSocket.Send(handle, frame.Slice(0, FrameHeader.Size + len), dontWait: true);
    }

    /// <summary>
    /// Takes a MaxConnections slot for a connection in its handshake. When every slot is taken, connections
    /// whose client already closed its end are ended first, and the handshake waits (<paramref name="parked"/>,
    /// holding no thread) until one of their DisconnectNotify calls returned and freed a slot: a client that
    /// closes and reconnects at once finds its slot, as on Windows where the slot is freed at handle close,
    /// and the new ConnectNotify still runs after the old DisconnectNotify.
    /// </summary>
    internal NtStatus TryReserveSlot(ClientPort port, ClientPort.HandshakeWork work, out bool parked)
    {
        parked = false;
        ClientPort[] accepted;
        lock (gate)
        {
            // Closed while this client was connecting: to it the port no longer exists.
            if (!listening)
            {
                if (work.SlotGranted) { work.SlotGranted = false; slots--; }
                return NtStatus.ObjectNameNotFound;
            }
            // Handed over by the connection that freed it (Remove): already counted.
            if (work.SlotGranted) { work.SlotGranted = false; return NtStatus.Success; }
            if (slots < MaxConnections) { slots++; return NtStatus.Success; }
            accepted = connections.ToArray();
        }
        bool reaped = false;
        foreach (var c in accepted)
            if (c.PeerHungUp()) { c.Close(null); reaped = true; }
        lock (gate)
        {
            if (!listening) return NtStatus.ObjectNameNotFound;
            if (slots < MaxConnections) { slots++; return NtStatus.Success; }
            if (!reaped) return NtStatus.ConnectionCountLimit;
            slotWaiters.Enqueue(work);
            parked = true;
            return NtStatus.Pending;
        }
    }

    /// <summary>A slot taken for a connect that did not complete is free again (for a waiting handshake first).</summary>
    internal void ReleaseSlot()
    {
        ClientPort.HandshakeWork? next;
        lock (gate) next = FreeSlotLocked();
        next?.Port.Retry(next);
    }

    private ClientPort.HandshakeWork? FreeSlotLocked()
    {
        // The slot goes straight to a handshake that waited for it, else back to the pool.
        if (slotWaiters.Count > 0)
        {
            var next = slotWaiters.Dequeue();
            next.SlotGranted = true;
            return next;
        }
        slots--;
        return null;
    }

    internal NtStatus ConnectNotify(ClientPort port, ReadOnlySpan<byte> context, out object? cookie) =>
        connectNotify(port, ServerPortCookie, context, out cookie);

    internal void DisconnectNotify(object? cookie) => disconnectNotify(cookie);

    /// <summary>Records an accepted connection. False if the filter is unloading (the caller then disconnects it).</summary>
    internal bool Admit(ClientPort port)
    {
        lock (gate)
        {
            connections.Add(port);
            return !unloading;
        }
    }

    /// <summary>The connection left the handshake state (connected, refused or closed).</summary>
    internal void HandshakeDone(ClientPort port) { lock (gate) handshakes.Remove(port); }

    /// <summary>The connection ended (after DisconnectNotify if it was accepted): its slot is free again, for a handshake waiting for one first.</summary>
    internal void Remove(ClientPort port, bool accepted)
    {
        ClientPort.HandshakeWork? next = null;
        lock (gate)
        {
            all.Remove(port);
            if (accepted && connections.Remove(port)) next = FreeSlotLocked();
        }
        next?.Port.Retry(next);
    }

    /// <summary>Handshakes waiting for a slot run again (and find the port closed).</summary>
    private void RetryWaiters()
    {
        ClientPort.HandshakeWork[] waiters;
        lock (gate)
        {
            waiters = slotWaiters.ToArray();
            slotWaiters.Clear();
        }
        foreach (var w in waiters) w.Port.Retry(w);
    }

    /// <summary>FltCloseCommunicationPort: no new connections; existing ones go on. Idempotent.</summary>
    internal void StopListening()
    {
        bool unregister;
        lock (gate)
        {
            if (!listening) return;
            listening = false;
            unregister = registered;
        }
        if (unregister) dispatcher.Unregister(listenerFd, key);
        try { listener.Dispose(); } catch (SocketException) { }
        try { File.Delete(SocketPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        Manager.ReleasePortName(SocketPath, this);
        RetryWaiters();
    }

    /// <summary>Unload: stop listening, close every connection and wait for their DisconnectNotify until <paramref name="deadline"/> (TickCount64).</summary>
    internal void CloseForUnload(long deadline)
    {
        StopListening();
        ClientPort[] live;
        lock (gate)
        {
            unloading = true;
            live = all.ToArray();
        }
        foreach (var c in live) c.Close("the filter is unloading");
        // One deadline for all of them: they finish in parallel, on their own lanes.
        deadline = Math.Min(deadline, Environment.TickCount64 + DisconnectLimitMilliseconds);
        foreach (var c in live) c.WaitFinished(TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64)));
    }

    public override string ToString() => Name;
}
