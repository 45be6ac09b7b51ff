// A Filter Manager with one registered filter and a private port directory, for one test. Dispose unloads
// the filter (closing every port and connection) and removes the directory, also when the test failed.
using Altitude.FilterLib;

// Unix sockets, setpriv, file modes: these tests run on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Altitude.Ports.Tests;

internal sealed class PortHost : IDisposable
{
    public const string PortName = @"\TestPort";
    private static int counter;

    public PortHost(Microsoft.Extensions.Logging.ILogger? logger = null, string? adminGroup = "altitude")
        : this(logger, adminGroup, handshakeLimit: null)
    {
    }

    /// <summary>As the other constructor, with FilterManagerOptions.PortHandshakeLimit and PortHelloTimeout (null: the default).</summary>
    public PortHost(Microsoft.Extensions.Logging.ILogger? logger, string? adminGroup, int? handshakeLimit, TimeSpan? helloTimeout = null)
    {
        // In /tmp rather than $TMPDIR, and 0755 whatever the umask: clients of other uids (ProcessTests) must be able
        // to reach the sockets in it.
        Directory = Path.Combine("/tmp", $"altitude-ports-{Environment.ProcessId}-{Interlocked.Increment(ref counter)}");
        System.IO.Directory.CreateDirectory(Directory);
        File.SetUnixFileMode(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var defaults = new FilterManagerOptions();
        var options = new FilterManagerOptions
        {
            PortDirectory = Directory,
            PortAdminGroup = adminGroup,
            PortHandshakeLimit = handshakeLimit ?? defaults.PortHandshakeLimit,
            PortHelloTimeout = helloTimeout ?? defaults.PortHelloTimeout,
        };
        Manager = new FilterManager(options, logger);
        Assert.Equal(NtStatus.Success, Manager.RegisterFilter(FilterConfiguration.Single("PortTest", "370000"),
            new FilterRegistration { FilterUnload = _ => NtStatus.Success }, out var filter));
        Filter = filter!;
    }

    public string Directory { get; }
    public FilterManager Manager { get; }
    public Filter Filter { get; }

    /// <summary>The last client port ConnectNotify saw (the filter's ClientPort variable).</summary>
    public ClientPort? Client;
    /// <summary>The first client port ever accepted (the fuzz tests' good client).</summary>
    public ClientPort? GoodClient;
    public readonly List<ClientPort> Clients = new();
    public int Disconnects;
    public readonly ManualResetEventSlim Disconnected = new();
    public byte[]? LastContext;
    public ServerPort? Port;
    public Func<ClientPort, ReadOnlySpan<byte>, NtStatus>? OnConnect;

    public NtStatus Create(string name = PortName, string? sddl = "D:(A;;GA;;;WD)", MessageNotifyCallback? message = null, int maxConnections = 16,
        ObjectAttributeFlags flags = ObjectAttributes.PortDefaults)
    {
        var st = Filter.CreateCommunicationPort(new ObjectAttributes(name, flags, sddl), "server-cookie", Connect, Disconnect, message, maxConnections, out var port);
        if (st == NtStatus.Success) Port = port;
        return st;
    }

    private NtStatus Connect(ClientPort clientPort, object? serverCookie, ReadOnlySpan<byte> context, out object? cookie)
    {
        Assert.Equal("server-cookie", serverCookie);
        LastContext = context.ToArray();
        cookie = clientPort;
        var st = OnConnect?.Invoke(clientPort, context) ?? NtStatus.Success;
        if (st == NtStatus.Success)
        {
            lock (Clients) Clients.Add(clientPort);
            Client = clientPort;
            GoodClient ??= clientPort;
        }
        return st;
    }

    private void Disconnect(object? cookie)
    {
        var c = (ClientPort)cookie!;
        lock (Clients) Clients.Remove(c);
        Interlocked.Increment(ref Disconnects);
        Disconnected.Set();
    }

    public FilterPortHandle Connect(ReadOnlySpan<byte> context = default, string name = PortName) =>
        FltLib.FilterConnectCommunicationPort(name, 0, context, Directory);

    public int TryConnect(out FilterPortHandle? handle, ReadOnlySpan<byte> context = default, string name = PortName) =>
        FltLib.TryFilterConnectCommunicationPort(name, 0, context, out handle, Directory);

    /// <summary>
    /// Waits until <paramref name="condition"/> holds, for effects that land on another thread. It polls; the
    /// deadline is only there so that a condition that never holds fails the test (with <paramref name="what"/>)
    /// instead of hanging it, and is generous enough for a loaded machine.
    /// </summary>
    public static void WaitUntil(Func<bool> condition, string what = "condition", int milliseconds = 60_000)
    {
        Assert.True(SpinWait.SpinUntil(condition, milliseconds), $"{what}: not reached within {milliseconds / 1000} s");
    }

    /// <summary>
    /// A round trip on <paramref name="handle"/>'s connection. The server handles a connection's frames in the
    /// order the client sent them, and FilterGetMessageAsync sends its Get before it returns, so once this returns
    /// every get posted before it is a credit at the server: a message sent now goes to one of them at once.
    /// The round trip is a FilterSendMessage, which a port without MessageNotify answers itself (E_INVALIDARG).
    /// </summary>
    public static void RoundTrip(FilterPortHandle handle) =>
        Assert.Equal(HResults.InvalidArgument, FltLib.TryFilterSendMessage(handle, "round trip"u8, Memory<byte>.Empty, out _));

    /// <summary>
    /// Returns once a FltSendMessage of <paramref name="payloadLength"/> bytes (more than zero) is at the server
    /// waiting for a reader on <paramref name="handle"/>'s connection: a get with room for the header only is
    /// offered it, fails with ERROR_INSUFFICIENT_BUFFER and the size the message needs, and leaves it queued.
    /// </summary>
    public static void WaitForQueuedMessage(FilterPortHandle handle, int payloadLength)
    {
        Assert.Equal(HResults.InsufficientBuffer, FltLib.TryFilterGetMessage(handle, new byte[FilterMessageHeader.Size], out int needed));
        Assert.Equal(FilterMessageHeader.Size + payloadLength, needed);
    }

    public void Dispose()
    {
        Filter.Unregister();
        Manager.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

internal static class Bytes
{
    public static byte[] Reply(ulong messageId, ReadOnlySpan<byte> payload, int status = 0)
    {
        var b = new byte[FilterReplyHeader.Size + payload.Length];
        new FilterReplyHeader { Status = status, MessageId = messageId }.Write(b);
        payload.CopyTo(b.AsSpan(FilterReplyHeader.Size));
        return b;
    }
}
