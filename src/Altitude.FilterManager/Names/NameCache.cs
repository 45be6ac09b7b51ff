// The name cache: one per volume, shared by every filter on it (spec section 4). Normalized names are kept by node
// (and by the name provider that made them, so a provider's view never leaks to the filters below it); a hit is a
// dictionary read under a short lock plus a reference, and allocates nothing.
// Invalidation: a successful rename, link, unlink or rmdir drops the cached names equal to the old or new path and
// every name below them (descendants of a renamed directory), and every provider-made name; a name provider that
// attaches or detaches empties the cache. Names changed behind the volume's back (in the backing directory) are not
// seen: docs/deviations.md.
namespace Altitude;

/// <summary>The paths a namespace change touches, computed before the file system runs it.</summary>
internal struct NameInvalidation
{
    public string? Source;
    public string? Destination;
    public bool Active;
    /// <summary>The old name could not be computed: only emptying the cache is safe.</summary>
    public bool Unknown;
}

internal sealed class NameCache
{
    private readonly record struct Key(ulong Node, int Provider);

    private readonly Volume volume;
    private readonly Dictionary<Key, FileNameInformation> names = new();
    private readonly Lock gate = new();
    private long epoch;
    private int highestProvider = -1;

    public NameCache(Volume volume) => this.volume = volume;

    /// <summary>Entries kept at most; a full cache is emptied (cheap, and the working set refills it).</summary>
    public int Capacity { get; set; } = 8192;

    /// <summary>Bumped by every invalidation: per-open opened names compare it.</summary>
    public long Epoch => Volatile.Read(ref epoch);

    public int Count { get { lock (gate) return names.Count; } }

    /// <summary>The cached name, referenced, or null.</summary>
    public FileNameInformation? Find(ulong node, int provider)
    {
        lock (gate)
        {
            if (!names.TryGetValue(new Key(node, provider), out FileNameInformation? info)) return null;
            info.AddReference();
            return info;
        }
    }

    /// <summary>Caches <paramref name="info"/> unless an invalidation ran since <paramref name="startEpoch"/> (the name may be stale).</summary>
    public void Add(ulong node, int provider, FileNameInformation info, long startEpoch)
    {
        lock (gate)
        {
            if (epoch != startEpoch) return;
            if (names.Count >= Capacity) names.Clear();
            if (names.ContainsKey(new Key(node, provider))) return;
            info.AddReference();   // the cache's reference
            names[new Key(node, provider)] = info;
            if (provider > highestProvider) highestProvider = provider;
        }
    }

    /// <summary>
    /// <see cref="Add"/> for a name built while the node had <paramref name="generation"/>: if the node was freed (and its
    /// id perhaps reused) meanwhile, the entry is taken out again. Checked after adding, outside the cache's lock, because
    /// the node table calls <see cref="NodeFreed"/> under its own lock.
    /// </summary>
    public void AddForGeneration(ulong node, ulong generation, int provider, FileNameInformation info, long startEpoch)
    {
        Add(node, provider, info, startEpoch);
        NodeTable? nodes = volume.Nodes;
        if (nodes is null || nodes.Generation(node) == generation) return;
        lock (gate)
        {
            if (names.TryGetValue(new Key(node, provider), out FileNameInformation? cached) && ReferenceEquals(cached, info))
                names.Remove(new Key(node, provider));
        }
    }

    public void Clear()
    {
        lock (gate)
        {
            epoch++;
            names.Clear();
        }
    }

    /// <summary>
    /// The node table freed <paramref name="node"/> (under its lock, before the id can be reused): its names go. A name
    /// built for the old node and added after this is removed again by <see cref="AddForGeneration"/>.
    /// </summary>
    public void NodeFreed(ulong node)
    {
        lock (gate)
        {
            if (names.Count == 0) return;
            // Provider keys are context slots (small integers): one probe per slot ever used, no scan.
            for (int provider = -1; provider <= highestProvider; provider++) names.Remove(new Key(node, provider));
        }
    }

    /// <summary>FltPurgeFileNameInformationCache: a provider's names (or all names of one node).</summary>
    public void Purge(int provider, ulong node)
    {
        lock (gate)
        {
            epoch++;
            foreach (var key in names.Keys.ToArray())
                if ((provider < 0 || key.Provider == provider) && (node == 0 || key.Node == node)) names.Remove(key);
        }
    }

    private void InvalidatePaths(string? a, string? b)
    {
        int volumeLength = volume.Name.Length;
        lock (gate)
        {
            epoch++;
            if (names.Count == 0) return;
            List<Key>? drop = null;
            foreach (var (key, info) in names)
            {
                if (key.Provider >= 0 || Under(info.Name.AsSpan(volumeLength), a) || Under(info.Name.AsSpan(volumeLength), b))
                    (drop ??= new()).Add(key);
            }
            if (drop is not null) foreach (var k in drop) names.Remove(k);
        }
    }

    private static bool Under(ReadOnlySpan<char> path, string? prefix)
    {
        if (prefix is null) return false;
        if (!path.StartsWith(prefix, StringComparison.Ordinal)) return false;
        return path.Length == prefix.Length || path[prefix.Length] == '/' || prefix == "/";
    }

    /// <summary>Before the file system runs a rename, link or delete: the old and new paths (only when something is cached).</summary>
    public static NameInvalidation BeforeFileSystem(CallbackData d)
    {
        var inv = default(NameInvalidation);
        if (d.Iopb.MajorFunction != MajorFunction.SetInformation) return inv;
        ref SetFileInformationParameters p = ref d.Iopb.Parameters.SetFileInformation;
        bool rename = p.FileInformationClass is FileInformationClass.FileRenameInformation or FileInformationClass.FileRenameInformationEx;
        bool link = p.FileInformationClass is FileInformationClass.FileLinkInformation or FileInformationClass.FileLinkInformationEx;
        bool delete = p.FileInformationClass is FileInformationClass.FileDispositionInformation or FileInformationClass.FileDispositionInformationEx;
        if (!rename && !link && !delete) return inv;
        inv.Active = true;
        NameCache cache = d.Volume.NameCache;
        if (cache.Count == 0 || d.Volume.FileSystem is not IFileNameSource source || d.Iopb.TargetFileObject is not { } fo) return inv;
        // A link leaves the source name valid; only the new name (which did not exist) matters.
        if (!link && !NameBuilder.PathOf(source, fo, normalized: true, out inv.Source).IsSuccess()) inv.Unknown = true;
        NameBuilder.DestinationPath(source, p.DestinationDirectory, p.DestinationName.Span, out inv.Destination);
        return inv;
    }

    /// <summary>After the file system ran it successfully: drop what changed.</summary>
    public void AfterFileSystem(CallbackData d, ref NameInvalidation inv)
    {
        if (!inv.Active || !d.IoStatus.Status.IsSuccess()) return;
        if (inv.Unknown) Clear();
        else InvalidatePaths(inv.Source, inv.Destination);
    }
}
