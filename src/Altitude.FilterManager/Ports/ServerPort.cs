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

/// <summary>PFLT_PORT for a server port. Close it with <see cref="Filter.CloseCommunicationPort"/>.</summary>
public sealed class ServerPort
{
    // How long unload waits for one connection's DisconnectNotify before it logs and goes on.
    private static readonly TimeSpan DisconnectLimit = TimeSpan.FromSeconds(30);
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
    private readonly int listenerFd;
    private ulong key;
    private int slots;
    private int handshaking;
    private bool listening = true;
    private bool unloading;

    internal ServerPort(Filter filter, string name, string socketPath, Socket listener, SecurityDescriptor security, uint? adminGroup,
        object? cookie, ConnectNotifyCallback connect, DisconnectNotifyCallback disconnect, MessageNotifyCallback? message, int maxConnections, ILogger logger)
    {
        Filter = filter; Name = name; SocketPath = socketPath; this.listener = listener; this.security = security; this.adminGroup = adminGroup;
        ServerPortCookie = cookie; connectNotify = connect; disconnectNotify = disconnect; MessageNotify = message;
        MaxConnections = maxConnections; this.logger = logger;
        dispatcher = filter.Manager.PortDispatcher;
        listenerFd = (int)listener.SafeHandle.DangerousGetHandle();
        PortInterop.SetNonBlocking(listenerFd);
    }

    public Filter Filter { get; }
    /// <summary>The name as created (e.g. \ScannerPort).</summary>
    public string Name { get; }
    /// <summary>The listening socket's path under the runtime directory.</summary>
    public string SocketPath { get; }
    public object? ServerPortCookie { get; }
    public int MaxConnections { get; }
    public SecurityDescriptor SecurityDescriptor => security;
    internal MessageNotifyCallback? MessageNotify { get; }
    internal PortDispatcher Dispatcher => dispatcher;
    internal ILogger Logger => logger;
    /// <summary>Connections that count against MaxConnections.</summary>
    public int ConnectionCount { get { lock (gate) return slots; } }
    /// <summary>Connections accepted and admitted that have not finished their handshake.</summary>
    public int HandshakeCount { get { lock (gate) return handshaking; } }
    /// <summary>False after CloseCommunicationPort or unload.</summary>
    public bool IsListening { get { lock (gate) return listening; } }

    internal void StartListening() => key = dispatcher.Register(this, listenerFd, PortInterop.EpollIn | PortInterop.EpollOneShot);

    internal void ArmListener()
    {
        lock (gate) if (!listening) return;
        dispatcher.Arm(listenerFd, key, PortInterop.EpollIn);
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
            Refuse(fd, NtStatus.AccessDenied, "access denied");
            return;
        }
        ClientPort? c = null;
        for (int attempt = 0; attempt < 2 && c is null; attempt++)
        {
            List<ClientPort>? hungUp = null;
            lock (gate)
            {
                if (!listening) { PortInterop.Close(fd); return; }
                if (handshaking < dispatcher.HandshakeLimit)
                {
                    handshaking++;
                    c = new ClientPort(this, new SocketHandle(fd), creds, logger);
                    all.Add(c);
                    break;
                }
                // At the cap: handshakes whose client already went away (their close not handled yet) do not count.
                if (attempt == 0)
                    foreach (var h in all)
                        if (h.InHandshake && h.PeerHungUp()) (hungUp ??= new()).Add(h);
            }
            if (hungUp is null) break;
            foreach (var h in hungUp) h.Close(null);
        }
        if (c is null)
        {
            logger.LogWarning("Port {Port}: connect from {Peer} refused: {Limit} connections are already in the handshake", Name, creds.ToString(), dispatcher.HandshakeLimit);
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

    internal bool AccessCheck(in PeerCredentials creds) => security.AccessCheck(creds, adminGroup);

    /// <summary>
    /// Takes a MaxConnections slot for a connection in its handshake. When every slot is taken, connections
    /// whose client already closed its end are ended first and their DisconnectNotify awaited, so a client
    /// that closes and reconnects at once finds its slot free, as on Windows where the slot is freed at handle close.
    /// </summary>
    internal NtStatus TryReserveSlot()
    {
        List<ClientPort>? hungUp = null;
        lock (gate)
        {
            // Closed while this client was connecting: to it the port no longer exists.
            if (!listening) return NtStatus.ObjectNameNotFound;
            if (slots < MaxConnections) { slots++; return NtStatus.Success; }
            foreach (var c in connections)
                if (c.PeerHungUp()) (hungUp ??= new()).Add(c);
        }
        if (hungUp is null) return NtStatus.ConnectionCountLimit;
        foreach (var c in hungUp) c.Close(null);
        foreach (var c in hungUp) c.WaitFinished(DisconnectLimit);
        lock (gate)
        {
            if (!listening) return NtStatus.ObjectNameNotFound;
            if (slots >= MaxConnections) return NtStatus.ConnectionCountLimit;
            slots++;
            return NtStatus.Success;
        }
    }

    internal void ReleaseSlot() { lock (gate) slots--; }

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
    internal void HandshakeDone() { lock (gate) handshaking--; }

    /// <summary>The connection ended (after DisconnectNotify if it was accepted): its slot is free again.</summary>
    internal void Remove(ClientPort port, bool accepted)
    {
        lock (gate)
        {
            all.Remove(port);
            if (accepted && connections.Remove(port)) slots--;
        }
    }

    /// <summary>FltCloseCommunicationPort: no new connections; existing ones go on. Idempotent.</summary>
    internal void StopListening()
    {
        lock (gate)
        {
            if (!listening) return;
            listening = false;
        }
        dispatcher.Unregister(listenerFd, key);
        try { listener.Dispose(); } catch (SocketException) { }
        try { File.Delete(SocketPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        Filter.Manager.ReleasePortName(SocketPath, this);
    }

    /// <summary>Unload: stop listening, close every connection and wait for their DisconnectNotify.</summary>
    internal void CloseForUnload()
    {
        StopListening();
        ClientPort[] live;
        lock (gate)
        {
            unloading = true;
            live = all.ToArray();
        }
        foreach (var c in live) c.Close("the filter is unloading");
        foreach (var c in live) c.WaitFinished(DisconnectLimit);
    }

    public override string ToString() => Name;
}
