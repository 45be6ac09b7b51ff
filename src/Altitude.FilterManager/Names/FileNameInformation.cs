// FLT_FILE_NAME_INFORMATION (spec section 4): a name shared by every filter that asks for it, reference counted and
// read-only. All parts are slices of Name, as all strings share one buffer in Windows. Altitude parses at creation,
// so NamesParsed is always complete and FltParseFileNameInformation has nothing left to do.
namespace Altitude;

/// <summary>FLT_FILE_NAME_OPTIONS: one format, one query method, optional flags.</summary>
[Flags]
public enum NameOptions : uint
{
    /// <summary>Full path from the volume, canonical (the path from the volume root through the node table).</summary>
    Normalized = 0x01,
    /// <summary>The path as the file was opened (not canonicalized: "a//b/./c" stays as given).</summary>
    Opened = 0x02,
    /// <summary>8.3 names do not exist on Linux: STATUS_FLT_INVALID_NAME_REQUEST (docs/deviations.md).</summary>
    Short = 0x03,

    /// <summary>Cache, then the file system (and fill the cache); fails when querying the file system is unsafe.</summary>
    QueryDefault = 0x0100,
    /// <summary>The cache only: STATUS_FLT_NAME_CACHE_MISS on a miss.</summary>
    QueryCacheOnly = 0x0200,
    /// <summary>The file system only; the cache is neither read nor filled.</summary>
    QueryFileSystemOnly = 0x0300,
    /// <summary>Cache, then the file system only if that is safe.</summary>
    QueryAlwaysAllowCacheLookup = 0x0400,

    RequestFromCurrentProvider = 0x01000000,
    DoNotCache = 0x02000000,
    AllowQueryOnReparse = 0x04000000,

    FormatMask = 0xFF,
    QueryMask = 0xFF00,
}

/// <summary>FLTFL_FILE_NAME_PARSED_*.</summary>
[Flags]
public enum NamesParsedFlags : ushort
{
    None = 0,
    FinalComponent = 1,
    Extension = 2,
    Stream = 4,
    ParentDir = 8,
    All = 15,
}

/// <summary>PFLT_FILE_NAME_INFORMATION. Never modify it; release every reference you get.</summary>
public sealed class FileNameInformation
{
    private int referenceCount = 1;
    internal List<VerifierRecord>? VerifierRecords;   // verifier mode only
    internal readonly FilterManager? Manager;

    internal FileNameInformation(FilterManager? manager, string name, int volumeLength, NameOptions format)
    {
        Manager = manager;
        Name = name;
        Format = format & NameOptions.FormatMask;
        Volume = name.AsMemory(0, volumeLength);
        Share = ReadOnlyMemory<char>.Empty;
        Stream = ReadOnlyMemory<char>.Empty;
        ParseInto(name, volumeLength, out ParentDir, out FinalComponent, out Extension);
        NamesParsed = NamesParsedFlags.All;
    }

    /// <summary>Volume + Share + ParentDir + FinalComponent + Stream.</summary>
    public string Name { get; }
    public NameOptions Format { get; }
    public NamesParsedFlags NamesParsed { get; }
    /// <summary>The volume name (<c>/dev/altitude/volume1</c>).</summary>
    public readonly ReadOnlyMemory<char> Volume;
    /// <summary>Always empty: Altitude volumes are local.</summary>
    public readonly ReadOnlyMemory<char> Share;
    /// <summary>Begins and ends with '/'; "/" for a name in the root and for the root itself.</summary>
    public readonly ReadOnlyMemory<char> ParentDir;
    /// <summary>The last component; empty for the root.</summary>
    public readonly ReadOnlyMemory<char> FinalComponent;
    /// <summary>After the last '.' of the final component, except a leading one (".bashrc" has none); empty without.</summary>
    public readonly ReadOnlyMemory<char> Extension;
    /// <summary>Always empty: Linux files have one stream, and ':' is an ordinary character in their names.</summary>
    public readonly ReadOnlyMemory<char> Stream;

    /// <summary>Current reference count (diagnostics and tests).</summary>
    public int ReferenceCount => Volatile.Read(ref referenceCount);

    /// <summary>FltReferenceFileNameInformation.</summary>
    public void Reference() => Interlocked.Increment(ref referenceCount);

    /// <summary>FltReleaseFileNameInformation. The object is immutable; at 0 the GC reclaims it.</summary>
    public void Release()
    {
        Manager?.Verifier.NameReleased(this);
        Interlocked.Decrement(ref referenceCount);
    }

    /// <summary>FltParseFileNameInformation: the parts are parsed when the name is built, so this only succeeds.</summary>
    public NtStatus Parse() => NtStatus.Success;

    internal void AddReference() => Interlocked.Increment(ref referenceCount);

    /// <summary>Splits the path after the volume name: ParentDir up to and including the last '/', the rest is the final component.</summary>
    internal static void ParseInto(string name, int volumeLength, out ReadOnlyMemory<char> parentDir, out ReadOnlyMemory<char> finalComponent, out ReadOnlyMemory<char> extension)
    {
        ReadOnlySpan<char> path = name.AsSpan(volumeLength);
        int slash = path.LastIndexOf('/');
        if (slash < 0)
        {
            // No separator at all (a provider's odd name): everything is the final component.
            parentDir = ReadOnlyMemory<char>.Empty;
            finalComponent = name.AsMemory(volumeLength);
        }
        else
        {
            parentDir = name.AsMemory(volumeLength, slash + 1);
            finalComponent = name.AsMemory(volumeLength + slash + 1);
        }
        ReadOnlySpan<char> final = finalComponent.Span;
        int dot = final.LastIndexOf('.');
        extension = dot > 0 ? finalComponent[(dot + 1)..] : ReadOnlyMemory<char>.Empty;
    }

    public override string ToString() => Name;
}

/// <summary>FLT_NAME_CONTROL: where a name provider writes the name it generates (volume name included).</summary>
public sealed class FileNameControl
{
    public System.Text.StringBuilder Name { get; } = new(256);

    /// <summary>FltCheckAndGrowNameControl: the builder grows by itself; this only refuses absurd sizes.</summary>
    public NtStatus CheckAndGrow(int newSize)
    {
        if (newSize < 0 || newSize > ushort.MaxValue) return NtStatus.InsufficientResources;
        Name.EnsureCapacity(newSize);
        return NtStatus.Success;
    }
}

/// <summary>FLTFL_NORMALIZE_NAME_*.</summary>
[Flags]
public enum NormalizeNameFlags
{
    None = 0,
    CaseSensitive = 0x1,
    DestinationFileName = 0x2,
}

/// <summary>
/// PFLT_GENERATE_FILE_NAME: a name provider builds the name of <paramref name="fileObject"/> as the filters above it
/// must see it (volume name included) in <paramref name="fileName"/>. <paramref name="data"/> is null for the unsafe query.
/// Asked for NORMALIZED too: a failure makes the engine ask for OPENED and normalize component by component.
/// </summary>
public delegate NtStatus GenerateFileNameCallback(Instance instance, FileObject fileObject, CallbackData? data, NameOptions nameOptions,
    out bool cacheFileNameInformation, FileNameControl fileName);

/// <summary>
/// PFLT_NORMALIZE_NAME_COMPONENT_EX: the normalized form of one component of <paramref name="parentDirectory"/>
/// (STATUS_NO_SUCH_FILE when it does not exist). <paramref name="normalizationContext"/> is shared by the calls for one path.
/// </summary>
public delegate NtStatus NormalizeNameComponentCallback(Instance instance, FileObject? fileObject, string parentDirectory, int volumeNameLength,
    string component, out string? expandedComponent, NormalizeNameFlags flags, ref object? normalizationContext);

/// <summary>PFLT_NORMALIZE_CONTEXT_CLEANUP: frees what the component calls kept in the normalization context.</summary>
public delegate void NormalizeContextCleanupCallback(ref object? normalizationContext);

/// <summary>What the backing file system tells the engine about names (implemented by the loopback driver).</summary>
public interface IFileNameSource
{
    /// <summary>The path of a node from the volume root: "/" for the root, "/a/b" otherwise. STATUS_FILE_DELETED when it has no name left.</summary>
    NtStatus GetNodePath(ulong nodeId, out string? path);

    /// <summary>The canonical path of an existing node named by a path relative to the root (for names of objects not open yet).</summary>
    NtStatus GetPath(ReadOnlySpan<byte> relativePath, out string? path);
}
