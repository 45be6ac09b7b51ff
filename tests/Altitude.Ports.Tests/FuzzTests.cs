// Malformed, truncated, oversized, out-of-order and random frames: each closes only its own connection,
// with a logged reason, and the port keeps serving a good client throughout.
using Altitude.FilterLib;

namespace Altitude.Ports.Tests;

public class FuzzTests
{
    [Theory]
    [InlineData("truncated", new byte[] { 3, 1, 0, 0 })]
    [InlineData("unsupported protocol version", null, 2)]
    [InlineData("reserved header field", null, 3)]
    [InlineData("unexpected frame kind", null, 4)]
    [InlineData("second hello", null, 5)]
    [InlineData("malformed get", null, 6)]
    [InlineData("malformed reply", null, 7)]
    [InlineData("oversized frame", null, 8)]
    public void BadFrameAfterHelloClosesThatConnectionWithAReason(string reason, byte[]? raw, int variant = 0)
    {
        var log = new CapturingLogger();
        using var host = new PortHost(log);
        Assert.Equal(NtStatus.Success, host.Create());
        using var good = host.Connect();
        using var raw1 = new RawPortClient(host.Port!.SocketPath);
        raw1.Send(RawPortClient.Hello());
        Assert.Equal(0, RawPortClient.HResult(raw1.Receive()!));
        byte[] bad = raw ?? variant switch
        {
            2 => RawPortClient.Frame(3, tag: 1, version: 9),
            3 => Reserved(),
            4 => RawPortClient.Frame(200),
            5 => RawPortClient.Hello(),
            6 => RawPortClient.Frame(3, tag: 1, messageId: 5),
            7 => RawPortClient.Frame(7, tag: 1, messageId: 1, value: 99),
            8 => RawPortClient.Frame(9, tag: 1, payload: new byte[65537]),
            _ => throw new ArgumentException(),
        };
        raw1.Send(bad);
        var last = raw1.DrainToEnd();
        Assert.NotNull(last);
        Assert.Equal(12, last![0]);   // the Error frame
        Assert.Contains(reason, System.Text.Encoding.UTF8.GetString(last, 32, last.Length - 32));
        PortHost.WaitUntil(() => log.Contains(reason));
        AssertServes(host, good);
    }

    private static byte[] Reserved()
    {
        var f = RawPortClient.Frame(3, tag: 1, value: 64);
        f[30] = 1;
        return f;
    }

    [Fact]
    public void FramesBeforeTheHelloAreRefused()
    {
        var log = new CapturingLogger();
        using var host = new PortHost(log);
        Assert.Equal(NtStatus.Success, host.Create());
        foreach (var first in new[] { RawPortClient.Frame(7, tag: 1, messageId: 1), RawPortClient.Frame(3, tag: 1, value: 64), new byte[] { 1 }, RawPortClient.Frame(1, value: 5) })
        {
            using var raw = new RawPortClient(host.Port!.SocketPath);
            raw.Send(first);
            var last = raw.DrainToEnd();
            Assert.Equal(12, last![0]);
        }
        Assert.True(log.Contains("before the hello"));
        Assert.True(log.Contains("truncated"));
        Assert.True(log.Contains("malformed hello"));
        Assert.Equal(0, host.Port!.ConnectionCount);
        Assert.Equal(0, host.Disconnects);   // never accepted, so no DisconnectNotify
        using var good = host.Connect();
        AssertServes(host, good);
    }

    [Fact]
    public void RandomAndMutatedFramesNeverDisturbTheGoodClient()
    {
        int seed = Environment.TickCount;
        var rng = new Random(seed);
        var log = new CapturingLogger();
        using var host = new PortHost(log);
        Assert.Equal(NtStatus.Success, host.Create(maxConnections: 64, message: (object? c, ReadOnlySpan<byte> i, Span<byte> o, out int n) => { n = Math.Min(i.Length, o.Length); i.Slice(0, n).CopyTo(o); return NtStatus.Success; }));
        using var good = host.Connect();
        var goodClient = host.Client;
        var templates = new[]
        {
            RawPortClient.Frame(3, tag: 7, value: 4096),
            RawPortClient.Frame(5, tag: 7),
            RawPortClient.Frame(7, tag: 8, messageId: 1, value: 3, payload: "abc"u8),
            RawPortClient.Frame(9, tag: 9, value: 16, payload: "0123456789"u8),
            RawPortClient.Hello("ctx"u8),
        };
        for (int conn = 0; conn < 300; conn++)
        {
            using var raw = new RawPortClient(host.Port!.SocketPath);
            raw.Socket.ReceiveTimeout = 0;
            bool hello = rng.Next(4) != 0;
            try
            {
                if (hello) raw.Send(RawPortClient.Hello());
                int frames = rng.Next(1, 12);
                for (int i = 0; i < frames; i++)
                {
                    byte[] f;
                    switch (rng.Next(4))
                    {
                        case 0:
                            f = new byte[rng.Next(0, 100)];
                            rng.NextBytes(f);
                            break;
                        case 1:
                            f = (byte[])templates[rng.Next(templates.Length)].Clone();
                            int flips = rng.Next(1, 4);
                            for (int k = 0; k < flips; k++) f[rng.Next(f.Length)] ^= (byte)(1 << rng.Next(8));
                            break;
                        case 2:
                            var t = templates[rng.Next(templates.Length)];
                            f = t.AsSpan(0, rng.Next(0, t.Length)).ToArray();
                            break;
                        default:
                            f = templates[rng.Next(templates.Length)];
                            break;
                    }
                    raw.Socket.Send(f);
                }
            }
            catch (System.Net.Sockets.SocketException)
            {
                // The server already closed this connection: expected for bad frames.
            }
            if (conn % 25 == 0) AssertServes(host, good, seed);
        }
        AssertServes(host, good, seed);
        // Every fuzz connection ends (the good one stays), and no callback faulted.
        PortHost.WaitUntil(() => host.Port!.ConnectionCount == 1);
        Assert.Equal(0, host.Manager.FaultCount);
        Assert.True(goodClient!.IsConnected);
        Assert.False(log.Contains("Error: Port"), "a connection failed with an internal error (seed " + seed + ")");
        using var fresh = host.Connect();
        Assert.Equal(3, FltLib.FilterSendMessage(fresh, "new"u8, new byte[8]));
    }

    /// <summary>A send/get/reply round trip and a FilterSendMessage-free check on the good client.</summary>
    private static void AssertServes(PortHost host, FilterPortHandle good, int seed = 0)
    {
        var buf = new byte[64];
        var get = FltLib.FilterGetMessageAsync(good, buf).AsTask();
        var reply = new byte[2];
        var send = Task.Run(() => host.Filter.SendMessage(ref host.GoodClient, "are you there"u8, reply, out _, TimeSpan.FromSeconds(60)));
        Assert.True(get.Wait(60_000), $"the good client got no message (seed {seed})");
        FltLib.FilterReplyMessage(good, Bytes.Reply(FilterMessageHeader.Read(buf).MessageId, "ok"u8));
        Assert.Equal(NtStatus.Success, send.Result);
        Assert.Equal("ok"u8.ToArray(), reply);
    }
}
