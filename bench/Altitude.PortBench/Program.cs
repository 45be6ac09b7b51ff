// Port round trips between two processes, next to a raw AF_UNIX SOCK_SEQPACKET ping-pong between the same
// two processes in the same run. The parent is the filter (FltSendMessage with a reply buffer); a child
// process of this program is the user-mode side (FilterGetMessage + FilterReplyMessage). The raw
// ping-pong moves records of the same sizes as the port frames (32 + 1024 bytes out, 32 + 8 back).
//   dotnet run -c Release --project bench/Altitude.PortBench [-- seconds]
using System.Diagnostics;
using System.Net.Sockets;
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
    // (for profiling the one-outstanding path, e.g. under perf stat or strace).
    string only = args.Length > 1 ? args[1] : "";
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
}
finally
{
    Directory.Delete(dir, recursive: true);
}
return 0;

static Process StartClient(string dir, string mode, int k)
{
    // PORTBENCH_CHILD_CPU pins the user-mode side (raw and port alike) to one CPU with taskset, so that both
    // baselines and ports run with the same placement: the scheduler otherwise flips between same-core and
    // cross-core wake-ups from run to run, which changes the raw figures by 5x (bench/port-bench.sh).
    string? cpu = Environment.GetEnvironmentVariable("PORTBENCH_CHILD_CPU");
    var psi = new ProcessStartInfo(cpu is null ? Environment.ProcessPath! : "taskset") { UseShellExecute = false };
    if (cpu is not null)
    {
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(cpu);
        psi.ArgumentList.Add(Environment.ProcessPath!);
    }
    // Under "dotnet PortBench.dll" the process path is the host; pass the assembly too.
    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(typeof(Client).Assembly.Location);
    foreach (var a in new[] { "client", dir, mode, k.ToString() }) psi.ArgumentList.Add(a);
    return Process.Start(psi)!;
}

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

static (FilterManager, Filter, ServerPort) CreatePort(string dir, Action<ClientPort> connected)
{
    var manager = new FilterManager(new FilterManagerOptions { PortDirectory = dir });
    manager.RegisterFilter(FilterConfiguration.Single("PortBench", "370000"), new FilterRegistration { FilterUnload = _ => NtStatus.Success }, out var filter);
    var st = filter!.CreateCommunicationPort(new ObjectAttributes(@"\BenchPort", ObjectAttributes.PortDefaults, "D:(A;;GA;;;WD)"), null,
        (ClientPort p, object? s, ReadOnlySpan<byte> c, out object? cookie) => { cookie = null; connected(p); return NtStatus.Success; },
        _ => { }, null, 1, out var port);
    if (st != NtStatus.Success) throw new InvalidOperationException(st.Describe());
    return (manager, filter, port!);
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

// Round trips before timing: long enough for tiered compilation to reach its optimized code on both sides
// (call counting starts 100 ms after the last tier-0 compile, then a background compile), so the figures
// are the steady state of a long-running filter and its service, not of half-jitted code. 2000 round
// trips (~30 ms) were measured to leave the port path partly in tier-0 code: 1-1.5 us more per round trip.
static long WarmupEnd() => Stopwatch.GetTimestamp() + (long)(WarmupSeconds * Stopwatch.Frequency);

static (double, double) Percentiles(long[] ticks)
{
    Array.Sort(ticks);
    double us = 1e6 / Stopwatch.Frequency;
    // PORTBENCH_SHAPE=1: the distribution around the median too (same-core runs are bimodal: whether the
    // kernel switches to the woken side at once or at the next block).
    if (Environment.GetEnvironmentVariable("PORTBENCH_SHAPE") == "1")
        Console.WriteLine("  p10/25/50/75/90 us: " + string.Join(" / ", new[] { 0.10, 0.25, 0.5, 0.75, 0.9 }.Select(q => (ticks[(int)(ticks.Length * q)] * us).ToString("F1"))));
    return (ticks[ticks.Length / 2] * us, ticks[(int)(ticks.Length * 0.99)] * us);
}

/// <summary>The user-mode side, in the child process.</summary>
static class Client
{
    public static int Run(string[] args)
    {
        string dir = args[1], mode = args[2];
        int k = int.Parse(args[3]);
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
        using var h = FltLib.FilterConnectCommunicationPort(@"\BenchPort", 0, default, dir);
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
