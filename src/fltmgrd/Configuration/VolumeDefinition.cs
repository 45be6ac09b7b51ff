// volumes.d/*.json: one volume to mount at start (docs/configuration.md). An invalid one is skipped with its errors.
using Altitude.Fuse;

namespace Altitude.Daemon.Configuration;

/// <summary>A configured volume: backing directory, mount point (the same for in place) and mount options.</summary>
internal sealed record VolumeDefinition(string Source, string Backing, string MountPoint, VolumeMountOptions Options)
{
    /// <summary>Reads one volume file; null (with <paramref name="errors"/>) when it is invalid.</summary>
    public static VolumeDefinition? Load(string path, List<string> errors)
    {
        var file = ConfigurationFile.Open(path, out string? parseError);
        if (file is null) { errors.Add(parseError!); return null; }
        var root = file.Root;
        file.RejectUnknown(root, "Backing", "MountPoint", "InPlace", "CreateDirectories", "Options");
        string? backing = file.PathValue(root, "Backing", required: true);
        bool inPlace = file.Bool(root, "InPlace", false);
        string? mountPoint = file.PathValue(root, "MountPoint", required: !inPlace);
        if (inPlace && mountPoint is not null && backing is not null && mountPoint != backing)
            file.Error("MountPoint", "differs from Backing although InPlace is true (leave it out)");
        var options = VolumeMountOptions.Read(file, root.GetSection("Options"), file.Bool(root, "CreateDirectories", false));
        errors.AddRange(file.Errors);
        if (file.Errors.Count > 0 || backing is null) return null;
        return new VolumeDefinition(path, backing, inPlace ? backing : mountPoint!, options);
    }
}

/// <summary>The options of one mount (FuseVolumeOptions less the daemon-wide reader limits).</summary>
internal sealed record VolumeMountOptions(bool Passthrough = true, bool Cache = true, TimeSpan? CacheTimeout = null, bool ForwardLocks = false,
    bool CreateDirectories = false)
{
    public static readonly VolumeMountOptions Default = new();

    public static VolumeMountOptions Read(ConfigurationFile file, Microsoft.Extensions.Configuration.IConfigurationSection section, bool createDirectories)
    {
        file.RejectUnknown(section, "Passthrough", "Cache", "CacheTimeoutSeconds", "ForwardLocks");
        var d = new FuseVolumeOptions();
        return new VolumeMountOptions(
            file.Bool(section, "Passthrough", d.Passthrough),
            file.Bool(section, "Cache", !d.NoCache),
            file.Seconds(section, "CacheTimeoutSeconds", d.CacheTimeout),
            file.Bool(section, "ForwardLocks", d.ForwardLocks),
            createDirectories);
    }

    public FuseVolumeOptions ToFuse(FuseServerOptions server)
    {
        var d = new FuseVolumeOptions();
        return new FuseVolumeOptions
        {
            Passthrough = Passthrough, NoCache = !Cache, CacheTimeout = CacheTimeout ?? d.CacheTimeout, ForwardLocks = ForwardLocks,
            Server = server,
        };
    }
}
