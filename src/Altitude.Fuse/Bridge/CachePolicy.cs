// The fast paths follow the registrations (DESIGN.md): what the kernel may cache or bypass depends on which
// operations the attached instances want to see. Recomputed on every attach and detach.
namespace Altitude.Fuse.Bridge;

/// <summary>An immutable snapshot of the cache policy of one volume.</summary>
internal sealed record CachePolicy(
    ulong EntryTimeout,
    ulong AttrTimeout,
    bool MetadataVisible,
    bool ReadVisible,
    bool DataVisible,
    bool DirectoryVisible,
    bool PassthroughNegotiated)
{
    /// <summary>
    /// Long entry/attribute timeouts (and negative entries, and READDIRPLUS lookups) when no instance wants
    /// NETWORK_QUERY_OPEN or QUERY_INFORMATION; otherwise 0 so each lookup and getattr reaches the filters.
    /// Passthrough when nobody wants READ or WRITE; KEEP_CACHE when nobody wants READ; CACHE_DIR when nobody wants
    /// DIRECTORY_CONTROL.
    /// </summary>
    public static CachePolicy From(Volume volume, FuseVolumeOptions options, bool passthroughNegotiated)
    {
        bool all = options.NoCache;
        bool metadata = all || volume.HasCallbacksFor(MajorFunction.NetworkQueryOpen) || volume.HasCallbacksFor(MajorFunction.QueryInformation);
        bool read = all || volume.HasCallbacksFor(MajorFunction.Read);
        bool write = all || volume.HasCallbacksFor(MajorFunction.Write);
        bool directory = all || volume.HasCallbacksFor(MajorFunction.DirectoryControl);
        ulong timeout = metadata ? 0 : (ulong)options.CacheTimeout.TotalSeconds;
        return new CachePolicy(timeout, timeout, metadata, read, read || write, directory, passthroughNegotiated);
    }

    /// <summary>Passthrough is used for new opens of regular files.</summary>
    public bool UsePassthrough => PassthroughNegotiated && !DataVisible;
}
