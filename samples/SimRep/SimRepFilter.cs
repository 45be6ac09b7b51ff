// simrep (WDK filesys/miniFilter/simrep, altitude 371100): opens of names under OldMapping go to the same names under
// NewMapping. On Windows the pre-create replaces the file object's name (IoReplaceFileObjectName) and completes the
// create with STATUS_REPARSE, so the I/O manager sends the create again with the new name. Through FUSE the kernel
// walks a path one component at a time (LOOKUP), so the redirect happens at the lookup that reaches OldMapping:
//
// - pre-NETWORK_QUERY_OPEN (a LOOKUP) of a name under OldMapping returns DISALLOW_FSFILTER_IO, as the WDK sample
//   does for query-open, so the lookup is re-issued as a real CREATE;
// - pre-CREATE of a name under OldMapping calls FileObject.ReplaceFileName with the NewMapping name: the same CREATE
//   opens that instead (no reparse round trip: docs/deviations.md section 1), and the kernel's entry for the old name
//   is the new name's node. Everything below it is then reached through that node: `cat /mnt/x/y/file` reads
//   /mnt/a/b/file. Opens of a node the kernel already holds (FUSE OPEN: Linux's open by ID) are skipped.
// - Renames and hard links into OldMapping land in NewMapping whatever RemapRenamesAndLinks says: the kernel resolves
//   their destination directory through the redirected entry, so what reaches the daemon is already the NewMapping
//   directory (on Windows the flag decides whether the target-directory open is redirected). With the flag set the
//   filter is also a name provider, as in the WDK sample: a pass-through one (names as the file system has them).
using Microsoft.Extensions.Logging;

namespace Altitude.Samples.SimRep;

public sealed class SimRepFilter : IMiniFilter
{
    public const string DefaultName = "SimRep";
    public const string DefaultAltitude = "371100";
    private const NameOptions NameQuery = NameOptions.Normalized | NameOptions.QueryDefault;
    private string oldMapping = "/x/y", newMapping = "/a/b";
    private bool remapRenamesAndLinks;
    private long redirected;

    public Filter? Filter { get; private set; }

    /// <summary>Opens and lookups sent to NewMapping (all instances).</summary>
    public long RedirectedCount => Interlocked.Read(ref redirected);

    /// <summary>In-process registration (tests), with the mappings and flag given as the manifest's parameters would.</summary>
    public NtStatus Register(FilterManager manager, string oldMapping = "/x/y", string newMapping = "/a/b", bool remapRenamesAndLinks = false)
    {
        var parameters = new FilterParameters(new Dictionary<string, IReadOnlyList<string>>
        {
            ["OldMapping"] = new[] { oldMapping },
            ["NewMapping"] = new[] { newMapping },
            ["RemapRenamesAndLinks"] = new[] { remapRenamesAndLinks ? "1" : "0" },
        });
        return DriverEntry(new DriverObject(manager, FilterConfiguration.Single(DefaultName, DefaultAltitude), parameters));
    }

    /// <summary>DriverEntry: reads the mappings (paths from the volume root), registers and starts filtering.</summary>
    public NtStatus DriverEntry(DriverObject driver)
    {
        oldMapping = Canonical(driver.Parameters.GetString("OldMapping", oldMapping));
        newMapping = Canonical(driver.Parameters.GetString("NewMapping", newMapping));
        remapRenamesAndLinks = driver.Parameters.GetBoolean("RemapRenamesAndLinks", false);
        if (oldMapping == "/" || newMapping == "/" || Under(newMapping, oldMapping) || Under(oldMapping, newMapping))
        {
            driver.Manager.Logger.LogError("SimRep: OldMapping {Old} and NewMapping {New} must be distinct directories, neither inside the other", oldMapping, newMapping);
            return NtStatus.InvalidParameter;
        }
        var registration = new FilterRegistration
        {
            OperationRegistration = new[]
            {
                new OperationRegistration(MajorFunction.Create, OperationRegistrationFlags.None, PreCreate, null),
                new OperationRegistration(MajorFunction.NetworkQueryOpen, OperationRegistrationFlags.None, PreNetworkQueryOpen, null),
            },
            GenerateFileName = remapRenamesAndLinks ? GenerateFileName : null,
            FilterUnload = _ => { Filter?.Unregister(); return NtStatus.Success; },
            InstanceQueryTeardown = (in RelatedObjects o, InstanceTeardownFlags f) => NtStatus.Success,
        };
        NtStatus st = driver.RegisterFilter(registration, out Filter? filter);
        if (!st.IsSuccess()) return st;
        Filter = filter;
        return filter!.StartFiltering();
    }

    /// <summary>A lookup that would be redirected takes the slow path: a real CREATE, which PreCreate redirects.</summary>
    private PreOperationStatus PreNetworkQueryOpen(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        return MappedPath(objects.Instance!, data) is not null ? PreOperationStatus.DisallowFsFilterIo : PreOperationStatus.SuccessNoCallback;
    }

    /// <summary>A create by name under OldMapping opens the same name under NewMapping instead.</summary>
    private PreOperationStatus PreCreate(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        // FUSE OPEN of a node the kernel already holds is Linux's open by ID: skipped, as the WDK sample skips
        // FILE_OPEN_BY_FILE_ID (the lookup that made the node was redirected already, if it was under OldMapping).
        if (objects.FileObject is not { } fo || fo.NodeId != 0) return PreOperationStatus.SuccessNoCallback;
        string? target = MappedPath(objects.Instance!, data);
        if (target is null) return PreOperationStatus.SuccessNoCallback;
        NtStatus st = fo.ReplaceFileName(data, System.Text.Encoding.UTF8.GetBytes(target));
        if (!st.IsSuccess())
        {
            data.IoStatus = new IoStatusBlock(st, 0);
            return PreOperationStatus.Complete;
        }
        data.SetDirty();
        Interlocked.Increment(ref redirected);
        return PreOperationStatus.SuccessNoCallback;
    }

    /// <summary>The pass-through name provider of the remapping mode: the file system's own name, cached.</summary>
    private static NtStatus GenerateFileName(Instance instance, FileObject fileObject, CallbackData? data, NameOptions options, out bool cacheIt, FileNameControl name)
    {
        cacheIt = true;
        NtStatus st = instance.GetFileNameInformationUnsafe(fileObject, (options & NameOptions.FormatMask) | NameOptions.QueryFileSystemOnly, out FileNameInformation? real);
        if (!st.IsSuccess()) return st;
        name.Name.Append(real!.Name);
        real.Release();
        return NtStatus.Success;
    }

    /// <summary>The NewMapping path for the operation's name when it is OldMapping or below it; null otherwise.</summary>
    private string? MappedPath(Instance instance, CallbackData data)
    {
        if (!data.GetFileNameInformation(NameQuery, out FileNameInformation? info).IsSuccess()) return null;
        string path = info!.Name[instance.Volume.Name.Length..];
        info.Release();
        return Under(path, oldMapping) ? newMapping + path[oldMapping.Length..] : null;
    }

    private static bool Under(string path, string directory) =>
        path.StartsWith(directory, StringComparison.Ordinal) && (path.Length == directory.Length || path[directory.Length] == '/');

    private static string Canonical(string path) => "/" + string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries));
}
