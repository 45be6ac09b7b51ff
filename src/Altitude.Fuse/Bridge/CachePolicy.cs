// The fast paths follow the registrations (DESIGN.md): what the kernel may cache or bypass depends on which
// operations the attached instances want to see. Recomputed on every attach and detach.
namespace Altitude.Fuse.Bridge;

/// <summary>An immutable snapshot of the cache policy of one volume.</summary>
internal sealed record CachePolicy(
    ulong EntryTimeout,
    ulong AttrTimeout,
    ulong EntryAttrTimeout,
    bool MetadataVisible,
    bool ListingLookups,
    bool ReadVisible,
    bool DataVisible,
    bool DirectoryVisible,
    bool PassthroughNegotiated,
    bool NamesExpirable,
    Instance[] ReadChain,
    Instance[] NameChain,
    Instance[] InformationChain)
{
    /// <summary>
    /// Long entry/attribute timeouts (and negative entries, and READDIRPLUS lookups) when no instance wants every
    /// NETWORK_QUERY_OPEN or QUERY_INFORMATION; otherwise 0 so each lookup and getattr reaches the filters. Rows with
    /// StableInformation (an Altitude extension) want only the first of each: their answers may be cached until the filter
    /// invalidates them. Attributes no QUERY_INFORMATION callback produced (a LOOKUP's, READDIRPLUS's, CREATE's,
    /// SETATTR's) are cached only while nobody registered QUERY_INFORMATION (EntryAttrTimeout), and READDIRPLUS makes
    /// entries only while nobody registered NETWORK_QUERY_OPEN (ListingLookups): a cache may hold only answers the
    /// filters gave. Passthrough when nobody wants READ or WRITE; KEEP_CACHE when nobody wants cached READs (no READ row,
    /// or every READ row has SkipCachedIo: those filters see the page cache's fills as paging I/O); CACHE_DIR when nobody
    /// wants DIRECTORY_CONTROL.
    /// </summary>
    public static CachePolicy From(Volume volume, FuseVolumeOptions options, bool passthroughNegotiated, bool namesExpirable)
    {
        InstanceList list = volume.CurrentInstances;   // one snapshot: a policy never mixes two sets of instances
        Instance[] names = list.ForMajor(MajorFunction.NetworkQueryOpen);
        Instance[] information = list.ForMajor(MajorFunction.QueryInformation);
        Instance[] reads = list.ForMajor(MajorFunction.Read);
        bool all = options.NoCache;
        // Stable NETWORK_QUERY_OPEN answers are cached only where they can all be taken back at once (NOTIFY_INC_EPOCH, 7.44):
        // before that an invalidation of everything could not reach the names, and they would live out the timeout.
        bool metadata = all || Wants(names, MajorFunction.NetworkQueryOpen, namesExpirable ? OperationRegistrationFlags.StableInformation : OperationRegistrationFlags.None)
            || Wants(information, MajorFunction.QueryInformation, OperationRegistrationFlags.StableInformation);
        bool read = all || Wants(reads, MajorFunction.Read, OperationRegistrationFlags.SkipCachedIo);
        bool write = all || reads.Length != 0 || list.ForMajor(MajorFunction.Write).Length != 0;
        bool directory = all || list.ForMajor(MajorFunction.DirectoryControl).Length != 0;
        ulong timeout = metadata ? 0 : (ulong)options.CacheTimeout.TotalSeconds;
        return new CachePolicy(timeout, timeout, information.Length == 0 ? timeout : 0, metadata, !metadata && names.Length == 0,
            read, write, directory, passthroughNegotiated, namesExpirable, reads, names, information);
    }

    /// <summary>True when an instance of <paramref name="chain"/> registered <paramref name="major"/> without <paramref name="unless"/> (None: any instance).</summary>
    private static bool Wants(Instance[] chain, MajorFunction major, OperationRegistrationFlags unless)
    {
        if (unless == OperationRegistrationFlags.None) return chain.Length != 0;
        foreach (Instance i in chain)
            if ((i.Filter.OperationFlags[(byte)major] & unless) == 0) return true;
        return false;
    }

    /// <summary>
    /// True when the instances in <paramref name="a"/> differ from <paramref name="b"/>'s: what the kernel cached under one
    /// set of filters (pages a decrypting READ filter produced, answers a stable QUERY_INFORMATION filter gave) is not
    /// what another set would have produced.
    /// </summary>
    public static bool Differs(Instance[] a, Instance[] b)
    {
        if (a.Length != b.Length) return true;
        for (int i = 0; i < a.Length; i++)
            if (!ReferenceEquals(a[i], b[i])) return true;
        return false;
    }

    /// <summary>Passthrough is used for new opens of regular files.</summary>
    public bool UsePassthrough => PassthroughNegotiated && !DataVisible;
}
