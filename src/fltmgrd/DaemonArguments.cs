// fltmgrd's command line: the configuration directory, and the quick flags that add volumes and filters to it (the
// benchmarks and tests start the daemon with those alone).
using System.Globalization;
using Altitude.Daemon.Configuration;
using Altitude.Fuse;

namespace Altitude.Daemon;

internal sealed class DaemonArguments
{
    public const string Usage = """
        Usage: fltmgrd [--config DIR] [--volume BACKING:MOUNTPOINT ...] [--filter NAME|MANIFEST.json|ASSEMBLY.dll ...]
                       [--no-passthrough] [--no-cache] [--cache-timeout SECONDS] [--forward-locks]
                       [--min-readers N] [--max-readers N] [--max-requests N] [--transport auto|io_uring|dev-fuse]
                       [--runtime-directory DIR]

        Runs the Altitude Filter Manager as a service in the foreground (Type=notify under systemd; docs/service.md).
        It loads the filters whose manifests say StartType Auto, then mounts the configured volumes (so the first request
        a mount serves already goes through them), and serves until SIGINT or SIGTERM: then it unmounts, calls each
        filter's FilterUnload (last loaded first) and exits within the configured stop timeout.
          --config DIR             the configuration directory (docs/configuration.md); default /etc/altitude, read
                                   only when no --volume or --filter is given
          --volume BACKING:MOUNTPOINT
                                   mount BACKING at MOUNTPOINT too (the same directory twice mounts in place)
          --filter PassThrough     the built-in PassThrough sample; repeat it to stack instances (370030, 370020, ...)
          --filter FILE.json       a filter manifest, loaded at start whatever its StartType
          --filter PATH.dll        an assembly: each public IMiniFilter class is a filter named after the class (less
                                   "Filter"), one instance at its DefaultAltitude constant
        Options of the --volume mounts:
          --no-passthrough         never use FUSE passthrough (all data goes through the daemon)
          --no-cache               serve as if a filter watched every operation (no kernel caches, no passthrough)
          --cache-timeout SECONDS  entry/attribute timeout while no filter watches lookups (default 86400)
          --forward-locks          send POSIX/flock locks to the filters (LOCK_CONTROL) instead of keeping them in the kernel
        Reader limits (override fltmgrd.json's Fuse section):
          --min-readers N          FUSE reader threads that always run (default 2)
          --max-readers N          reader threads at most, added while filters block in callbacks (default 32)
          --max-requests N         requests in flight at most, pended in filters included (default 4096)
          --transport T            dev-fuse (default); auto: FUSE over io_uring when the kernel offers it, else
                                   /dev/fuse; io_uring: io_uring or no mount (docs/performance.md)
          --runtime-directory DIR  the runtime directory (overrides fltmgrd.json's): the control endpoint is DIR/control,
                                   the communication ports DIR/ports (default /run/altitude for root, else
                                   $XDG_RUNTIME_DIR/altitude or /tmp/altitude-UID)
        Exit codes: 0 after a stop, 1 when the service cannot start (e.g. another fltmgrd has the control socket), 2 for a bad command line, 78 (EX_CONFIG) for invalid settings.
        """;

    public string? ConfigDirectory { get; private set; }
    public List<(string Backing, string MountPoint)> Volumes { get; } = new();
    public List<string> Filters { get; } = new();
    public VolumeMountOptions VolumeOptions { get; private set; } = VolumeMountOptions.Default;
    public int? MinReaders { get; private set; }
    public int? MaxReaders { get; private set; }
    public int? MaxRequests { get; private set; }
    public FuseTransport? Transport { get; private set; }
    public string? RuntimeDirectory { get; private set; }

    /// <summary>The configuration directory to read: --config, else /etc/altitude unless quick flags were given.</summary>
    public string? EffectiveConfigDirectory => ConfigDirectory ?? (Volumes.Count == 0 && Filters.Count == 0 ? ConfigurationDirectory.DefaultPath : null);

    /// <summary>Parses <paramref name="args"/>; null with <paramref name="error"/> set for a bad command line.</summary>
    public static DaemonArguments? Parse(string[] args, out string? error)
    {
        error = null;
        var a = new DaemonArguments();
        bool passthrough = true, forwardLocks = false, noCache = false;
        double? cacheTimeout = null;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (arg)
            {
                case "--config":
                    a.ConfigDirectory = Value();
                    if (a.ConfigDirectory is null) { error = "--config needs a directory"; return null; }
                    break;
                case "--runtime-directory":
                    a.RuntimeDirectory = Value();
                    if (a.RuntimeDirectory is null) { error = "--runtime-directory needs a directory"; return null; }
                    a.RuntimeDirectory = Path.GetFullPath(a.RuntimeDirectory);
                    break;
                case "--volume":
                    string? v = Value();
                    int colon = v?.LastIndexOf(':') ?? -1;
                    if (v is null || colon <= 0 || colon == v.Length - 1) { error = "--volume needs BACKING:MOUNTPOINT"; return null; }
                    a.Volumes.Add((Path.GetFullPath(v[..colon]), Path.GetFullPath(v[(colon + 1)..])));
                    break;
                case "--filter":
                    string? f = Value();
                    if (f is null) { error = "--filter needs a name, a manifest or an assembly path"; return null; }
                    a.Filters.Add(f);
                    break;
                case "--no-passthrough": passthrough = false; break;
                case "--no-cache": noCache = true; break;
                case "--forward-locks": forwardLocks = true; break;
                case "--min-readers": if (!Count(arg, Value(), out int min, out error)) return null; a.MinReaders = min; break;
                case "--max-readers": if (!Count(arg, Value(), out int max, out error)) return null; a.MaxReaders = max; break;
                case "--max-requests": if (!Count(arg, Value(), out int req, out error)) return null; a.MaxRequests = req; break;
                case "--transport":
                    if (DaemonSettings.ParseTransport(Value()) is not FuseTransport transport)
                    { error = "--transport needs auto, io_uring or dev-fuse"; return null; }
                    a.Transport = transport;
                    break;
                case "--cache-timeout":
                    if (!double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out double t) || t < 0)
                    { error = "--cache-timeout needs a number of seconds"; return null; }
                    cacheTimeout = t;
                    break;
                default:
                    error = $"unknown argument {arg}";
                    return null;
            }
        }
        a.VolumeOptions = new VolumeMountOptions(passthrough, !noCache, cacheTimeout is double s ? TimeSpan.FromSeconds(s) : null, forwardLocks);
        return a;
    }

    private static bool Count(string name, string? text, out int value, out string? error)
    {
        error = null;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0) return true;
        error = $"{name} needs a positive whole number";
        return false;
    }
}
