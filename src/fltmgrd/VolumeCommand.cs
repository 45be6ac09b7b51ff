// fltmgrd --volume BACKING:MOUNTPOINT [--volume ...] [--filter NAME_OR_ASSEMBLY ...]: loads the filters, then mounts
// the volumes (so the first request of a mount already goes through them) and serves in the foreground until SIGINT
// or SIGTERM; then it unmounts and unloads the filters (FilterUnload, mandatory). It never daemonizes by itself.
using System.Globalization;
using System.Runtime.InteropServices;
using Altitude.Fuse;

namespace Altitude.Daemon;

public static class VolumeCommand
{
    public const string Usage = """
        Usage: fltmgrd --volume BACKING:MOUNTPOINT [--volume ...] [--filter NAME_OR_ASSEMBLY ...]
                       [--no-passthrough] [--no-cache] [--cache-timeout SECONDS] [--forward-locks]
                       [--min-readers N] [--max-readers N] [--max-requests N]

        Loads the named filters, then mounts each BACKING directory at MOUNTPOINT through FUSE (mount(2) as root,
        fusermount3 otherwise; BACKING may equal MOUNTPOINT to mount in place) with them attached, and serves until
        SIGINT or SIGTERM, then unmounts and unloads the filters. A filter that fails to load is reported and skipped.
          --filter PassThrough     the PassThrough sample; repeat it to stack more instances (370030, 370020, ...)
          --filter PATH.dll        an assembly with public IMiniFilter classes
          --no-passthrough         never use FUSE passthrough (all data goes through the daemon)
          --no-cache               serve as if a filter watched every operation (no kernel caches, no passthrough)
          --cache-timeout SECONDS  entry/attribute timeout while no filter watches lookups (default 86400)
          --forward-locks          send POSIX/flock locks to the filters (LOCK_CONTROL) instead of keeping them in the kernel
          --min-readers N          FUSE reader threads that always run (default 2)
          --max-readers N          reader threads at most, added while filters block in callbacks (default 32);
                                   past it, requests wait in the kernel until a reader is free
          --max-requests N         requests in flight at most, pended in filters included (default 4096); past it,
                                   readers wait for one to finish
        """;

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var volumes = new List<(string Backing, string MountPoint)>();
        var filters = new List<string>();
        bool passthrough = true, forwardLocks = false, noCache = false;
        double cacheTimeout = 86400;
        var server = new FuseServerOptions();
        int minReaders = server.MinReaders, maxReaders = server.MaxReaders, maxRequests = server.MaxRequests;
        bool Count(string name, string? text, out int value)
        {
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0) return true;
            error.WriteLine($"{name} needs a positive whole number");
            return false;
        }
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (a)
            {
                case "--volume":
                    string? v = Value();
                    int colon = v?.LastIndexOf(':') ?? -1;
                    if (v is null || colon <= 0 || colon == v.Length - 1) { error.WriteLine("--volume needs BACKING:MOUNTPOINT\n" + Usage); return 2; }
                    volumes.Add((v[..colon], v[(colon + 1)..]));
                    break;
                case "--filter":
                    string? f = Value();
                    if (f is null) { error.WriteLine("--filter needs a name or an assembly path"); return 2; }
                    filters.Add(f);
                    break;
                case "--no-passthrough": passthrough = false; break;
                case "--no-cache": noCache = true; break;
                case "--forward-locks": forwardLocks = true; break;
                case "--min-readers": if (!Count(a, Value(), out minReaders)) return 2; break;
                case "--max-readers": if (!Count(a, Value(), out maxReaders)) return 2; break;
                case "--max-requests": if (!Count(a, Value(), out maxRequests)) return 2; break;
                case "--cache-timeout":
                    if (!double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out cacheTimeout) || cacheTimeout < 0)
                    { error.WriteLine("--cache-timeout needs a number of seconds"); return 2; }
                    break;
                default:
                    error.WriteLine($"unknown argument {a}\n" + Usage);
                    return 2;
            }
        }
        if (volumes.Count == 0) { error.WriteLine(Usage); return 2; }

        if (minReaders > maxReaders) { error.WriteLine($"--min-readers ({minReaders}) is above --max-readers ({maxReaders})"); return 2; }
        if (maxRequests < maxReaders) { error.WriteLine($"--max-requests ({maxRequests}) is below --max-readers ({maxReaders})"); return 2; }
        var options = new FuseVolumeOptions
        {
            Passthrough = passthrough, ForwardLocks = forwardLocks, NoCache = noCache, CacheTimeout = TimeSpan.FromSeconds(cacheTimeout),
            Server = new FuseServerOptions { MinReaders = minReaders, MaxReaders = maxReaders, MaxRequests = maxRequests },
        };
        using var manager = new FilterManager();
        manager.FaultReported += fault => error.WriteLine("fault: " + fault);
        var mounted = new List<FuseVolume>();
        using var stop = new ManualResetEventSlim(false);
        void OnSignal(PosixSignalContext c) { c.Cancel = true; stop.Set(); }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        void UnmountAll()
        {
            lock (mounted)
            {
                foreach (var m in mounted) m.Unmount();
                mounted.Clear();
            }
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => UnmountAll();
        try
        {
            // Filters first: a mount must never serve, even for a moment, without the filters it was started with.
            var attachManual = FilterLoader.Load(manager, filters, output, error, out _);
            foreach (var (backing, mountPoint) in volumes)
            {
                var volume = FuseVolume.Mount(manager, backing, mountPoint, options);
                lock (mounted) mounted.Add(volume);
                volume.Server.HandlerFault += e => error.WriteLine("request failed: " + e);
                attachManual(volume.Volume);
                output.WriteLine($"mounted {volume.BackingDirectory} at {volume.MountPoint} ({volume.Volume.Name})");
            }
            foreach (var m in mounted)
                output.WriteLine($"{m.MountPoint}: {m.Volume.Instances.Count} instance(s); passthrough {(m.PassthroughActive ? "on" : "off")}; entry timeout {m.EntryTimeoutSeconds} s");
            output.WriteLine("serving; SIGINT or SIGTERM unmounts");
            output.Flush();
            // Also stop when every mount went away from outside (umount by an administrator).
            while (!stop.Wait(500))
            {
                bool anyAlive = false;
                lock (mounted) foreach (var m in mounted) anyAlive |= !m.WaitForExit(TimeSpan.Zero);
                if (!anyAlive) break;
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            error.WriteLine("fltmgrd: " + e.Message);
            UnmountAll();
            UnloadFilters(manager, error);
            return 1;
        }
        UnmountAll();
        output.WriteLine("unmounted");
        UnloadFilters(manager, error);
        return 0;
    }

    /// <summary>Service stop: each filter's FilterUnload (mandatory), last loaded first; a refusal or a throw is reported.</summary>
    private static void UnloadFilters(FilterManager manager, TextWriter error)
    {
        var filters = manager.Filters;
        for (int i = filters.Count - 1; i >= 0; i--)
        {
            var st = manager.UnloadFilter(filters[i], mandatory: true);
            if (!st.IsSuccess()) error.WriteLine($"fltmgrd: unloading filter {filters[i].Name}: {st.Describe()}");
        }
    }
}
