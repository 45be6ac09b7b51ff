// A fake service manager's NOTIFY_SOCKET: an AF_UNIX datagram socket the test binds and fltmgrd sends sd_notify states to.
using System.Net.Sockets;
using System.Text;

namespace Altitude.Daemon.Tests;

public sealed class NotifySocket : IDisposable
{
    private readonly Socket socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

    public NotifySocket(string path)
    {
        Path = path;
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.ReceiveTimeout = DaemonProcess.StartTimeoutMilliseconds;   // only fails a test whose datagram never comes
    }

    public string Path { get; }

    /// <summary>The next datagram's assignments (READY=1, STATUS=...), in order.</summary>
    public string[] Receive()
    {
        var buffer = new byte[4096];
        int n;
        try { n = socket.Receive(buffer); }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut) { throw new Xunit.Sdk.XunitException("no sd_notify datagram arrived"); }
        return Encoding.UTF8.GetString(buffer, 0, n).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public void Dispose()
    {
        socket.Dispose();
        File.Delete(Path);
    }
}
