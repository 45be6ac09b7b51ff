// fltmgrd.json: the daemon's own settings (docs/configuration.md). Invalid settings refuse the start (EX_CONFIG).
using Altitude.Fuse;
using Microsoft.Extensions.Logging;

namespace Altitude.Daemon.Configuration;

/// <summary>The daemon's settings, with the contract's defaults.</summary>
internal sealed record DaemonSettings
{
    public string RuntimeDirectory { get; init; } = DefaultRuntimeDirectory;
    /// <summary>Communication port sockets (FilterManagerOptions.PortDirectory).</summary>
    public string PortDirectory { get; init; } = Path.Combine(DefaultRuntimeDirectory, "ports");
    /// <summary>The control endpoint's socket (FilterLib's management calls).</summary>
    public string ControlSocket { get; init; } = Path.Combine(DefaultRuntimeDirectory, "control");

    /// <summary>/run/altitude for root; a user's daemon (fusermount3 mounts) cannot write there, so its own runtime directory.</summary>
    public static string DefaultRuntimeDirectory { get; } = Environment.IsPrivilegedProcess ? "/run/altitude"
        : Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } xdg ? Path.Combine(xdg, "altitude")
        : "/tmp/altitude-" + Environment.UserName;

    /// <summary>These settings with <paramref name="runtime"/> as the runtime directory, the ports and control socket under it.</summary>
    public DaemonSettings WithRuntimeDirectory(string runtime) =>
        this with { RuntimeDirectory = runtime, PortDirectory = Path.Combine(runtime, "ports"), ControlSocket = Path.Combine(runtime, "control") };
    /// <summary>The group counted as BUILTIN\Administrators besides root.</summary>
    public string? AdminGroup { get; init; } = "altitude";
    public TimeSpan PendingTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>The whole shutdown's bound: unmount, FilterUnload of every filter, and load-context unload.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public int MinReaders { get; init; } = new FuseServerOptions().MinReaders;
    public int MaxReaders { get; init; } = new FuseServerOptions().MaxReaders;
    public int MaxRequests { get; init; } = new FuseServerOptions().MaxRequests;
    public FuseTransport Transport { get; init; } = FuseTransport.DevFuse;
    /// <summary>Each mount's read-ahead window in KiB (FuseServerOptions.ReadAheadKb; 0 keeps the kernel's 128).</summary>
    public int ReadAheadKb { get; init; } = new FuseServerOptions().ReadAheadKb;
    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Reads fltmgrd.json; every problem is added to <paramref name="errors"/> (the settings are then unusable).</summary>
    public static DaemonSettings Load(string path, List<string> errors)
    {
        var file = ConfigurationFile.Open(path, out string? parseError);
        if (file is null) { errors.Add(parseError!); return new DaemonSettings(); }
        var root = file.Root;
        var defaults = new DaemonSettings();
        file.RejectUnknown(root, "RuntimeDirectory", "PortDirectory", "ControlSocket", "AdminGroup", "PendingTimeoutSeconds",
            "StopTimeoutSeconds", "Fuse", "LogLevel");
        var fuse = root.GetSection("Fuse");
        file.RejectUnknown(fuse, "MinReaders", "MaxReaders", "MaxRequests", "Transport", "ReadAheadKb");
        string runtime = file.PathValue(root, "RuntimeDirectory") ?? defaults.RuntimeDirectory;
        var settings = new DaemonSettings
        {
            RuntimeDirectory = runtime,
            PortDirectory = file.PathValue(root, "PortDirectory") ?? Path.Combine(runtime, "ports"),
            ControlSocket = file.PathValue(root, "ControlSocket") ?? Path.Combine(runtime, "control"),
            AdminGroup = file.String(root, "AdminGroup") ?? defaults.AdminGroup,
            PendingTimeout = file.Seconds(root, "PendingTimeoutSeconds", defaults.PendingTimeout, min: 0.001),
            // At most 10 minutes: systemd's TimeoutStopSec must stay above it (the unit says 45 s for the default 30).
            StopTimeout = file.Seconds(root, "StopTimeoutSeconds", defaults.StopTimeout, min: 1, max: 600),
            MinReaders = file.Int(fuse, "MinReaders", defaults.MinReaders, min: 1),
            MaxReaders = file.Int(fuse, "MaxReaders", defaults.MaxReaders, min: 1),
            MaxRequests = file.Int(fuse, "MaxRequests", defaults.MaxRequests, min: 1),
            Transport = TransportOf(file, fuse, defaults.Transport),
            // The kernel takes up to its own bound for a device's window; 64 MiB is far past any use.
            ReadAheadKb = file.Int(fuse, "ReadAheadKb", defaults.ReadAheadKb, min: 0, max: 65536),
            LogLevel = Level(file, root, defaults.LogLevel),
        };
        if (settings.MinReaders > settings.MaxReaders)
            file.Error("Fuse:MinReaders", $"{settings.MinReaders} is above Fuse:MaxReaders ({settings.MaxReaders})");
        if (settings.MaxRequests < settings.MaxReaders)
            file.Error("Fuse:MaxRequests", $"{settings.MaxRequests} is below Fuse:MaxReaders ({settings.MaxReaders})");
        errors.AddRange(file.Errors);
        return settings;
    }

    /// <summary>auto, io_uring or dev-fuse (the spellings of fltmgrd --transport); null for anything else.</summary>
    public static FuseTransport? ParseTransport(string? text) => text?.ToLowerInvariant() switch
    {
        "auto" => FuseTransport.Auto,
        "io_uring" or "io-uring" or "iouring" => FuseTransport.IoUring,
        "dev-fuse" or "devfuse" or "/dev/fuse" => FuseTransport.DevFuse,
        _ => null,
    };

    private static FuseTransport TransportOf(ConfigurationFile file, Microsoft.Extensions.Configuration.IConfiguration fuse, FuseTransport defaultValue)
    {
        string? text = file.String(fuse, "Transport");
        if (text is null) return defaultValue;
        if (ParseTransport(text) is FuseTransport t) return t;
        file.Error("Fuse:Transport", $"\"{text}\" is not one of auto, io_uring, dev-fuse");
        return defaultValue;
    }

    private static LogLevel Level(ConfigurationFile file, Microsoft.Extensions.Configuration.IConfiguration root, LogLevel defaultValue)
    {
        string? text = file.String(root, "LogLevel");
        if (text is null) return defaultValue;
        if (Enum.TryParse(text, ignoreCase: true, out LogLevel level) && Enum.IsDefined(level) && !int.TryParse(text, out _)) return level;
        file.Error("LogLevel", $"\"{text}\" is not one of Trace, Debug, Information, Warning, Error, Critical, None");
        return defaultValue;
    }

    public FilterManagerOptions ManagerOptions() => new()
    {
        PendingTimeout = PendingTimeout,
        // A quarter of the stop's bound per teardown (the volumes' unmount, each filter's unload), so a hung filter
        // cannot spend it all.
        TeardownTimeout = StopTimeout / 4,
        PortDirectory = PortDirectory,
        PortAdminGroup = AdminGroup,
    };

    public FuseServerOptions ServerOptions() => new() { MinReaders = MinReaders, MaxReaders = MaxReaders, MaxRequests = MaxRequests, Transport = Transport, ReadAheadKb = ReadAheadKb };
}
