// NameChanger (WDK filesys/miniFilter/NameChanger, altitude 370120): the real directory RealMapping (/A/B) is shown
// as UserMapping (/X/Y). Through the mount:
//
// - LOOKUP (NETWORK_QUERY_OPEN) of /X/Y takes the slow path (DISALLOW_FSFILTER_IO), and its CREATE is sent to /A/B
//   (FileObject.ReplaceFileName): the kernel's entry X/Y is the node of /A/B, so everything below it is reached
//   through that node. LOOKUP of /A/B answers STATUS_OBJECT_NAME_NOT_FOUND: the real name is hidden, which also keeps
//   the directory from having two entries in the kernel. Creates by the real name are refused (STATUS_ACCESS_DENIED).
// - Listings (DIRECTORY_CONTROL): /A no longer lists B; /X lists Y (after the real entries, with a cookie of its own).
// - Name provider (GenerateFileName, NormalizeNameComponent): the filters above see /X/Y/... where the file system
//   has /A/B/...; the filters below, and NameChanger itself, see the real names.
// - SET_INFORMATION: renaming, linking or deleting either mapping itself is refused (STATUS_ACCESS_DENIED), as is a
//   rename or link onto either name. Renames and links of what is inside go through the node and need no rewriting.
// - InstanceSetup refuses to attach (STATUS_FLT_DO_NOT_ATTACH) unless RealMapping and UserMapping's parent exist,
//   as the WDK sample requires \A\B and \X.
using Microsoft.Extensions.Logging;

namespace Altitude.Samples.NameChanger;

public sealed class NameChangerFilter : IMiniFilter
{
    public const string DefaultName = "NameChanger";
    public const string DefaultAltitude = "370120";
    private const byte DT_DIR = 4;
    private const NameOptions NameQuery = NameOptions.Normalized | NameOptions.QueryDefault;
    /// <summary>The cookie after the virtual entry: the listing ends there, and the file system never sees it.</summary>
    private const long VirtualEntryCookie = long.MaxValue - 1;
    private string realMapping = "/A/B", userMapping = "/X/Y";
    private string realParent = "/A", userParent = "/X";
    private byte[] realLeaf = "B"u8.ToArray(), userLeaf = "Y"u8.ToArray();
    private ulong realFileId;
    // What a listing's post-op edits (the two parents may be one directory).
    private static readonly object HideReal = new(), ShowUser = new(), Both = new();

    private long normalizedComponents;

    public Filter? Filter { get; private set; }

    /// <summary>Components normalized by <see cref="NormalizeNameComponent"/> (tests: the callback is used).</summary>
    public long NormalizedComponents => Interlocked.Read(ref normalizedComponents);

    /// <summary>In-process registration (tests), with the mappings as the manifest's parameters give them.</summary>
    public NtStatus Register(FilterManager manager, string realMapping = "/A/B", string userMapping = "/X/Y")
    {
        var parameters = new FilterParameters(new Dictionary<string, IReadOnlyList<string>>
        {
            ["RealMapping"] = new[] { realMapping },
            ["UserMapping"] = new[] { userMapping },
        });
        return DriverEntry(new DriverObject(manager, FilterConfiguration.Single(DefaultName, DefaultAltitude), parameters));
    }

    public NtStatus DriverEntry(DriverObject driver)
    {
        realMapping = Canonical(driver.Parameters.GetString("RealMapping", realMapping));
        userMapping = Canonical(driver.Parameters.GetString("UserMapping", userMapping));
        if (realMapping == "/" || userMapping == "/" || Under(realMapping, userMapping) || Under(userMapping, realMapping))
        {
            driver.Manager.Logger.LogError("NameChanger: RealMapping {Real} and UserMapping {User} must be distinct, neither inside the other", realMapping, userMapping);
            return NtStatus.InvalidParameter;
        }
        (realParent, realLeaf) = Split(realMapping);
        (userParent, userLeaf) = Split(userMapping);
        var registration = new FilterRegistration
        {
            OperationRegistration = new[]
            {
                new OperationRegistration(MajorFunction.Create, OperationRegistrationFlags.None, PreCreate, null),
                new OperationRegistration(MajorFunction.NetworkQueryOpen, OperationRegistrationFlags.None, PreNetworkQueryOpen, null),
                new OperationRegistration(MajorFunction.DirectoryControl, OperationRegistrationFlags.None, PreDirectoryControl, PostDirectoryControl),
                new OperationRegistration(MajorFunction.SetInformation, OperationRegistrationFlags.None, PreSetInformation, null),
            },
            GenerateFileName = GenerateFileName,
            NormalizeNameComponent = NormalizeNameComponent,
            InstanceSetup = InstanceSetup,
            InstanceQueryTeardown = (in RelatedObjects o, InstanceTeardownFlags f) => NtStatus.Success,
            FilterUnload = _ => { Filter?.Unregister(); return NtStatus.Success; },
        };
        NtStatus st = driver.RegisterFilter(registration, out Filter? filter);
        if (!st.IsSuccess()) return st;
        Filter = filter;
        return filter!.StartFiltering();
    }

    /// <summary>Attaches only where RealMapping and UserMapping's parent are directories (the WDK sample checks \A\B and \X).</summary>
    private NtStatus InstanceSetup(in RelatedObjects objects, InstanceSetupFlags flags, VolumeDeviceType deviceType, FileSystemType fileSystemType)
    {
        Instance instance = objects.Instance!;
        foreach (string directory in new[] { realMapping, userParent })
        {
            NtStatus st = objects.Filter.CreateFile(objects.Volume, instance, directory, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0, out FileObject? fo, out _);
            if (!st.IsSuccess())
            {
                objects.Filter.Manager.Logger.LogWarning("NameChanger: {Directory} is not a directory of {Volume} ({Status}); not attaching", directory, objects.Volume.Name, st.Describe());
                return NtStatus.FltDoNotAttach;
            }
            if (directory == realMapping && instance.QueryInformationFile(fo!, FileInformationClass.FileStandardInformation, out FileStatInformation stat).IsSuccess())
                realFileId = stat.FileId;
            objects.Filter.Close(fo!);
        }
        return NtStatus.Success;
    }

    // ---- lookups and opens ---------------------------------------------------------------------------------------

    /// <summary>The virtual name takes the slow path (a CREATE we redirect); the real one does not exist.</summary>
    private PreOperationStatus PreNetworkQueryOpen(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        string? path = PathOf(objects.Instance!, data);
        if (path == userMapping) return PreOperationStatus.DisallowFsFilterIo;
        if (path == realMapping) return Complete(data, NtStatus.ObjectNameNotFound);
        return PreOperationStatus.SuccessNoCallback;
    }

    /// <summary>A create by the virtual name goes to the real one; a create by the real name is refused.</summary>
    private PreOperationStatus PreCreate(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        if (objects.FileObject is not { } fo || fo.NodeId != 0) return PreOperationStatus.SuccessNoCallback;   // an open of a node the kernel holds
        string? path = PathOf(objects.Instance!, data);
        if (path is null) return PreOperationStatus.SuccessNoCallback;
        // The real name itself (mkdir /mnt/A/B), or a path from the root through it (filter I/O, in-process calls). A create
        // in a directory below it came through the virtual name: its parent is the node the redirect handed out.
        if (path == realMapping || (fo.ParentNodeId == 0 && Under(path, realMapping))) return Complete(data, NtStatus.AccessDenied);
        if (!Under(path, userMapping)) return PreOperationStatus.SuccessNoCallback;
        NtStatus st = fo.ReplaceFileName(data, System.Text.Encoding.UTF8.GetBytes(realMapping + path[userMapping.Length..]));
        if (!st.IsSuccess()) return Complete(data, st);
        data.SetDirty();
        return PreOperationStatus.SuccessNoCallback;
    }

    /// <summary>Neither mapping may be renamed, linked or deleted, nor replaced by a rename or link onto its name.</summary>
    private PreOperationStatus PreSetInformation(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        ref SetFileInformationParameters p = ref data.Iopb.Parameters.SetFileInformation;
        bool rename = p.FileInformationClass is FileInformationClass.FileRenameInformation or FileInformationClass.FileRenameInformationEx
            or FileInformationClass.FileLinkInformation or FileInformationClass.FileLinkInformationEx;
        bool delete = p.FileInformationClass is FileInformationClass.FileDispositionInformation or FileInformationClass.FileDispositionInformationEx;
        if ((!rename && !delete) || objects.FileObject is not { } fo) return PreOperationStatus.SuccessNoCallback;
        Instance instance = objects.Instance!;
        string? source = PathOf(instance, data);
        if (source == realMapping || source == userMapping) return Complete(data, NtStatus.AccessDenied);
        if (rename && instance.GetDestinationFileNameInformation(fo, p.DestinationDirectory, p.DestinationName.Span, NameQuery, out FileNameInformation? target).IsSuccess())
        {
            string destination = target!.Name[instance.Volume.Name.Length..];
            target.Release();
            if (destination == realMapping || destination == userMapping) return Complete(data, NtStatus.AccessDenied);
        }
        return PreOperationStatus.SuccessNoCallback;
    }

    // ---- listings ------------------------------------------------------------------------------------------------

    /// <summary>The listing of UserMapping's parent ends after the virtual entry: its cookie never reaches the file system.</summary>
    private PreOperationStatus PreDirectoryControl(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        ref DirectoryControlParameters p = ref data.Iopb.Parameters.DirectoryControl;
        if (data.Iopb.MinorFunction != MinorFunction.QueryDirectory || p.Entries is null) return PreOperationStatus.SuccessNoCallback;
        string? directory = PathOf(objects.Instance!, data);
        bool real = directory == realParent, user = directory == userParent;
        if (!real && !user) return PreOperationStatus.SuccessNoCallback;
        if (user && p.Cookie == VirtualEntryCookie) return Complete(data, NtStatus.NoMoreFiles);   // the end
        completionContext = real && user ? Both : user ? ShowUser : HideReal;
        return PreOperationStatus.SuccessWithCallback;
    }

    /// <summary>Removes B from /A's listing; in /X's, removes a real Y (the virtual one hides it) and adds Y at the end.</summary>
    private PostOperationStatus PostDirectoryControl(CallbackData data, in RelatedObjects objects, object? completionContext, PostOperationFlags flags)
    {
        ref DirectoryControlParameters p = ref data.Iopb.Parameters.DirectoryControl;
        if ((flags & PostOperationFlags.Draining) != 0 || p.Entries is not { } entries) return PostOperationStatus.FinishedProcessing;
        bool user = !ReferenceEquals(completionContext, HideReal), real = !ReferenceEquals(completionContext, ShowUser);
        if (data.IoStatus.Status == NtStatus.NoMoreFiles && user)
        {
            // The file system's listing is over: the virtual entry comes last, and the next query ends it (pre-op).
            entries.Add(realFileId, VirtualEntryCookie, DT_DIR, userLeaf);
            data.IoStatus = new IoStatusBlock(NtStatus.Success, 0);
            return PostOperationStatus.FinishedProcessing;
        }
        if (!data.IoStatus.Status.IsSuccess()) return PostOperationStatus.FinishedProcessing;
        int hidden;
        if (real && (hidden = entries.IndexOf(realLeaf)) >= 0) entries.RemoveAt(hidden);
        if (user && (hidden = entries.IndexOf(userLeaf)) >= 0) entries.RemoveAt(hidden);
        return PostOperationStatus.FinishedProcessing;
    }

    // ---- name provider -------------------------------------------------------------------------------------------

    /// <summary>
    /// The opened name: the file system's, with RealMapping shown as UserMapping (what the filters above see). A
    /// NORMALIZED request is declined, as the WDK sample does: the Filter Manager then takes the opened name and asks
    /// <see cref="NormalizeNameComponent"/> for each component.
    /// </summary>
    private NtStatus GenerateFileName(Instance instance, FileObject fileObject, CallbackData? data, NameOptions options, out bool cacheIt, FileNameControl name)
    {
        cacheIt = true;
        if ((options & NameOptions.FormatMask) == NameOptions.Normalized) return NtStatus.NotSupported;
        NtStatus st = instance.GetFileNameInformationUnsafe(fileObject, (options & NameOptions.FormatMask) | NameOptions.QueryFileSystemOnly, out FileNameInformation? real);
        if (!st.IsSuccess()) return st;
        string volume = instance.Volume.Name;
        string path = real!.Name[volume.Length..];
        real.Release();
        if (Under(path, realMapping)) path = userMapping + path[realMapping.Length..];
        name.Name.Append(volume).Append(path);
        return NtStatus.Success;
    }

    /// <summary>
    /// One component of the (virtual) opened name. Linux names have one form (no short names, case kept), so a
    /// component is its own normalized form, under the virtual directory as anywhere else; the real leaf under the
    /// real parent never reaches here (it is hidden), and would be shown as the virtual leaf.
    /// </summary>
    private NtStatus NormalizeNameComponent(Instance instance, FileObject? fileObject, string parentDirectory, int volumeNameLength,
        string component, out string? expandedComponent, NormalizeNameFlags flags, ref object? normalizationContext)
    {
        Interlocked.Increment(ref normalizedComponents);
        string parent = parentDirectory[volumeNameLength..].TrimEnd('/');
        if (parent.Length == 0) parent = "/";
        expandedComponent = parent == realParent && component == System.Text.Encoding.UTF8.GetString(realLeaf)
            ? System.Text.Encoding.UTF8.GetString(userLeaf) : component;
        return NtStatus.Success;
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    /// <summary>The operation's real path from the volume root (the name providers below us: the file system's).</summary>
    private static string? PathOf(Instance instance, CallbackData data)
    {
        if (!data.GetFileNameInformation(NameQuery, out FileNameInformation? info).IsSuccess()) return null;
        string path = info!.Name[instance.Volume.Name.Length..];
        info.Release();
        return path.Length == 0 ? "/" : path;
    }

    private static PreOperationStatus Complete(CallbackData data, NtStatus status)
    {
        data.IoStatus = new IoStatusBlock(status, 0);
        return PreOperationStatus.Complete;
    }

    private static bool Under(string path, string directory) =>
        path.StartsWith(directory, StringComparison.Ordinal) && (path.Length == directory.Length || path[directory.Length] == '/');

    private static string Canonical(string path) => "/" + string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries));

    private static (string Parent, byte[] Leaf) Split(string path)
    {
        int slash = path.LastIndexOf('/');
        return (slash == 0 ? "/" : path[..slash], System.Text.Encoding.UTF8.GetBytes(path[(slash + 1)..]));
    }
}
