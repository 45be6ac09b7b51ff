// fltmgrd.json: the daemon's own settings (docs/configuration.md). Invalid settings refuse the start (EX_CONFIG).
using Altitude.Fuse;
using Microsoft.Extensions.Logging;

namespace Altitude.Daemon.Configuration;

/// <summary>The daemon's settings, with the contract's defaults.</summary>
internal sealed record DaemonSettings
{
    public string RuntimeDirectory { get; init; } = "/run/altitude";
    /// <summary>Communication port sockets (FilterManagerOptions.PortDirectory).</summary>
    public string PortDirectory { get; init; } = "/run/altitude/ports";
    /// <summary>The control endpoint's socket (FilterLib's management calls).</summary>
    public string ControlSocket { get; init; } = "/run/altitude/control";
    /// <summary>The group counted as BUILTIN\Administrators besides root.</summary>
    public string? AdminGroup { get; init; } = "altitude";
    public TimeSpan PendingTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>The whole shutdown's bound: unmount, FilterUnload of every filter, and load-context unload.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public int MinReaders { get; init; } = new FuseServerOptions().MinReaders;
    public int MaxReaders { get; init; } = new FuseServerOptions().MaxReaders;
    public int MaxRequests { get; init; } = new FuseServerOptions().MaxRequests;
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
        file.RejectUnknown(fuse, "MinReaders", "MaxReaders", "MaxRequests");
        string runtime = file.PathValue(root, "RuntimeDirectory") ?? defaults.RuntimeDirectory;
        var settings = new DaemonSettings
        {
            RuntimeDirectory = runtime,
            PortDirectory = file.PathValue(root, "PortDirectory") ?? Path.Combine(runtime, "ports"),
            ControlSocket = file.PathValue(root, "ControlSocket") ?? Path.Combine(runtime, "control"),
            AdminGroup = file.String(root, "AdminGroup") ?? defaults.AdminGroup,
            PendingTimeout = file.Seconds(root, "PendingTimeoutSeconds", defaults.PendingTimeout, min: 0.001),
            StopTimeout = file.Seconds(root, "StopTimeoutSeconds", defaults.StopTimeout, min: 1),
            MinReaders = file.Int(fuse, "MinReaders", defaults.MinReaders, min: 1),
            MaxReaders = file.Int(fuse, "MaxReaders", defaults.MaxReaders, min: 1),
            MaxRequests = file.Int(fuse, "MaxRequests", defaults.MaxRequests, min: 1),
            LogLevel = Level(file, root, defaults.LogLevel),
        };
        if (settings.MinReaders > settings.MaxReaders)
            file.Error("Fuse:MinReaders", $"{settings.MinReaders} is above Fuse:MaxReaders ({settings.MaxReaders})");
        if (settings.MaxRequests < settings.MaxReaders)
            file.Error("Fuse:MaxRequests", $"{settings.MaxRequests} is below Fuse:MaxReaders ({settings.MaxReaders})");
        errors.AddRange(file.Errors);
        return settings;
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
        PortDirectory = PortDirectory,
        PortAdminGroup = AdminGroup,
    };

    public FuseServerOptions ServerOptions() => new() { MinReaders = MinReaders, MaxReaders = MaxReaders, MaxRequests = MaxRequests };
}
