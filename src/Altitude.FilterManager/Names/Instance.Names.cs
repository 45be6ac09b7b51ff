// FltGetFileNameInformation and friends (spec section 4). A query by an instance is answered by the highest name
// provider below it (its GenerateFileName), or by the file system's node table; names made below a provider are not
// what the filters above it see, so the cache keeps each provider's names apart.
namespace Altitude;

public sealed partial class Instance
{
    /// <summary>
    /// FltGetFileNameInformationUnsafe: the name of <paramref name="fileObject"/> outside an operation (no callback data),
    /// with the same formats, query methods and errors as <see cref="CallbackData.GetFileNameInformation"/>.
    /// </summary>
    public NtStatus GetFileNameInformationUnsafe(FileObject fileObject, NameOptions options, out FileNameInformation? nameInformation)
        => QueryName(null, fileObject, options, out nameInformation);

    /// <summary>
    /// FltGetDestinationFileNameInformation: the name a rename or link in <paramref name="fileObject"/>'s pre-SET_INFORMATION
    /// would give: the directory's name (<paramref name="rootDirectory"/> = its node id, 0 = <paramref name="fileName"/> is a
    /// path from the root) plus the new leaf. NORMALIZED or OPENED; SHORT gives STATUS_FLT_INVALID_NAME_REQUEST.
    /// </summary>
    public NtStatus GetDestinationFileNameInformation(FileObject fileObject, ulong rootDirectory, ReadOnlySpan<byte> fileName, NameOptions options,
        out FileNameInformation? nameInformation)
    {
        nameInformation = null;
        NameOptions format = options & NameOptions.FormatMask;
        if (format == NameOptions.Short) return NtStatus.FltInvalidNameRequest;
        if (format is not (NameOptions.Normalized or NameOptions.Opened) || fileObject is null) return NtStatus.InvalidParameter;
        if (Volume.FileSystem is not IFileNameSource source) return NtStatus.NotSupported;
        NtStatus st = NameBuilder.DestinationPath(source, rootDirectory, fileName, out string? path);
        if (!st.IsSuccess()) return st;
        nameInformation = new FileNameInformation(Filter.Manager, Volume.Name + path, Volume.Name.Length, format);
        Filter.Manager.Verifier.NameTaken(nameInformation, Filter, null);
        return NtStatus.Success;
    }

    /// <summary>FltPurgeFileNameInformationCache: drops the names this instance provided (all of one node with <paramref name="fileObject"/>).</summary>
    public NtStatus PurgeFileNameInformationCache(FileObject? fileObject)
    {
        Volume.NameCache.Purge(fileObject is null ? ContextSlot : -1, fileObject?.NodeId ?? 0);
        return NtStatus.Success;
    }

    /// <summary>The highest name provider below this instance (or this one, when it asks itself), or null.</summary>
    private Instance? ProviderFor(NameOptions options)
    {
        if ((options & NameOptions.RequestFromCurrentProvider) != 0 && Filter.Registration.GenerateFileName is not null) return this;
        foreach (Instance i in Volume.CurrentInstances.All)   // highest first
            if (i.Altitude < Altitude && i.Filter.Registration.GenerateFileName is not null && !i.IsTearingDown) return i;
        return null;
    }

    internal NtStatus QueryName(CallbackData? data, FileObject? fo, NameOptions options, out FileNameInformation? info)
    {
        info = null;
        if (fo is null) return NtStatus.InvalidParameter;
        NameOptions format = options & NameOptions.FormatMask;
        NameOptions method = options & NameOptions.QueryMask;
        if (method == 0) method = NameOptions.QueryDefault;
        if (format is not (NameOptions.Normalized or NameOptions.Opened or NameOptions.Short)) return NtStatus.InvalidParameter;
        if (method is not (NameOptions.QueryDefault or NameOptions.QueryCacheOnly or NameOptions.QueryFileSystemOnly or NameOptions.QueryAlwaysAllowCacheLookup))
            return NtStatus.InvalidParameter;
        // No 8.3 names on Linux; pre-create is where Windows refuses them too.
        if (format == NameOptions.Short) return NtStatus.FltInvalidNameRequest;

        // Asking the file system is unsafe for paging I/O and once cleanup went down (post-cleanup, close).
        bool unsafeQuery = (fo.Flags & FileObjectFlags.CleanupComplete) != 0 || fo.ContextState == FileObjectContextState.Closed
            || (data is not null && (data.Iopb.IrpFlags & IoParameterBlock.IrpPagingIo) != 0);
        Instance? provider = ProviderFor(options);
        int key = provider?.ContextSlot ?? -1;
        NameCache cache = Volume.NameCache;
        bool byNode = format == NameOptions.Normalized && fo.NodeId != 0;
        bool perOpen = format == NameOptions.Opened && provider is null && fo.ContextState == FileObjectContextState.Opened;

        if (method != NameOptions.QueryFileSystemOnly && !(method == NameOptions.QueryDefault && unsafeQuery))
        {
            FileNameInformation? hit = byNode ? cache.Find(fo.NodeId, key) : perOpen ? FindOpened(fo, cache) : null;
            if (hit is not null) return Hand(hit, data, out info);
            if (method == NameOptions.QueryCacheOnly) return NtStatus.FltNameCacheMiss;
        }
        if (method == NameOptions.QueryCacheOnly) return NtStatus.FltNameCacheMiss;
        if (unsafeQuery) return NtStatus.FltInvalidNameRequest;

        long epoch = cache.Epoch;
        ulong generation = byNode && Volume.Nodes is { } nodes ? nodes.Generation(fo.NodeId) : 0;   // a miss only
        bool cacheIt = true;
        NtStatus st = provider is null
            ? BuildFromFileSystem(fo, format, out FileNameInformation? built)
            : provider.BuildFromProvider(fo, data, options, format, out cacheIt, out built);
        if (!st.IsSuccess()) return st;
        if (method != NameOptions.QueryFileSystemOnly && cacheIt && (options & NameOptions.DoNotCache) == 0)
        {
            if (byNode) cache.AddForGeneration(fo.NodeId, generation, key, built!, epoch);
            else if (perOpen && cache.Epoch == epoch) { fo.OpenedName = built; fo.OpenedNameEpoch = epoch; }
        }
        return Hand(built!, data, out info);
    }

    private static FileNameInformation? FindOpened(FileObject fo, NameCache cache)
    {
        FileNameInformation? n = fo.OpenedName;
        if (n is null || fo.OpenedNameEpoch != cache.Epoch) return null;
        n.AddReference();
        return n;
    }

    private NtStatus Hand(FileNameInformation name, CallbackData? data, out FileNameInformation? info)
    {
        Filter.Manager.Verifier.NameTaken(name, Filter, data);
        info = name;
        return NtStatus.Success;
    }

    private NtStatus BuildFromFileSystem(FileObject fo, NameOptions format, out FileNameInformation? built)
    {
        built = null;
        string? path;
        if (Volume.FileSystem is IFileNameSource source)
        {
            NtStatus st = NameBuilder.PathOf(source, fo, format == NameOptions.Normalized, out path);
            if (!st.IsSuccess()) return st;
        }
        else
        {
            // A file system without a node table: the name as the object carries it.
            string text = fo.FileNameText;
            path = text.StartsWith('/') ? text : "/" + text;
        }
        built = new FileNameInformation(Filter.Manager, Volume.Name + path, Volume.Name.Length, format);
        return NtStatus.Success;
    }

    /// <summary>Asks this instance's GenerateFileName; for NORMALIZED, falls back to OPENED plus NormalizeNameComponent per component.</summary>
    private NtStatus BuildFromProvider(FileObject fo, CallbackData? data, NameOptions options, NameOptions format, out bool cacheIt, out FileNameInformation? built)
    {
        built = null;
        cacheIt = false;
        FilterRegistration reg = Filter.Registration;
        var control = new FileNameControl();
        NtStatus st = Generate(reg.GenerateFileName!, fo, data, (options & ~NameOptions.FormatMask) | format, out cacheIt, control);
        if (!st.IsSuccess() && format == NameOptions.Normalized)
        {
            control.Name.Clear();
            st = Generate(reg.GenerateFileName!, fo, data, (options & ~NameOptions.FormatMask) | NameOptions.Opened, out cacheIt, control);
            if (st.IsSuccess() && reg.NormalizeNameComponent is { } normalize)
            {
                st = NormalizeComponents(normalize, reg.NormalizeContextCleanup, fo, control, fo.ContextState != FileObjectContextState.Opened);
            }
        }
        if (!st.IsSuccess()) return st;
        string name = control.Name.ToString();
        int volumeLength = name.StartsWith(Volume.Name, StringComparison.Ordinal) ? Volume.Name.Length : 0;
        built = new FileNameInformation(Filter.Manager, name, volumeLength, format);
        return NtStatus.Success;
    }

    private NtStatus Generate(GenerateFileNameCallback generate, FileObject fo, CallbackData? data, NameOptions options, out bool cacheIt, FileNameControl control)
    {
        cacheIt = false;
        try
        {
            return generate(this, fo, data, options, out cacheIt, control);
        }
        catch (Exception e)
        {
            Filter.Manager.ReportFault(this, data?.Iopb.MajorFunction, "GenerateFileName threw", e);
            return NtStatus.UnhandledException;
        }
    }

    private NtStatus NormalizeComponents(NormalizeNameComponentCallback normalize, NormalizeContextCleanupCallback? cleanup, FileObject fo, FileNameControl control, bool lastMayBeMissing)
    {
        string opened = control.Name.ToString();
        int volumeLength = opened.StartsWith(Volume.Name, StringComparison.Ordinal) ? Volume.Name.Length : 0;
        string[] parts = opened[volumeLength..].Split('/', StringSplitOptions.RemoveEmptyEntries);
        var result = new System.Text.StringBuilder(opened, 0, volumeLength, opened.Length + 16);
        object? normalizationContext = null;
        try
        {
            for (int i = 0; i < parts.Length; i++)
            {
                string parent = result.Length == volumeLength ? result + "/" : result.ToString() + "/";
                NtStatus st = normalize(this, fo, parent, volumeLength, parts[i], out string? expanded, NormalizeNameFlags.CaseSensitive, ref normalizationContext);
                if (st == NtStatus.NoSuchFile && i == parts.Length - 1 && lastMayBeMissing) expanded = parts[i];
                else if (!st.IsSuccess()) return st;
                result.Append('/').Append(expanded ?? parts[i]);
            }
            if (parts.Length == 0) result.Append('/');
        }
        catch (Exception e)
        {
            Filter.Manager.ReportFault(this, null, "NormalizeNameComponent threw", e);
            return NtStatus.UnhandledException;
        }
        finally
        {
            if (normalizationContext is not null && cleanup is not null)
            {
                try { cleanup(ref normalizationContext); }
                catch (Exception e) { Filter.Manager.ReportFault(this, null, "NormalizeContextCleanup threw", e); }
            }
        }
        control.Name.Clear().Append(result);
        return NtStatus.Success;
    }
}
