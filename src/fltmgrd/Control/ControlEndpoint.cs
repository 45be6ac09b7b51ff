// The control endpoint: the FilterLib management calls over a communication port the Filter Manager owns
// (AF_UNIX SOCK_SEQPACKET at an explicit path, docs/control-endpoint.md). Connect is checked against the SDDL
// (default: SY and BA, root and the admin group); the calls that change the system also need uid 0.
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Altitude.Daemon.Control;

/// <summary>Serves FltLib's management routines against an <see cref="IManagementService"/> and its Filter Manager.</summary>
public sealed class ControlEndpoint : IDisposable
{
    /// <summary>Connections served at once (fltmc and FilterLib clients each hold one or a few).</summary>
    public const int MaxConnections = 64;

    /// <summary>
    /// Connections of users other than root at most: an admin-group member who opens connections without end must not
    /// lock root out of unload or unmount (root keeps MaxConnections - this many).
    /// </summary>
    public const int MaxUnprivilegedConnections = 48;

    private int unprivileged;

    private readonly IManagementService service;
    private readonly string? sddl;
    private readonly ILogger logger;
    private readonly ControlDispatcher dispatcher;
    private ServerPort? port;

    /// <param name="service">The load, unload and volume calls, and the Filter Manager.</param>
    /// <param name="socketPath">The socket (the contract default is /run/altitude/control).</param>
    /// <param name="sddl">Who may connect; null: <see cref="SecurityDescriptor.BuildDefault"/> (root and the admin group).</param>
    public ControlEndpoint(IManagementService service, string socketPath, string? sddl = null, ILogger? logger = null)
    {
        this.service = service;
        SocketPath = socketPath;
        this.sddl = sddl;
        this.logger = logger ?? NullLogger.Instance;
        dispatcher = new ControlDispatcher(service, this.logger);
    }

    public string SocketPath { get; }

    /// <summary>Starts listening. The status of <see cref="FilterManager.CreateControlPort"/> (e.g. STATUS_OBJECT_NAME_COLLISION when a live endpoint has the path).</summary>
    public NtStatus Start()
    {
        if (port is not null) return NtStatus.InvalidDeviceState;
        NtStatus st = service.Manager.CreateControlPort(SocketPath, sddl, Connect, Disconnect, dispatcher.MessageNotify, MaxConnections, out port);
        if (!st.IsSuccess()) logger.LogError("Control endpoint {Path}: cannot listen: {Status}", SocketPath, st.Describe());
        return st;
    }

    /// <summary>Stops listening and ends every connection (their enumerations go with them).</summary>
    public void Dispose()
    {
        var p = Interlocked.Exchange(ref port, null);
        if (p is not null) service.Manager.CloseControlPort(p);
    }

    private NtStatus Connect(ClientPort clientPort, object? serverPortCookie, ReadOnlySpan<byte> context, out object? cookie)
    {
        cookie = null;
        if (clientPort.UserId != 0 && Interlocked.Increment(ref unprivileged) > MaxUnprivilegedConnections)
        {
            Interlocked.Decrement(ref unprivileged);
            return NtStatus.ConnectionCountLimit;   // 0x800704D6, as a port at MaxConnections
        }
        cookie = new ControlSession(clientPort.UserId, clientPort.ProcessId);
        return NtStatus.Success;
    }

    private void Disconnect(object? cookie)
    {
        var session = (ControlSession)cookie!;
        if (session.UserId != 0) Interlocked.Decrement(ref unprivileged);
        session.Close();
    }
}
