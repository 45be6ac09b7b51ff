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
    bool PassthroughNegotiated,
    Instance[] ReadChain)
{
    /// <summary>
    /// Long entry/attribute timeouts (and negative entries, and READDIRPLUS lookups) when no instance wants
    /// NETWORK_QUERY_OPEN or QUERY_INFORMATION; otherwise 0 so each lookup and getattr reaches the filters.
    /// Passthrough when nobody wants READ or WRITE; KEEP_CACHE when nobody wants cached READs (no READ row, or every
    /// READ row has SkipCachedIo: those filters see the page cache's fills as paging I/O); CACHE_DIR when nobody wants
    /// DIRECTORY_CONTROL.
    /// </summary>
    public static CachePolicy From(Volume volume, FuseVolumeOptions options, bool passthroughNegotiated)
    {
        bool all = options.NoCache;
        bool metadata = all || volume.HasCallbacksFor(MajorFunction.NetworkQueryOpen) || volume.HasCallbacksFor(MajorFunction.QueryInformation);
        bool read = all || volume.HasCallbacksForCachedIo(MajorFunction.Read);
        bool write = all || volume.HasCallbacksFor(MajorFunction.Write) || volume.HasCallbacksFor(MajorFunction.Read);
        bool directory = all || volume.HasCallbacksFor(MajorFunction.DirectoryControl);
        ulong timeout = metadata ? 0 : (ulong)options.CacheTimeout.TotalSeconds;
        return new CachePolicy(timeout, timeout, metadata, read, write, directory, passthroughNegotiated, volume.CurrentInstances.ForMajor(MajorFunction.Read));
    }

    /// <summary>
    /// True when the instances that see READs differ from <paramref name="other"/>'s: pages cached under one set of
    /// READ filters (a decrypting one, say) are not what another set would have produced.
    /// </summary>
    public bool ReadChainDiffers(CachePolicy other)
    {
        if (ReadChain.Length != other.ReadChain.Length) return true;
        for (int i = 0; i < ReadChain.Length; i++)
            if (!ReferenceEquals(ReadChain[i], other.ReadChain[i])) return true;
        return false;
    }

    /// <summary>Passthrough is used for new opens of regular files.</summary>
    public bool UsePassthrough => PassthroughNegotiated && !DataVisible;
}
