// The configuration directory (the registry's role): fltmgrd.json, volumes.d/*.json and filters.d/*.json, each file
// read on its own so that a bad one names itself; invalid volumes and manifests are left out, the rest is used.
namespace Altitude.Daemon.Configuration;

/// <summary>What a configuration directory holds.</summary>
internal sealed class ConfigurationDirectory
{
    public const string DefaultPath = "/etc/altitude";
    public const string SettingsFile = "fltmgrd.json";

    private ConfigurationDirectory(string? path, DaemonSettings settings)
    {
        Path = path;
        Settings = settings;
    }

    /// <summary>The directory, or null when the daemon runs from command-line flags only.</summary>
    public string? Path { get; }
    public DaemonSettings Settings { get; }
    public List<VolumeDefinition> Volumes { get; } = new();
    public List<FilterManifest> Filters { get; } = new();
    /// <summary>Problems of volume files and manifests (those were left out).</summary>
    public List<string> Errors { get; } = new();

    /// <summary>The same directory with other settings (command-line overrides).</summary>
    public ConfigurationDirectory With(DaemonSettings settings)
    {
        var c = new ConfigurationDirectory(Path, settings);
        c.Volumes.AddRange(Volumes);
        c.Filters.AddRange(Filters);
        c.Errors.AddRange(Errors);
        return c;
    }

    /// <summary>No directory: the defaults, for fltmgrd run with --volume and --filter only.</summary>
    public static ConfigurationDirectory Empty() => new(null, new DaemonSettings());

    /// <summary>
    /// Reads <paramref name="path"/>. Null when the settings are invalid or the directory is missing: the daemon must
    /// not start (<paramref name="settingsErrors"/> says why).
    /// </summary>
    public static ConfigurationDirectory? Load(string path, out List<string> settingsErrors)
    {
        settingsErrors = new List<string>();
        string full = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(full)) { settingsErrors.Add($"{full}: no such configuration directory"); return null; }
        string settingsPath = System.IO.Path.Combine(full, SettingsFile);
        var settings = File.Exists(settingsPath) ? DaemonSettings.Load(settingsPath, settingsErrors) : new DaemonSettings();
        if (settingsErrors.Count > 0) return null;
        var config = new ConfigurationDirectory(full, settings);
        foreach (string f in Files(full, "volumes.d"))
        {
            var v = VolumeDefinition.Load(f, config.Errors);
            if (v is null) continue;
            var other = config.Volumes.Find(o => o.MountPoint == v.MountPoint);
            if (other is not null) config.Errors.Add($"{f}: MountPoint: {v.MountPoint} is already the mount point of {other.Source}");
            else config.Volumes.Add(v);
        }
        config.Filters.AddRange(LoadManifests(full, config.Errors));
        return config;
    }

    /// <summary>filters.d's valid manifests (read again at each FilterLoad, as Windows reads the registry then).</summary>
    public List<FilterManifest> ReadManifests(List<string> errors) => Path is null ? new() : LoadManifests(Path, errors);

    private static List<FilterManifest> LoadManifests(string directory, List<string> errors)
    {
        var manifests = new List<FilterManifest>();
        foreach (string f in Files(directory, "filters.d"))
        {
            var m = FilterManifest.Load(f, errors);
            if (m is null) continue;
            var other = manifests.Find(o => string.Equals(o.Name, m.Name, StringComparison.OrdinalIgnoreCase));
            if (other is not null) errors.Add($"{f}: Name: \"{m.Name}\" is already the name of the filter in {other.Source}");
            else manifests.Add(m);
        }
        return manifests;
    }

    /// <summary>The *.json files of a subdirectory, in name order (the order volumes mount and Auto filters load).</summary>
    private static string[] Files(string directory, string sub)
    {
        string d = System.IO.Path.Combine(directory, sub);
        if (!Directory.Exists(d)) return Array.Empty<string>();
        string[] files = Directory.GetFiles(d, "*.json");
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }
}
