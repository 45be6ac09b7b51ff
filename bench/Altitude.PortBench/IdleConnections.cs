// The cost of idle connections: a child process opens N connections (each through its hello, so each
// was admitted and counts against MaxConnections) and holds them; the filter's process reports its
// resident memory, managed heap and thread count before and after, then a new client's FilterSendMessage
// round trip is served while the N stay open.
//   bench/port-bench.sh 1 idle [N]     (N defaults to 10000; the fd limit must allow N + a few in each process)
using System.Diagnostics;
using Altitude;
using Altitude.FilterLib;

static class IdleConnections
{
    public static void Run(string dir, int count)
    {
        var manager = new FilterManager(new FilterManagerOptions { PortDirectory = dir });
        manager.RegisterFilter(FilterConfiguration.Single("PortBenchIdle", "370000"), new FilterRegistration { FilterUnload = _ => NtStatus.Success }, out var filter);
        int connected = 0;
        var st = filter!.CreateCommunicationPort(new ObjectAttributes(@"\IdlePort", ObjectAttributes.PortDefaults, "D:(A;;GA;;;WD)"), null,
            (ClientPort p, object? s, ReadOnlySpan<byte> c, out object? cookie) => { cookie = null; Interlocked.Increment(ref connected); return NtStatus.Success; },
            _ => Interlocked.Decrement(ref connected),
            (object? cookie, ReadOnlySpan<byte> input, Span<byte> output, out int n) => { input.CopyTo(output); n = input.Length; return NtStatus.Success; },
            count + 16, out _);
        if (st != NtStatus.Success) throw new InvalidOperationException(st.Describe());
        // One connection first, so the I/O thread, a worker and the code paths exist before the baseline.
        using (var warm = FltLib.FilterConnectCommunicationPort(@"\IdlePort", 0, default, dir))
            FltLib.FilterSendMessage(warm, "warm"u8, new byte[8]);
        SpinWait.SpinUntil(() => Volatile.Read(ref connected) == 0, 10_000);
        var before = Sample();
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardInput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(typeof(IdleConnections).Assembly.Location);
        foreach (var a in new[] { "client", dir, "idle", count.ToString() }) psi.ArgumentList.Add(a);
        using var child = Process.Start(psi)!;
        try
        {
            string? line = child.StandardOutput.ReadLine();
            if (line != "idle " + count) throw new InvalidOperationException("idle client: " + line);
            SpinWait.SpinUntil(() => Volatile.Read(ref connected) >= count, 60_000);
            GC.Collect();
            var after = Sample();
            Console.WriteLine($"idle connections: {count} admitted and held by another process ({Volatile.Read(ref connected)} connected)");
            Console.WriteLine("                       before      after    per connection");
            Console.WriteLine($"  RSS (KiB)          {before.Rss,9} {after.Rss,10} {(after.Rss - before.Rss) / (double)count,12:F2}");
            Console.WriteLine($"  managed heap (KiB) {before.Heap / 1024,9} {after.Heap / 1024,10} {(after.Heap - before.Heap) / 1024.0 / count,12:F2}");
            Console.WriteLine($"  threads            {before.Threads,9} {after.Threads,10}");
            // A new client is served while they stay open.
            using var good = FltLib.FilterConnectCommunicationPort(@"\IdlePort", 0, default, dir);
            var output = new byte[8];
            int n = FltLib.FilterSendMessage(good, "served"u8, output);
            Console.WriteLine($"  then a new client's FilterSendMessage: {System.Text.Encoding.UTF8.GetString(output, 0, n)}");
        }
        finally
        {
            child.StandardInput.Close();
            if (!child.WaitForExit(30_000)) child.Kill();
            manager.Dispose();
        }
    }

    /// <summary>The child: opens <paramref name="count"/> connections, says so, and holds them until stdin closes.</summary>
    public static void Hold(string dir, int count)
    {
        var handles = new List<FilterPortHandle>(count);
        try
        {
            for (int i = 0; i < count; i++) handles.Add(FltLib.FilterConnectCommunicationPort(@"\IdlePort", 0, default, dir));
            Console.WriteLine("idle " + count);
            Console.Out.Flush();
            Console.In.ReadToEnd();
        }
        finally
        {
            foreach (var h in handles) h.Dispose();
        }
    }

    private static (long Rss, long Heap, int Threads) Sample()
    {
        long rss = 0;
        int threads = 0;
        foreach (var l in File.ReadLines("/proc/self/status"))
        {
            if (l.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = long.Parse(l.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries)[1]);
            if (l.StartsWith("Threads:", StringComparison.Ordinal)) threads = int.Parse(l.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        return (rss, GC.GetTotalMemory(forceFullCollection: true), threads);
    }
}
