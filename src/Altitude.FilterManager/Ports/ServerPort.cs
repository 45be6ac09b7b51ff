// The server port of FltCreateCommunicationPort: one AF_UNIX SOCK_SEQPACKET listener, its callbacks,
// its connection limit and its live connections.
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Altitude;

/// <summary>PFLT_PORT for a server port. Close it with <see cref="Filter.CloseCommunicationPort"/>.</summary>
public sealed class ServerPort
{
    // How long unload waits for one connection's DisconnectNotify before it logs and goes on.
    private static readonly TimeSpan DisconnectLimit = TimeSpan.FromSeconds(30);

    private readonly Socket listener;
    private readonly SecurityDescriptor security;
    private readonly uint? adminGroup;
    private readonly ConnectNotifyCallback connectNotify;
    private readonly DisconnectNotifyCallback disconnectNotify;
    private readonly ILogger logger;
    private readonly object gate = new();
    private readonly List<ClientPort> connections = new();   // accepted ones, until their DisconnectNotify returned
    private readonly List<ClientPort> all = new();           // every live socket, handshaking ones included
    private int slots;
    private bool listening = true;
    private bool unloading;

    internal ServerPort(Filter filter, string name, string socketPath, Socket listener, SecurityDescriptor security, uint? adminGroup,
        object? cookie, ConnectNotifyCallback connect, DisconnectNotifyCallback disconnect, MessageNotifyCallback? message, int maxConnections, ILogger logger)
    {
        Filter = filter; Name = name; SocketPath = socketPath; this.listener = listener; this.security = security; this.adminGroup = adminGroup;
        ServerPortCookie = cookie; connectNotify = connect; disconnectNotify = disconnect; MessageNotify = message;
        MaxConnections = maxConnections; this.logger = logger;
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
    /// <summary>Connections that count against MaxConnections.</summary>
    public int ConnectionCount { get { lock (gate) return slots; } }
    /// <summary>False after CloseCommunicationPort or unload.</summary>
    public bool IsListening { get { lock (gate) return listening; } }

    internal void StartListening() => _ = AcceptLoop();

    private async Task AcceptLoop()
    {
        while (true)
        {
            Socket s;
            try
            {
                s = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                lock (gate) if (!listening) return;
                logger.LogError(e, "Port {Port}: accept failed; the port stops listening", Name);
                return;
            }
            s.Blocking = true;
            if (!PeerCredentials.TryRead(s, out var creds))
            {
                logger.LogWarning("Port {Port}: no SO_PEERCRED for a new connection; dropped", Name);
                s.Dispose();
                continue;
            }
            var c = new ClientPort(this, s, creds, logger);
            lock (gate)
            {
                if (!listening) { s.Dispose(); return; }
                all.Add(c);
            }
            c.Start();
        }
    }

    internal bool AccessCheck(in PeerCredentials creds) => security.AccessCheck(creds, adminGroup);

    internal NtStatus TryReserveSlot()
    {
        lock (gate)
        {
            // Closed while this client was connecting: to it the port no longer exists.
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
