// Port round trips between two processes, next to a raw AF_UNIX SOCK_SEQPACKET ping-pong between the same
// two processes in the same run. The parent is the filter (FltSendMessage with a reply buffer); a child
// process of this program is the user-mode side (FilterGetMessage + FilterReplyMessage). The raw
// ping-pong moves records of the same sizes as the port frames (32 + 1024 bytes out, 32 + 8 back).
// The isolation section (issue 10) measures one client's round trips alone, then with misbehaving
// neighbours on the same port (a client that never reads, one whose sends take 300 ms, one that floods).
//   dotnet run -c Release --project bench/Altitude.PortBench [-- seconds [latency|raw|port|async|isolation]]
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Altitude;
using Altitude.FilterLib;

using static Sizes;

if (args.Length > 0 && args[0] == "client") return Client.Run(args);

double seconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3;
string dir = Path.Combine(Path.GetTempPath(), $"altitude-portbench-{Environment.ProcessId}");
Directory.CreateDirectory(dir);
try
{
    Console.WriteLine($"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {seconds} s per throughput run, {Payload}-byte messages, {ReplyPayload}-byte replies");
    // A second argument "latency" runs only the latency table; "raw", "port" or "async" only that row
    // (for profiling the one-outstanding path, e.g. under perf stat or strace); "isolation" only the
    // isolation section; "idle [N]" the cost of N idle connections.
    string only = args.Length > 1 ? args[1] : "";
    if (only == "isolation")
    {
        Isolation.Run(dir);
        return 0;
    }
    if (only == "idle")
    {
        IdleConnections.Run(dir, args.Length > 2 ? int.Parse(args[2]) : 10_000);
        return 0;
    }
    if (only is "raw" or "port" or "async")
    {
        var (p50, p99) = only == "raw" ? RawLatency(dir) : PortLatency(dir, only);
        Console.WriteLine($"{only} p50 {p50:F1} us, p99 {p99:F1} us");
        return 0;
    }
    var (rawP50, rawP99) = RawLatency(dir);
    var (portP50, portP99) = PortLatency(dir, "port");
    var (asyncP50, asyncP99) = PortLatency(dir, "async");
    Console.WriteLine();
    Console.WriteLine("round trip, 1 outstanding      p50 us    p99 us");
    Console.WriteLine($"  raw SOCK_SEQPACKET        {rawP50,9:F1} {rawP99,9:F1}");
    Console.WriteLine($"  port Send/Get/Reply       {portP50,9:F1} {portP99,9:F1}");
    Console.WriteLine($"  ratio port/raw            {portP50 / rawP50,9:F2} {portP99 / rawP99,9:F2}   (target p50 <= 1.3)");
    Console.WriteLine($"  port Send/GetAsync+Reply  {asyncP50,9:F1} {asyncP99,9:F1}");
    Console.WriteLine($"  ratio port-async/raw      {asyncP50 / rawP50,9:F2} {asyncP99 / rawP99,9:F2}   (the reply and the next get leave in one record)");
    if (only == "latency") return 0;
    Console.WriteLine();
    Console.WriteLine("throughput (round trips/s)    raw        port    port/raw   port-async  async/raw   both-async  both/raw");
    foreach (int k in new[] { 1, 4, 16 })
    {
        double raw = RawThroughput(dir, k, seconds);
        double port = PortThroughput(dir, k, seconds, "port");
        double async = PortThroughput(dir, k, seconds, "async");
        double both = PortAsyncThroughput(dir, k, seconds);
        Console.WriteLine($"  {k,2} outstanding      {raw,10:F0} {port,10:F0} {port / raw,9:F2}  {async,10:F0} {async / raw,9:F2}  {both,10:F0} {both / raw,9:F2}{(k == 16 ? "   (target >= 0.6)" : "")}");
    }
    Console.WriteLine("  (port: k filter threads in SendMessage, one user thread per outstanding message in FilterGetMessage;");
    Console.WriteLine("   port-async: the same filter side, one user thread posting k FilterGetMessageAsync;");
    Console.WriteLine("   both-async: one filter thread starting k SendMessageAsync loops, the client as in port-async)");
    Console.WriteLine();
    Isolation.Run(dir);
}
finally
{
    Directory.Delete(dir, recursive: true);
}
return 0;

static Process StartClient(string dir, string mode, int k) => Children.Start(dir, mode, k);

static (FilterManager, Filter, ServerPort) CreatePort(string dir, Action<ClientPort> connected) =>
    Children.CreatePort(dir, (ClientPort p, object? s, ReadOnlySpan<byte> c, out object? cookie) => { cookie = null; connected(p); return NtStatus.Success; }, null, 1);

static (double, double) Percentiles(long[] ticks) => Children.Percentiles(ticks);

static long WarmupEnd() => Children.WarmupEnd();


static Socket RawAccept(string dir, string mode, int k, out Process child)
{
    string path = Path.Combine(dir, "raw.sock");
    File.Delete(path);
    using var listener = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
    listener.Bind(new UnixDomainSocketEndPoint(path));
    listener.Listen(1);
    child = StartClient(dir, mode, k);
    return listener.Accept();
}

static (double, double) RawLatency(string dir)
{
    using var s = RawAccept(dir, "raw", 1, out var child);
    var msg = new byte[Frame];
    var back = new byte[Frame];
    var samples = new long[LatencySamples];
    for (long warm = WarmupEnd(); Stopwatch.GetTimestamp() < warm;) for (int i = 0; i < 100; i++) { s.Send(msg); s.Receive(back); }
    for (int i = 0; i < samples.Length; i++)
    {
        long t = Stopwatch.GetTimestamp();
        s.Send(msg);
        s.Receive(back);
        samples[i] = Stopwatch.GetTimestamp() - t;
    }
    s.Shutdown(SocketShutdown.Both);
    child.WaitForExit();
    return Percentiles(samples);
}

static double RawThroughput(string dir, int k, double seconds)
{
    using var s = RawAccept(dir, "raw", k, out var child);
    var msg = new byte[Frame];
    var back = new byte[Frame];
    // Pipelined: k records in flight, one more sent per reply.
    for (int i = 0; i < k; i++) s.Send(msg);
    long count = 0;
    long end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
    long start = Stopwatch.GetTimestamp();
    while (true)
    {
        s.Receive(back);
        count++;
        if ((count & 63) == 0 && Stopwatch.GetTimestamp() >= end) break;
        s.Send(msg);
    }
    double rate = count / ((double)(Stopwatch.GetTimestamp() - start) / Stopwatch.Frequency);
    s.Shutdown(SocketShutdown.Both);
    child.WaitForExit();
    return rate;
}


static (double, double) PortLatency(string dir, string mode)
{
    ClientPort? client = null;
    using var ready = new ManualResetEventSlim();
    var (manager, filter, _) = CreatePort(dir, p => { client = p; ready.Set(); });
    using var child = StartClient(dir, mode, 1);
    ready.Wait();
    var msg = new byte[Payload];
    var reply = new byte[ReplyPayload];
    var samples = new long[LatencySamples];
    for (long warm = WarmupEnd(); Stopwatch.GetTimestamp() < warm;) for (int i = 0; i < 100; i++) filter.SendMessage(ref client, msg, reply, out _);
    for (int i = 0; i < samples.Length; i++)
    {
        long t = Stopwatch.GetTimestamp();
        var st = filter.SendMessage(ref client, msg, reply, out _);
        samples[i] = Stopwatch.GetTimestamp() - t;
        if (st != NtStatus.Success) throw new InvalidOperationException(st.Describe());
    }
    manager.Dispose();
    child.WaitForExit();
    return Percentiles(samples);
}

static double PortThroughput(string dir, int k, double seconds, string mode)
{
    ClientPort? client = null;
    using var ready = new ManualResetEventSlim();
    var (manager, filter, _) = CreatePort(dir, p => { client = p; ready.Set(); });
    using var child = StartClient(dir, mode, k);
    ready.Wait();
    long count = 0;
    long end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
    var threads = new Thread[k];
    long start = Stopwatch.GetTimestamp();
    for (int t = 0; t < k; t++)
    {
        threads[t] = new Thread(() =>
        {
            var msg = new byte[Payload];
            var reply = new byte[ReplyPayload];
            var port = client;
            long n = 0;
            while (true)
            {
                if (filter.SendMessage(ref port, msg, reply, out _) != NtStatus.Success) throw new InvalidOperationException("send failed");
                n++;
                if ((n & 15) == 0 && Stopwatch.GetTimestamp() >= end) break;
            }
            Interlocked.Add(ref count, n);
        });
        threads[t].Start();
    }
    foreach (var t in threads) t.Join();
    double rate = count / ((double)(Stopwatch.GetTimestamp() - start) / Stopwatch.Frequency);
    manager.Dispose();
    child.WaitForExit();
    return rate;
}

static double PortAsyncThroughput(string dir, int k, double seconds)
{
    var holder = new PortRef();
    using var ready = new ManualResetEventSlim();
    var (manager, filter, _) = CreatePort(dir, p => { holder.Port = p; ready.Set(); });
    using var child = StartClient(dir, "async", k);
    ready.Wait();
    long count = 0;
    long end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
    long start = Stopwatch.GetTimestamp();
    // One thread starts k loops; each continuation runs on the thread that read the reply (the
    // connection's reader) and sends the next message from there.
    var loops = new Task[k];
    for (int t = 0; t < k; t++) loops[t] = Loop();
    Task.WaitAll(loops);
    double rate = count / ((double)(Stopwatch.GetTimestamp() - start) / Stopwatch.Frequency);
    manager.Dispose();
    child.WaitForExit();
    return rate;

    async Task Loop()
    {
        var msg = new byte[Payload];
        var reply = new byte[ReplyPayload];
        long n = 0;
        while (true)
        {
            var r = await filter.SendMessageAsync(ref holder.Port, msg, reply);
            if (r.Status != NtStatus.Success) throw new InvalidOperationException("send failed: " + r.Status.Describe());
            n++;
            if ((n & 15) == 0 && Stopwatch.GetTimestamp() >= end) break;
        }
        Interlocked.Add(ref count, n);
    }
}

/// <summary>The user-mode side, in the child process.</summary>
static class Client
{
    public static int Run(string[] args)
    {
        string dir = args[1], mode = args[2];
        int k = int.Parse(args[3]);
        byte[] context = Encoding.UTF8.GetBytes(args.Length > 4 ? args[4] : "");
        if (mode == "idle")
        {
            IdleConnections.Hold(dir, k);
            return 0;
        }
        if (mode is "stall" or "slow" or "flood")
        {
            Isolation.Neighbour(dir, mode, k, context);
            return 0;
        }
        if (mode == "raw")
        {
            using var s = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
            s.Connect(new UnixDomainSocketEndPoint(Path.Combine(dir, "raw.sock")));
            var buf = new byte[Frame];
            var reply = new byte[ReplyFrame];
            try
            {
                while (s.Receive(buf) > 0) s.Send(reply);
            }
            catch (SocketException)
            {
                // The parent stops with records still in flight: EPIPE/ECONNRESET end the run.
            }
            return 0;
        }
        using var h = FltLib.FilterConnectCommunicationPort(@"\BenchPort", 0, context, dir);
        if (mode == "async")
        {
            // IOCP style: k gets outstanding on one handle, each re-posted from its completion.
            var loops = new Task[k];
            for (int t = 0; t < k; t++) loops[t] = AsyncGetter(h);
            try { Task.WaitAll(loops); } catch (AggregateException) { }
            return 0;
        }
        // One getter thread per outstanding message: each blocks in FilterGetMessage and replies.
        var threads = new Thread[k];
        for (int t = 0; t < k; t++)
        {
            threads[t] = new Thread(() =>
            {
                var buf = new byte[FilterMessageHeader.Size + Payload];
                var reply = new byte[FilterReplyHeader.Size + ReplyPayload];
                while (FltLib.TryFilterGetMessage(h, buf, out _) == 0)
                {
                    new FilterReplyHeader { MessageId = FilterMessageHeader.Read(buf).MessageId }.Write(reply);
                    if (FltLib.TryFilterReplyMessage(h, reply) != 0) break;
                }
            });
            threads[t].Start();
        }
        foreach (var t in threads) t.Join();
        return 0;
    }

    private static async Task AsyncGetter(FilterPortHandle h)
    {
        var buf = new byte[FilterMessageHeader.Size + Payload];
        var reply = new byte[FilterReplyHeader.Size + ReplyPayload];
        while (true)
        {
            await FltLib.FilterGetMessageAsync(h, buf);
            new FilterReplyHeader { MessageId = FilterMessageHeader.Read(buf).MessageId }.Write(reply);
            if (FltLib.TryFilterReplyMessage(h, reply) != 0) return;
        }
    }
}

sealed class PortRef
{
    public ClientPort? Port;
}

static class Sizes
{
    /// <summary>Round trips timed per latency row; PORTBENCH_SAMPLES overrides it (longer runs for profiling).</summary>
    public static readonly int LatencySamples = int.TryParse(Environment.GetEnvironmentVariable("PORTBENCH_SAMPLES"), out int n) && n > 0 ? n : 20_000;
    public const double WarmupSeconds = 1.5;
    public const int Payload = 1024, ReplyPayload = 8, Frame = 32 + Payload, ReplyFrame = 32 + ReplyPayload;
}

/// <summary>Child processes and the port, shared by the round-trip rows and the isolation section.</summary>
static class Children
{
    public static Process Start(string dir, string mode, int k, string context = "", bool watchStdin = false, bool nice = false)
    {
        // PORTBENCH_CHILD_CPU pins the user-mode side (raw and port alike) to one CPU with taskset, so that both
        // baselines and ports run with the same placement: the scheduler otherwise flips between same-core and
        // cross-core wake-ups from run to run, which changes the raw figures by 5x (bench/port-bench.sh).
        string? cpu = Environment.GetEnvironmentVariable("PORTBENCH_CHILD_CPU");
        var psi = new ProcessStartInfo(nice ? "nice" : cpu is null ? Environment.ProcessPath! : "taskset") { UseShellExecute = false };
        // nice: the whole child (every thread it starts) at the lowest CPU priority, so that what it costs the
        // other processes' CPUs is not counted as what it costs them through the port.
        if (nice)
        {
            psi.ArgumentList.Add("-n");
            psi.ArgumentList.Add("19");
            psi.ArgumentList.Add(cpu is null ? Environment.ProcessPath! : "taskset");
        }
        if (cpu is not null)
        {
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(cpu);
            psi.ArgumentList.Add(Environment.ProcessPath!);
        }
        // Under "dotnet PortBench.dll" the process path is the host; pass the assembly too.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(typeof(Client).Assembly.Location);
        foreach (var a in new[] { "client", dir, mode, k.ToString(), context }) psi.ArgumentList.Add(a);
        // A child that watches its standard input exits when it reaches EOF, i.e. when this process is gone,
        // even if it was killed before its finally could stop the child.
        psi.RedirectStandardInput = watchStdin;
        return Process.Start(psi)!;
    }

    public static (FilterManager, Filter, ServerPort) CreatePort(string dir, ConnectNotifyCallback connect, MessageNotifyCallback? message, int maxConnections)
    {
        var manager = new FilterManager(new FilterManagerOptions { PortDirectory = dir });
        manager.RegisterFilter(FilterConfiguration.Single("PortBench", "370000"), new FilterRegistration { FilterUnload = _ => NtStatus.Success }, out var filter);
        var st = filter!.CreateCommunicationPort(new ObjectAttributes(@"\BenchPort", ObjectAttributes.PortDefaults, "D:(A;;GA;;;WD)"), null,
            connect, _ => { }, message, maxConnections, out var port);
        if (st != NtStatus.Success) throw new InvalidOperationException(st.Describe());
        return (manager, filter, port!);
    }

    // Round trips before timing: long enough for tiered compilation to reach its optimized code on both sides
    // (call counting starts 100 ms after the last tier-0 compile, then a background compile), so the figures
    // are the steady state of a long-running filter and its service, not of half-jitted code. 2000 round
    // trips (~30 ms) were measured to leave the port path partly in tier-0 code: 1-1.5 us more per round trip.
    public static long WarmupEnd() => Stopwatch.GetTimestamp() + (long)(WarmupSeconds * Stopwatch.Frequency);

    public static (double, double) Percentiles(long[] ticks)
    {
        Array.Sort(ticks);
        double us = 1e6 / Stopwatch.Frequency;
        // PORTBENCH_SHAPE=1: the distribution around the median too (same-core runs are bimodal: whether the
        // kernel switches to the woken side at once or at the next block).
        if (Environment.GetEnvironmentVariable("PORTBENCH_SHAPE") == "1")
            Console.WriteLine("  p10/25/50/75/90 us: " + string.Join(" / ", new[] { 0.10, 0.25, 0.5, 0.75, 0.9 }.Select(q => (ticks[(int)(ticks.Length * q)] * us).ToString("F1"))));
        return (ticks[ticks.Length / 2] * us, ticks[(int)(ticks.Length * 0.99)] * us);
    }
}

/// <summary>
/// Issue 10: one client's round trips (FltSendMessage with a reply, one outstanding, as in the port row) alone,
/// then with three misbehaving neighbours connected to the same port, each in a child process of its own:
/// "stall" sends 100 Send frames of 64 KiB asking for 64 KiB answers and never reads its socket (raw wire
/// protocol: FilterSendMessage would wait for each answer); "slow" loops on FilterSendMessage whose MessageNotify
/// sleeps 300 ms; "flood" sends FilterSendMessage from 4 threads as fast as it can (MessageNotify returns at once).
/// </summary>
static class Isolation
{
    private const string Good = "good", Stall = "stall", Slow = "slow", Flood = "flood";
    private const int StallSends = 100, FloodThreads = 4, SlowMilliseconds = 300;
    private static ClientPort? good;
    private static readonly ManualResetEventSlim GoodConnected = new();
    private static int stallConnects, slowConnects, floodConnects;
    private static long stallCalls, slowCalls, floodCalls, neighboursStarted, lastStallCall;

    /// <summary>Seconds of each phase (PORTBENCH_ISOLATION_SECONDS, default 5): long enough for many 300 ms slow sends.</summary>
    private static double PhaseSeconds => double.TryParse(Environment.GetEnvironmentVariable("PORTBENCH_ISOLATION_SECONDS"), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double s) && s > 0 ? s : 5;

    public static void Run(string dir)
    {
        good = null;
        GoodConnected.Reset();
        stallConnects = slowConnects = floodConnects = 0;
        stallCalls = slowCalls = floodCalls = lastStallCall = 0;
        var (manager, filter, _) = Children.CreatePort(dir, Connect, Message, maxConnections: 8);
        var neighbours = new List<Process>();
        Process? goodChild = null;
        try
        {
            goodChild = Children.Start(dir, "port", 1, Good, watchStdin: true);
            if (!GoodConnected.Wait(TimeSpan.FromSeconds(30))) throw new InvalidOperationException("the good client did not connect");
            var msg = new byte[Payload];
            var reply = new byte[ReplyPayload];
            for (long warm = Children.WarmupEnd(); Stopwatch.GetTimestamp() < warm;)
                for (int i = 0; i < 100; i++) Check(filter.SendMessage(ref good, msg, reply, out _));
            Trace("phase 1");
            var alone = Measure(filter, PhaseSeconds, neighbours);

            neighboursStarted = Stopwatch.GetTimestamp();
            neighbours.Add(Children.Start(dir, Stall, 1, Stall, watchStdin: true));
            neighbours.Add(Children.Start(dir, Slow, 1, Slow, watchStdin: true));
            long give0 = Stopwatch.GetTimestamp() + 30 * Stopwatch.Frequency;
            while ((Volatile.Read(ref stallCalls) == 0 || Volatile.Read(ref slowCalls) == 0) && Stopwatch.GetTimestamp() < give0) Thread.Sleep(5);
            Trace("phase 2 (stalled neighbour)");
            var stalled = Measure(filter, PhaseSeconds, neighbours);
            // The flood at nice 19: the CPU time its own process burns is not the port's doing; the server's share
            // of serving it (its MessageNotify calls, its reads) still competes with the good client.
            neighbours.Add(Children.Start(dir, Flood, FloodThreads, Flood, watchStdin: true, nice: true));
            // Phase 2 starts once the stall client's first send was served (its answers pile up unread) and the
            // slow and flood clients are connected, or 2 s after the stall began if they are not: it does not
            // wait for their sends to be served either. A server that lets the stall hold them up (their
            // connects or their MessageNotify) shows it in the counts below, instead of the stall being over
            // (e.g. closed by a send timeout) before the phase begins.
            long give = Stopwatch.GetTimestamp() + 30 * Stopwatch.Frequency;
            while (Volatile.Read(ref stallCalls) == 0 && Stopwatch.GetTimestamp() < give) Thread.Sleep(5);
            give = Stopwatch.GetTimestamp() + 2 * Stopwatch.Frequency;
            while (!Started() && Stopwatch.GetTimestamp() < give) Thread.Sleep(5);
            bool started = Started();
            int stallAt = Volatile.Read(ref stallConnects), slowAt = Volatile.Read(ref slowConnects), floodAt = Volatile.Read(ref floodConnects);
            Trace("phase 2 gate");
            Thread.Sleep(100);
            long stall0 = Volatile.Read(ref stallCalls), slow0 = Volatile.Read(ref slowCalls), flood0 = Volatile.Read(ref floodCalls);
            Trace("phase 2");
            var with = Measure(filter, PhaseSeconds, neighbours);
            Trace("phase 2 done");
            long stall1 = Volatile.Read(ref stallCalls), slow1 = Volatile.Read(ref slowCalls), flood1 = Volatile.Read(ref floodCalls);

            Console.WriteLine($"isolation: one client's round trips (port Send/Get/Reply, 1 outstanding) for {PhaseSeconds} s per phase, port with MaxConnections 8");
            Console.WriteLine("                                   p50 us     p99 us   samples");
            Console.WriteLine($"  alone                       {alone.P50,10:F1} {alone.P99,10:F1} {alone.Count,9}");
            Console.WriteLine($"  with stall+slow             {stalled.P50,10:F1} {stalled.P99,10:F1} {stalled.Count,9}{(stalled.Error is null ? "" : "   " + stalled.Error)}");
            Console.WriteLine($"  ratio stalled/alone         {stalled.P50 / alone.P50,10:F2} {stalled.P99 / alone.P99,10:F2}   (target p99 <= 1.5)");
            Console.WriteLine($"  with stall+slow+flood       {with.P50,10:F1} {with.P99,10:F1} {with.Count,9}{(with.Error is null ? "" : "   " + with.Error)}");
            Console.WriteLine($"  ratio with/alone            {with.P50 / alone.P50,10:F2} {with.P99 / alone.P99,10:F2}   (the flood at nice 19; the server serves it at normal priority)");
            Console.WriteLine($"  neighbours stall/slow/flood: {stallAt}/{slowAt}/{floodAt} connected at the start{(started ? "" : " (not all within 2 s of the stall)")}, {stallConnects}/{slowConnects}/{floodConnects} in all; during the {with.Seconds:F1} s phase: stall MessageNotify {stall1 - stall0} (total {stall1} of {StallSends},"
                + $" the last {(double)(Volatile.Read(ref lastStallCall) - neighboursStarted) / Stopwatch.Frequency:F1} s after the neighbours started; answers unread),");
            Console.WriteLine($"    slow MessageNotify {slow1 - slow0} ({SlowMilliseconds} ms each), flood MessageNotify {(flood1 - flood0) / Math.Max(with.Seconds, 1e-9):F0}/s ({FloodThreads} threads)");
        }
        finally
        {
            Trace("cleanup");
            Stop(neighbours);
            Trace("neighbours stopped");
            manager.Dispose();
            Trace("manager disposed");
            if (goodChild is not null)
            {
                if (!goodChild.WaitForExit(10_000)) Kill(goodChild);
                goodChild.Dispose();
            }
            Trace("done");
        }
    }

    private static bool Started() => Volatile.Read(ref stallConnects) > 0 && Volatile.Read(ref slowConnects) > 0 && Volatile.Read(ref floodConnects) > 0 && Volatile.Read(ref stallCalls) > 0;

    // PORTBENCH_TRACE=1: when each step of the isolation section starts (stderr).
    private static void Trace(string what)
    {
        if (Environment.GetEnvironmentVariable("PORTBENCH_TRACE") == "1") Console.Error.WriteLine($"  [{DateTime.Now:HH:mm:ss.fff}] {what}");
    }

    private static void Check(NtStatus st)
    {
        if (st != NtStatus.Success) throw new InvalidOperationException(st.Describe());
    }

    private static NtStatus Connect(ClientPort port, object? serverCookie, ReadOnlySpan<byte> context, out object? cookie)
    {
        string name = Encoding.UTF8.GetString(context);
        cookie = name;
        switch (name)
        {
            case Good: good = port; GoodConnected.Set(); break;
            case Stall: Interlocked.Increment(ref stallConnects); break;
            case Slow: Interlocked.Increment(ref slowConnects); break;
            case Flood: Interlocked.Increment(ref floodConnects); break;
        }
        Trace("connected: " + name);
        return NtStatus.Success;
    }

    private static NtStatus Message(object? cookie, ReadOnlySpan<byte> input, Span<byte> output, out int returned)
    {
        returned = 0;
        switch (cookie as string)
        {
            case Slow:
                if (Interlocked.Increment(ref slowCalls) == 1) Trace("first slow MessageNotify");
                Thread.Sleep(SlowMilliseconds);
                break;
            case Stall:
                // A full 64 KiB answer: the client never reads them, so its socket buffer fills at once.
                if (Interlocked.Increment(ref stallCalls) == 1) Trace("first stall MessageNotify");
                Volatile.Write(ref lastStallCall, Stopwatch.GetTimestamp());
                returned = output.Length;
                break;
            default:
                if (Interlocked.Increment(ref floodCalls) == 1) Trace("first flood MessageNotify");
                break;
        }
        return NtStatus.Success;
    }

    private readonly record struct Result(double P50, double P99, int Count, double Seconds, string? Error);

    // Round trips one after the other for a fixed time (at most MaxSamples). They run on a thread of their own; if
    // one stays blocked well past the phase, the neighbours are killed (their connections close) so that it can
    // end, and the result says so.
    private const int MaxSamples = 2_000_000;

    private static Result Measure(Filter filter, double seconds, List<Process> neighbours)
    {
        var ticks = new long[MaxSamples];
        int count = 0;
        string? error = null;
        long start = Stopwatch.GetTimestamp();
        long end = start + (long)(seconds * Stopwatch.Frequency);
        var thread = new Thread(() =>
        {
            var msg = new byte[Payload];
            var reply = new byte[ReplyPayload];
            while (count < ticks.Length && Stopwatch.GetTimestamp() < end)
            {
                long t = Stopwatch.GetTimestamp();
                var st = filter.SendMessage(ref good, msg, reply, out _);
                ticks[count] = Stopwatch.GetTimestamp() - t;
                count++;
                if (st != NtStatus.Success)
                {
                    error = "stopped: " + st.Describe();
                    break;
                }
            }
        }) { IsBackground = true, Name = "isolation round trips" };
        thread.Start();
        if (!thread.Join(TimeSpan.FromSeconds(seconds + 30)))
        {
            Stop(neighbours);
            error = (error ?? "") + " (a round trip was still blocked 30 s after the phase: neighbours killed"
                + (thread.Join(TimeSpan.FromSeconds(30)) ? ")" : ", and it still did not return)");
        }
        count = Math.Min(Volatile.Read(ref count), ticks.Length);
        double elapsed = (double)(Stopwatch.GetTimestamp() - start) / Stopwatch.Frequency;
        if (count == 0) return new Result(double.NaN, double.NaN, 0, elapsed, error);
        var (p50, p99) = Children.Percentiles(ticks[..count]);
        return new Result(p50, p99, count, elapsed, error);
    }

    private static void Stop(List<Process> children)
    {
        foreach (var c in children) Kill(c);
        foreach (var c in children)
        {
            c.WaitForExit(10_000);
            c.Dispose();
        }
        children.Clear();
    }

    private static void Kill(Process p)
    {
        try
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }

    /// <summary>A neighbour, in its child process; runs until killed, until its parent is gone (EOF on standard input) or the port closes.</summary>
    public static void Neighbour(string dir, string mode, int threads, byte[] context)
    {
        new Thread(() =>
        {
            using var stdin = Console.OpenStandardInput();
            var b = new byte[64];
            while (stdin.Read(b) > 0) { }
            Environment.Exit(0);
        }) { IsBackground = true }.Start();
        if (mode == Stall)
        {
            // The wire protocol by hand (docs/port-protocol.md): a Hello, then Send frames, and never a recv.
            using var s = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
            s.Connect(new UnixDomainSocketEndPoint(Path.Combine(dir, "benchport")));
            var hello = new byte[32 + context.Length];
            Header(hello, kind: 1, tag: 0, value: (uint)context.Length);
            context.CopyTo(hello.AsSpan(32));
            s.Send(hello);
            var frame = new byte[32 + 65536];
            for (uint i = 1; i <= StallSends; i++)
            {
                Header(frame, kind: 9, tag: i, value: 65536);
                try
                {
                    s.Send(frame);
                }
                catch (SocketException)
                {
                    break;   // the server closed the connection
                }
            }
            Thread.Sleep(Timeout.Infinite);
            return;
        }
        using var h = FltLib.FilterConnectCommunicationPort(@"\BenchPort", 0, context, dir);
        var loops = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            loops[t] = new Thread(() =>
            {
                var input = new byte[64];
                var output = new byte[64];
                while (FltLib.TryFilterSendMessage(h, input, output, out _) == 0) { }
            });
            loops[t].Start();
        }
        foreach (var t in loops) t.Join();
    }

    private static void Header(Span<byte> frame, byte kind, uint tag, uint value)
    {
        frame[..32].Clear();
        frame[0] = kind;
        frame[1] = 4;
        BinaryPrimitives.WriteUInt32LittleEndian(frame[4..], tag);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[16..], value);
    }
}
