// The Filter Manager's part in ports: the name table (names are unique per manager and per socket file), the
// logger ports write to, the one place a listener is created (a filter's port or the manager's own), and the
// manager's own ports (the control endpoint), which no filter owns and no unload closes.
using System.Net.Sockets;
using System.Text;
using Altitude.Ports;
using Altitude.Ports.Interop;
using Microsoft.Extensions.Logging;

namespace Altitude;

public sealed partial class FilterManager
{
    private readonly Dictionary<string, ServerPort?> portNames = new(StringComparer.Ordinal);
    private PortDispatcher? portDispatcher;
    private readonly List<ServerPort> controlPorts = new();
    // sockaddr_un.sun_path is 108 bytes including the terminating NUL.
    private const int MaxSocketPath = 107;

    internal ILogger PortLogger => logger;

    /// <summary>The ports' I/O thread and workers, started with the first port.</summary>
    internal PortDispatcher PortDispatcher
    {
        get
        {
            lock (portNames) return portDispatcher ??= new PortDispatcher(Options, logger);
        }
    }

    /// <summary>After every filter unloaded (so every port and connection is closed): the I/O thread ends.</summary>
    private void StopPorts()
    {
        PortDispatcher? d;
        lock (portNames) { d = portDispatcher; portDispatcher = null; }
        d?.Dispose();
    }

    /// <summary>
    /// Altitude extension (the FltMgr control device's role): a communication port owned by the Filter Manager, not
    /// by a filter, listening at <paramref name="socketPath"/> (an absolute path, not under the port directory).
    /// <paramref name="sddl"/> null means the default descriptor (SY and BA: root and the admin group). The
    /// callbacks behave as a filter port's; <see cref="ServerPort.Filter"/> is null. No filter unload closes it;
    /// <see cref="CloseControlPort"/> or <see cref="Dispose"/> does. Statuses as FltCreateCommunicationPort's, and
    /// STATUS_OBJECT_NAME_INVALID for a relative or too long path.
    /// </summary>
    public NtStatus CreateControlPort(string socketPath, string? sddl, ConnectNotifyCallback connectNotify, DisconnectNotifyCallback disconnectNotify,
        MessageNotifyCallback messageNotify, int maxConnections, out ServerPort? serverPort)
    {
        serverPort = null;
        if (connectNotify is null || disconnectNotify is null || messageNotify is null || maxConnections <= 0) return NtStatus.InvalidParameter;
        if (string.IsNullOrEmpty(socketPath) || !Path.IsPathFullyQualified(socketPath) || Encoding.UTF8.GetByteCount(socketPath) > MaxSocketPath)
            return NtStatus.ObjectNameInvalid;
        lock (gate) if (disposed) return NtStatus.FltDeletingObject;
        NtStatus st = CreateListeningPort(null, socketPath, socketPath, sddl, null, connectNotify, disconnectNotify, messageNotify, maxConnections, out var port);
        if (!st.IsSuccess()) return st;
        lock (controlPorts) controlPorts.Add(port!);
        port!.Open();
        serverPort = port;
        return NtStatus.Success;
    }

    /// <summary>Closes a port of <see cref="CreateControlPort"/>: no new connections, and every connection ends after its DisconnectNotify.</summary>
    public void CloseControlPort(ServerPort? serverPort)
    {
        if (serverPort is null || serverPort.Filter is not null || !ReferenceEquals(serverPort.Manager, this)) return;
        lock (controlPorts) if (!controlPorts.Remove(serverPort)) return;
        serverPort.CloseForUnload(TeardownDeadline());
    }

    /// <summary>At dispose, before filters unload: no management call runs against a manager going away.</summary>
    private void CloseControlPorts()
    {
        ServerPort[] ports;
        lock (controlPorts) { ports = controlPorts.ToArray(); controlPorts.Clear(); }
        long deadline = TeardownDeadline();
        foreach (var p in ports) p.CloseForUnload(deadline);
    }

    /// <summary>
    /// The listener of a port at <paramref name="path"/> (for a filter's port or the manager's own): parses the
    /// descriptor, claims the path, removes a stale socket file, binds, sets the file's group and mode from the
    /// descriptor and listens. The port is not yet open (<see cref="ServerPort.Open"/>).
    /// </summary>
    internal NtStatus CreateListeningPort(Filter? owner, string name, string path, string? sddl, object? cookie,
        ConnectNotifyCallback connectNotify, DisconnectNotifyCallback disconnectNotify, MessageNotifyCallback? messageNotify,
        int maxConnections, out ServerPort? serverPort)
    {
        serverPort = null;
        sddl ??= SecurityDescriptor.BuildDefault();
        if (!SecurityDescriptor.TryParse(sddl, out var security, out var error))
        {
            logger.LogError("FltCreateCommunicationPort {Port}: security descriptor \"{Sddl}\" does not parse: {Error}", name, sddl, error);
            return NtStatus.InvalidParameter;
        }
        if (!ReservePortName(path)) return NtStatus.ObjectNameCollision;
        uint? adminGroup = AdminGroup.Resolve(Options.PortAdminGroup);
        Socket? listener = null;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (File.Exists(path) && !RemoveStaleSocket(path))
            {
                ReleasePortName(path, null);
                return NtStatus.ObjectNameCollision;
            }
            listener = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            // The file admits at most whom the descriptor can admit (connect(2) needs write permission); the
            // check at accept, with SO_PEERCRED, decides exactly.
            var mode = security!.SocketFileMode(adminGroup, out uint? group);
            if (group is { } gid) SocketFile.SetGroup(path, gid);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, mode);
            listener.Listen(128);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            logger.LogError(e, "FltCreateCommunicationPort {Port}: cannot listen on {Path}", name, path);
            listener?.Dispose();
            ReleasePortName(path, null);
            return NtStatus.InsufficientResources;
        }
        serverPort = new ServerPort(this, owner, name, path, listener, security!, adminGroup,
            cookie, connectNotify, disconnectNotify, messageNotify, maxConnections, logger);
        return NtStatus.Success;
    }

    /// <summary>A socket file that nobody listens on is left over from a dead daemon; one that answers belongs to a live port.</summary>
    private static bool RemoveStaleSocket(string path)
    {
        using (var probe = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                return false;
            }
            catch (SocketException) { }
        }
        File.Delete(path);
        return true;
    }

    /// <summary>Claims a socket path for a port being created; false if a port of this manager has it.</summary>
    internal bool ReservePortName(string path)
    {
        lock (portNames) return portNames.TryAdd(path, null);
    }

    internal void BindPortName(string path, ServerPort port)
    {
        lock (portNames) portNames[path] = port;
    }

    internal void ReleasePortName(string path, ServerPort? port)
    {
        lock (portNames)
        {
            if (portNames.TryGetValue(path, out var owner) && (owner is null || ReferenceEquals(owner, port))) portNames.Remove(path);
        }
    }

    /// <summary>FltBuildDefaultSecurityDescriptor: SDDL granting <paramref name="access"/> to SY and BA only.</summary>
    public static string BuildDefaultSecurityDescriptor(uint access = PortAccess.AllAccess) => SecurityDescriptor.BuildDefault(access);
}
