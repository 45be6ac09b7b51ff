// sd_notify(3) over $NOTIFY_SOCKET, written directly (one datagram per state): Microsoft.Extensions.Hosting.Systemd sends
// READY=1 only when it detects systemd as the parent process, and sends it when the host has started, while fltmgrd must
// say READY=1 exactly when its configured volumes serve; a test's fake NOTIFY_SOCKET must see the same as systemd.
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Altitude.Daemon.Service;

internal sealed class SystemdNotifier
{
    private readonly string? socketPath = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
    private readonly ILogger logger;

    public SystemdNotifier(ILogger logger) => this.logger = logger;

    /// <summary>True when a service manager listens (Type=notify).</summary>
    public bool Enabled => !string.IsNullOrEmpty(socketPath);

    /// <summary>READY=1: the service is up (its volumes serve).</summary>
    public void Ready(string status) => Notify("READY=1\nSTATUS=" + status);

    /// <summary>STOPPING=1: the stop began.</summary>
    public void Stopping() => Notify("STOPPING=1\nSTATUS=stopping");

    private void Notify(string state)
    {
        if (!Enabled) return;
        // '@' names a socket in the abstract namespace (a leading NUL byte).
        string path = socketPath![0] == '@' ? "\0" + socketPath[1..] : socketPath;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.SendTo(Encoding.UTF8.GetBytes(state), new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e)
        {
            logger.LogWarning("NOTIFY_SOCKET {Socket}: {State} not sent: {Message}", socketPath, state.Split('\n')[0], e.Message);
        }
    }
}
