// Issue 10, isolation: nothing one connection does (not reading, a slow MessageNotify, flooding, holding
// messages without replying, dying) delays another connection; a connection's MessageNotify calls run one at a
// time and in order, and a closed connection's queued sends are dropped, never executed.
// The neighbours are raw version-4 sockets (RawPortClient) or PortTestClient processes; the well-behaved client
// is always a PortTestClient process. Assertions are about order (what completed while a neighbour was still
// stalled, blocked or flooding) and against events the test holds; nothing is timed here (bench/port-bench.sh
// measures the latencies).
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Altitude.FilterLib;
using Xunit.Abstractions;

namespace Altitude.Ports.Tests;

/// <summary>A port whose MessageNotify behaviour is chosen per connection by its connection context.</summary>
internal sealed class Neighbourhood : IDisposable
{
    public readonly PortHost Host;
    private readonly ConcurrentDictionary<ClientPort, string> contexts = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<int>> entered = new();
    public readonly ConcurrentQueue<string> Disconnected = new();

    /// <summary>Behaviour by context; a context without one (the PortTestClients' "pid N") is echoed back.</summary>
    public readonly ConcurrentDictionary<string, MessageNotifyCallback> Behaviour = new();

    public Neighbourhood(int maxConnections = 64)
    {
        Host = new PortHost();
        try
        {
            Host.OnConnect = (c, context) =>
            {
                contexts[c] = Encoding.UTF8.GetString(context);
                return NtStatus.Success;
            };
            Assert.Equal(NtStatus.Success, Host.Create(message: Message, maxConnections: maxConnections));
        }
        catch
        {
            Host.Dispose();
            throw;
        }
    }

    private NtStatus Message(object? cookie, ReadOnlySpan<byte> input, Span<byte> output, out int n)
    {
        var context = cookie is ClientPort c && contexts.TryGetValue(c, out var s) ? s : "?";
        entered.GetOrAdd(context, _ => new()).Enqueue(input.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(input) : -1);
        if (Behaviour.TryGetValue(context, out var b)) return b(cookie, input, output, out n);
        n = Math.Min(input.Length, output.Length);
        input[..n].CopyTo(output);
        return NtStatus.Success;
    }

    /// <summary>How many MessageNotify calls started for connections with this context.</summary>
    public int Calls(string context) => entered.TryGetValue(context, out var q) ? q.Count : 0;

    /// <summary>The first 4 bytes (little-endian) of each MessageNotify input of that context, in the order the calls started.</summary>
    public int[] Order(string context) => entered.TryGetValue(context, out var q) ? q.ToArray() : [];

    public ClientPort PortOf(string context)
    {
        ClientPort? found = null;
        PortHost.WaitUntil(() => (found = contexts.FirstOrDefault(kv => kv.Value == context).Key) is not null, $"ConnectNotify for \"{context}\"");
        return found!;
    }

    public ClientPort PortOf(ChildProcess child) => PortOf($"pid {child.Id}");

    public string SocketPath => Host.Port!.SocketPath;

    /// <summary>A PortTestClient that serves 20 of the filter's messages (replies reversed) gets each right.</summary>
    public void AssertFilterMessagesServed()
    {
        using var server = new ChildProcess(Host.Directory, PortHost.PortName, null, "serve", "20");
        ClientPort? serverPort = PortOf(server);
        var reply = new byte[64];
        for (int i = 0; i < 20; i++)
        {
            var msg = Encoding.ASCII.GetBytes($"message {i:D3}");
            Assert.Equal(NtStatus.Success, Host.Filter.SendMessage(ref serverPort, msg, reply, out int len, TimeSpan.FromSeconds(60)));
            Array.Reverse(msg);
            Assert.Equal(msg, reply.AsSpan(0, len).ToArray());
        }
    }

    public void Dispose() => Host.Dispose();
}

internal static class V4
{
    /// <summary>A raw client that said a version-4 Hello with <paramref name="context"/> and got HelloResult SUCCESS.</summary>
    public static RawPortClient Connect(string socketPath, string context)
    {
        var raw = new RawPortClient(socketPath);
        try
        {
            var c = Encoding.UTF8.GetBytes(context);
            raw.Send(RawPortClient.Frame(1, value: (uint)c.Length, payload: c, version: 4));
            var answer = raw.Receive();
            Assert.NotNull(answer);
            Assert.Equal(2, answer![0]);
            Assert.Equal(0, RawPortClient.HResult(answer));
            return raw;
        }
        catch
        {
            raw.Dispose();
            throw;
        }
    }

    /// <summary>A Send frame (kind 9) whose input starts with <paramref name="index"/> (little-endian).</summary>
    public static byte[] Send(uint tag, int index, uint capacity = 16, int payloadLength = 4)
    {
        var payload = new byte[Math.Max(4, payloadLength)];
        BinaryPrimitives.WriteInt32LittleEndian(payload, index);
        return RawPortClient.Frame(9, tag: tag, value: capacity, payload: payload, version: 4);
    }

    /// <summary>Runs one phase of sendphases ("phase &lt;label&gt; &lt;count&gt; &lt;failures&gt;") and returns its failures.</summary>
    public static int Phase(ChildProcess child, string label)
    {
        child.WriteLine(label);
        var parts = child.WaitForLine($"phase {label} ", 120_000).Split(' ');
        return int.Parse(parts[3], CultureInfo.InvariantCulture);
    }
}

public class IsolationTests
{
    private const int RoundTrips = 200;
    private const int PhaseRoundTrips = 500;
    private readonly ITestOutputHelper output;

    public IsolationTests(ITestOutputHelper output) => this.output = output;

    /// <summary>
    /// A neighbour sends 100 Send frames of 64 KiB, each asking for 64 KiB back, and never reads. A good client in
    /// another process completes all its round trips, and the filter's messages to a second good client round trip,
    /// while the neighbour still has unanswered sends (fewer than 100 MessageNotify calls ran for it when they were
    /// done: the server stopped taking its requests instead of blocking on its full socket). Latency beside such a
    /// neighbour is measured by bench/port-bench.sh (isolation section), not here.
    /// </summary>
    [Fact]
    public void AClientThatStopsReadingDoesNotDelayOthers()
    {
        using var n = new Neighbourhood();
        n.Behaviour["stall"] = (object? _, ReadOnlySpan<byte> _, Span<byte> o, out int len) => { len = o.Length; return NtStatus.Success; };
        using var good = new ChildProcess(n.Host.Directory, PortHost.PortName, null, "sendphases", PhaseRoundTrips.ToString(CultureInfo.InvariantCulture));
        good.WaitForLine("ready");
        Assert.Equal(0, V4.Phase(good, "alone"));

        using var stall = V4.Connect(n.SocketPath, "stall");
        int sent = 0;
        var sender = new Thread(() =>
        {
            try
            {
                for (uint i = 1; i <= 100; i++)
                {
                    stall.Send(V4.Send(i, (int)i, capacity: 65536, payloadLength: 65536));
                    Interlocked.Increment(ref sent);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }   // the test closed it
        }) { IsBackground = true, Name = "stalled client" };
        sender.Start();
        try
        {
            // Enough 64 KiB answers to fill the neighbour's socket: from here on the server cannot write to it.
            PortHost.WaitUntil(() => n.Calls("stall") >= 4, "the stalled client's sends reach MessageNotify");
            Assert.Equal(0, V4.Phase(good, "stalled"));

            n.AssertFilterMessagesServed();

            int calls = n.Calls("stall");
            output.WriteLine($"neighbour: {Volatile.Read(ref sent)} sends written, {calls} MessageNotify calls when the good clients were done");
            Assert.True(calls < 100, $"all {calls} of the stalled client's sends ran although it reads nothing: its answers were queued without bound or blocked a thread");
        }
        finally
        {
            stall.Dispose();
            sender.Join(60_000);
        }
    }

    /// <summary>
    /// Two neighbours' MessageNotify calls block on an event the test sets only at the end. Both first calls run at
    /// once (different connections are not serialized behind each other), each neighbour's second and third sends do
    /// not start while its first is running (one at a time per connection), a good client in another process
    /// completes its round trips meanwhile, and after the release each neighbour's calls ran in the order it sent
    /// them, never two at once, and its SendResults came back in that order.
    /// </summary>
    [Fact]
    public void ASlowMessageNotifyDelaysOnlyItsOwnConnection()
    {
        using var n = new Neighbourhood();
        using var release = new ManualResetEventSlim();
        var inFlight = new ConcurrentDictionary<string, int>();
        var maxInFlight = new ConcurrentDictionary<string, int>();
        foreach (var name in new[] { "slow-a", "slow-b" })
        {
            n.Behaviour[name] = (object? _, ReadOnlySpan<byte> input, Span<byte> o, out int len) =>
            {
                int now = inFlight.AddOrUpdate(name, 1, (_, v) => v + 1);
                maxInFlight.AddOrUpdate(name, now, (_, v) => Math.Max(v, now));
                release.Wait();
                inFlight.AddOrUpdate(name, 0, (_, v) => v - 1);
                input[..4].CopyTo(o);
                len = 4;
                return NtStatus.Success;
            };
        }
        using var a = V4.Connect(n.SocketPath, "slow-a");
        using var b = V4.Connect(n.SocketPath, "slow-b");
        try
        {
            a.Send(V4.Send(1, 1));
            b.Send(V4.Send(1, 1));
            PortHost.WaitUntil(() => n.Calls("slow-a") == 1 && n.Calls("slow-b") == 1, "both slow connections' first MessageNotify running at once");
            for (uint tag = 2; tag <= 3; tag++)
            {
                a.Send(V4.Send(tag, (int)tag));
                b.Send(V4.Send(tag, (int)tag));
            }

            using (var good = new ChildProcess(n.Host.Directory, PortHost.PortName, null, "sendloop", RoundTrips.ToString(CultureInfo.InvariantCulture)))
                Assert.Equal($"done {RoundTrips} 0 first 0x00000000", good.WaitForLine("done"));

            Assert.False(release.IsSet);
            Assert.Equal(1, n.Calls("slow-a"));   // the second send did not start while the first runs
            Assert.Equal(1, n.Calls("slow-b"));
        }
        finally
        {
            release.Set();
        }
        foreach (var (raw, name) in new[] { (a, "slow-a"), (b, "slow-b") })
        {
            for (uint tag = 1; tag <= 3; tag++)
            {
                var result = raw.Receive();
                Assert.NotNull(result);
                Assert.Equal(10, result![0]);
                Assert.Equal(tag, BinaryPrimitives.ReadUInt32LittleEndian(result.AsSpan(4)));
                Assert.Equal((int)tag, BinaryPrimitives.ReadInt32LittleEndian(result.AsSpan(32)));
            }
            Assert.Equal([1, 2, 3], n.Order(name));
            Assert.Equal(1, maxInFlight[name]);
        }
    }

    /// <summary>
    /// A neighbour sends small Send frames as fast as the protocol lets it (up to 512 outstanding, reading every
    /// answer) while a good client in another process does its round trips: they all complete while the flood goes
    /// on (it made progress during the phase and was never closed). Latency beside a flood is measured by
    /// bench/port-bench.sh, not here.
    /// </summary>
    [Fact]
    public void AFloodingClientDoesNotDelayOthers()
    {
        using var n = new Neighbourhood();
        n.Behaviour["flood"] = (object? _, ReadOnlySpan<byte> _, Span<byte> _, out int len) => { len = 0; return NtStatus.Success; };
        using var good = new ChildProcess(n.Host.Directory, PortHost.PortName, null, "sendphases", PhaseRoundTrips.ToString(CultureInfo.InvariantCulture));
        good.WaitForLine("ready");
        Assert.Equal(0, V4.Phase(good, "alone"));

        using var flood = V4.Connect(n.SocketPath, "flood");
        using var credits = new SemaphoreSlim(512);
        int answered = 0;
        bool stop = false;
        string? floodEnd = null;
        var frame = V4.Send(0, 7);
        var sender = new Thread(() =>
        {
            try
            {
                for (uint tag = 1; !Volatile.Read(ref stop); tag = tag == uint.MaxValue ? 1 : tag + 1)
                {
                    while (!credits.Wait(100)) if (Volatile.Read(ref stop)) return;
                    BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), tag);
                    flood.Socket.Send(frame);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        }) { IsBackground = true, Name = "flood sender" };
        var reader = new Thread(() =>
        {
            var buf = new byte[RawPortClient.HeaderSize + 65537];
            try
            {
                while (true)
                {
                    int len = flood.Socket.Receive(buf);
                    if (len == 0) { floodEnd ??= "eof"; return; }
                    if (buf[0] != 10) { floodEnd ??= $"frame kind {buf[0]}: {Encoding.UTF8.GetString(buf, 32, Math.Max(0, len - 32))}"; return; }
                    Interlocked.Increment(ref answered);
                    credits.Release();
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { floodEnd ??= e.Message; }
        }) { IsBackground = true, Name = "flood reader" };
        sender.Start();
        reader.Start();
        try
        {
            PortHost.WaitUntil(() => Volatile.Read(ref answered) >= 2000 || floodEnd is not null, "the flood is under way");
            int before = Volatile.Read(ref answered);
            int failures = V4.Phase(good, "flooded");
            int after = Volatile.Read(ref answered);
            output.WriteLine($"flood answers during the good client's phase: {after - before}");
            Assert.Null(floodEnd);   // the neighbour was flooding, not closed, for the whole phase
            Assert.True(after > before, "the flood made no progress while the good client ran");
            Assert.Equal(0, failures);
        }
        finally
        {
            Volatile.Write(ref stop, true);
            flood.Dispose();
            sender.Join(60_000);
            reader.Join(60_000);
        }
    }

    /// <summary>
    /// The filter sends to a neighbour that takes messages and never replies (senders blocked in FltSendMessage
    /// without a timeout: one message delivered and held, three queued behind it). Meanwhile the filter's messages to
    /// a good client round trip and the good client's own FilterSendMessage calls complete; the held senders are
    /// still blocked then, and get PORT_DISCONNECTED when the neighbour dies.
    /// </summary>
    [Fact]
    public void AClientHoldingMessagesWithoutReplyingDoesNotDelayOthers()
    {
        using var n = new Neighbourhood();
        using var holder = new ChildProcess(n.Host.Directory, PortHost.PortName, null, "serve-when-told", "1");
        var holderPort = n.PortOf(holder);
        var held = new List<Task<NtStatus>>();
        for (int i = 0; i < 4; i++)
        {
            held.Add(Task.Factory.StartNew(() =>
            {
                ClientPort? p = holderPort;
                var r = new byte[16];
                return n.Host.Filter.SendMessage(ref p, "held"u8, r, out _);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
        }
        Assert.Equal("message held", holder.WaitForLine("message"));

        n.AssertFilterMessagesServed();
        using (var sender = new ChildProcess(n.Host.Directory, PortHost.PortName, null, "sendloop", RoundTrips.ToString(CultureInfo.InvariantCulture)))
            Assert.Equal($"done {RoundTrips} 0 first 0x00000000", sender.WaitForLine("done"));

        Assert.All(held, t => Assert.False(t.IsCompleted, "a sender to the holding client returned although it never replied"));
        holder.Kill();
        foreach (var t in held) Assert.Equal(NtStatus.PortDisconnected, t.Result);
    }

    /// <summary>
    /// A neighbour killed in the middle of its FilterSendMessage loop (with a filter sender blocked on it) ends in
    /// DisconnectNotify and PORT_DISCONNECTED for the sender; a good client connected throughout completes a phase of
    /// round trips started just before the kill (it may overlap the death or not: no order is claimed for it) and
    /// one started after DisconnectNotify, and stays connected.
    /// </summary>
    [Fact]
    public void ADyingClientDoesNotAffectOthers()
    {
        using var n = new Neighbourhood();
        using var good = new ChildProcess(n.Host.Directory, PortHost.PortName, null, "sendphases", PhaseRoundTrips.ToString(CultureInfo.InvariantCulture));
        good.WaitForLine("ready");
        var goodPort = n.PortOf(good);
        using var dying = new ChildProcess(n.Host.Directory, PortHost.PortName, null, "sendloop", "100000000");
        string dyingContext = $"pid {dying.Id}";
        var dyingPort = n.PortOf(dyingContext);
        var blocked = Task.Factory.StartNew(() =>
        {
            ClientPort? p = dyingPort;
            return n.Host.Filter.SendMessage(ref p, "never read"u8, new byte[16], out _);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        PortHost.WaitUntil(() => n.Calls(dyingContext) >= 50, "the dying client is mid-conversation");
        int disconnectsBefore = n.Host.Disconnects;

        good.WriteLine("during");
        dying.Kill();
        PortHost.WaitUntil(() => n.Host.Disconnects == disconnectsBefore + 1, "DisconnectNotify for the killed client");
        Assert.Equal(NtStatus.PortDisconnected, blocked.Result);
        Assert.False(dyingPort.IsConnected);
        var parts = good.WaitForLine("phase during ", 120_000).Split(' ');
        Assert.Equal("0", parts[3]);
        Assert.Equal(0, V4.Phase(good, "after"));
        Assert.True(goodPort.IsConnected);
        lock (n.Host.Clients) Assert.Contains(goodPort, n.Host.Clients);
    }

    /// <summary>
    /// A raw client sends 20 Send frames; MessageNotify for the first blocks on an event the test holds; the client
    /// closes its socket. Once the server has seen the close (its blocked FltSendMessage returned
    /// PORT_DISCONNECTED, or the ClientPort reads disconnected) the test releases the first call. Its queued 19 sends
    /// never run: after the first call returned, DisconnectNotify ran (it runs on the same per-connection lane,
    /// after anything that lane would still execute) and another connection did a round trip, MessageNotify had run
    /// exactly once for the closed connection.
    /// </summary>
    [Fact]
    public void AClosedConnectionsQueuedSendsAreNotExecuted()
    {
        using var n = new Neighbourhood();
        using var release = new ManualResetEventSlim();
        using var firstReturned = new ManualResetEventSlim();
        n.Behaviour["doomed"] = (object? _, ReadOnlySpan<byte> input, Span<byte> _, out int len) =>
        {
            len = 0;
            if (BinaryPrimitives.ReadInt32LittleEndian(input) == 0)
            {
                release.Wait();
                firstReturned.Set();
            }
            return NtStatus.Success;
        };
        try
        {
            var doomed = V4.Connect(n.SocketPath, "doomed");
            ClientPort doomedPort;
            Task<NtStatus> blocked;
            using (doomed)
            {
                doomedPort = n.PortOf("doomed");
                // A filter sender waiting for a get that never comes: it returns once the server processed the close.
                blocked = Task.Factory.StartNew(() =>
                {
                    ClientPort? p = doomedPort;
                    return n.Host.Filter.SendMessage(ref p, "x"u8);
                }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
                for (int i = 0; i < 20; i++) doomed.Send(V4.Send((uint)i + 1, i));
                PortHost.WaitUntil(() => n.Calls("doomed") >= 1, "the first send's MessageNotify is running");
            }
            PortHost.WaitUntil(() => blocked.IsCompleted || !doomedPort.IsConnected, "the server saw the client close");
            release.Set();
            Assert.True(firstReturned.Wait(60_000));
            PortHost.WaitUntil(() => n.Host.Disconnects == 1, "DisconnectNotify for the closed connection");
            Assert.Equal(NtStatus.PortDisconnected, blocked.Result);

            using (var other = V4.Connect(n.SocketPath, "other"))
            {
                other.Send(V4.Send(1, 5));
                var result = other.Receive();
                Assert.NotNull(result);
                Assert.Equal(10, result![0]);
            }
            Assert.Equal([0], n.Order("doomed"));
        }
        finally
        {
            release.Set();
        }
    }

    [Fact]
    public void AClientThatDiesWithMoreSendsThanTheServerReadsHasNoneOfThemExecuted()
    {
        // 150 sends: the server stops reading this connection at 64 queued (the first blocks in MessageNotify), so
        // the rest are still in the socket when the client dies. Only a hang-up is watched then; the close must
        // drop the queued ones and never read the others (before the fix they were read, one per MessageNotify).
        using var n = new Neighbourhood();
        using var release = new ManualResetEventSlim();
        n.Behaviour["doomed"] = (object? _, ReadOnlySpan<byte> input, Span<byte> _, out int len) =>
        {
            len = 0;
            if (BinaryPrimitives.ReadInt32LittleEndian(input) == 0) release.Wait();
            return NtStatus.Success;
        };
        try
        {
            ClientPort doomedPort;
            using (var doomed = V4.Connect(n.SocketPath, "doomed"))
            {
                doomedPort = n.PortOf("doomed");
                for (int i = 0; i < 150; i++) doomed.Send(V4.Send((uint)i + 1, i));
                PortHost.WaitUntil(() => n.Calls("doomed") >= 1, "the first send's MessageNotify is running");
            }
            PortHost.WaitUntil(() => !doomedPort.IsConnected, "the server saw the client die");
            release.Set();
            PortHost.WaitUntil(() => n.Host.Disconnects == 1, "DisconnectNotify for the dead connection");
            // DisconnectNotify runs last on the connection's lane: nothing of it can start after this.
            Assert.Equal([0], n.Order("doomed"));
        }
        finally
        {
            release.Set();
        }
    }
}
