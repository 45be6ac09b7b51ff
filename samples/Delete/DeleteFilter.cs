// delete (WDK filesys/miniFilter/delete, altitude 370150), adapted to Linux: it reports files that stop existing.
// Windows detects a delete in post-cleanup with FltQueryInformationFile -> STATUS_FILE_DELETED. On Linux a name goes
// away at once (unlink, rmdir, or a rename that replaces the target), so the filter opens the object that may die
// below itself in the pre-op (FltCreateFile with its instance), lets the operation run, then asks its own open: a file
// whose last name went answers STATUS_FILE_DELETED. Opens of clients that were unlinked while open are caught the
// Windows way, in post-cleanup. A stream context remembers that a stream was reported, so it is reported once.
using System.Collections.Concurrent;

namespace Altitude.Samples.Delete;

/// <summary>DF_STREAM_CONTEXT: whether this stream's deletion was already reported, and the full name a delete saw.</summary>
public sealed class DeleteStreamContext : FltContext
{
    public bool Reported;
    /// <summary>
    /// The normalized name a pre-op took while the name still existed. FUSE's RELEASE is asynchronous: the cleanup of an
    /// open made before the unlink may run after it, racing the unlink's own check, when only the opened component is left.
    /// </summary>
    public string? Name;
}

public sealed class DeleteFilter : IMiniFilter
{
    public const string DefaultAltitude = "370150";
    private const NameOptions NameQuery = NameOptions.Normalized | NameOptions.QueryDefault;
    private readonly ConcurrentQueue<string> deleted = new();

    public Filter? Filter { get; private set; }

    /// <summary>One line per deletion: <c>A file "name" has been deleted!</c>.</summary>
    public string[] Deleted => deleted.ToArray();

    /// <summary>In-process registration at <paramref name="altitude"/> (tests); fltmgrd calls <see cref="DriverEntry"/> with the manifest's configuration.</summary>
    public NtStatus Register(FilterManager manager, string altitude = DefaultAltitude) =>
        DriverEntry(new DriverObject(manager, FilterConfiguration.Single("Delete", altitude)));

    /// <summary>DriverEntry: registers and starts filtering.</summary>
    public NtStatus DriverEntry(DriverObject driver)
    {
        var registration = new FilterRegistration
        {
            ContextRegistration = new[] { new ContextRegistration(ContextType.Stream, 8) },
            OperationRegistration = new[]
            {
                new OperationRegistration(MajorFunction.SetInformation, OperationRegistrationFlags.None, PreSetInformation, PostSetInformation),
                new OperationRegistration(MajorFunction.Cleanup, OperationRegistrationFlags.None, null, PostCleanup),
            },
            FilterUnload = _ => { Filter?.Unregister(); return NtStatus.Success; },
            InstanceQueryTeardown = (in RelatedObjects o, InstanceTeardownFlags f) => NtStatus.Success,
        };
        NtStatus st = driver.RegisterFilter(registration, out Filter? filter);
        if (!st.IsSuccess()) return st;
        Filter = filter;
        return filter!.StartFiltering();
    }

    /// <summary>What the pre-op opened: the object that may be deleted, and its name.</summary>
    private sealed record Candidate(FileObject FileObject, string Name);

    private PreOperationStatus PreSetInformation(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        ref SetFileInformationParameters p = ref data.Iopb.Parameters.SetFileInformation;
        Instance instance = objects.Instance!;
        FileNameInformation? name;
        switch (p.FileInformationClass)
        {
            case FileInformationClass.FileDispositionInformation or FileInformationClass.FileDispositionInformationEx when (p.DispositionFlags & DispositionFlags.Delete) != 0:
                if (!data.GetFileNameInformation(NameQuery, out name).IsSuccess()) return PreOperationStatus.SuccessNoCallback;
                break;
            case FileInformationClass.FileRenameInformation or FileInformationClass.FileRenameInformationEx when (p.RenameFlags & RenameFlags.ReplaceIfExists) != 0:
                if (!instance.GetDestinationFileNameInformation(objects.FileObject!, p.DestinationDirectory, p.DestinationName.Span, NameQuery, out name).IsSuccess())
                    return PreOperationStatus.SuccessNoCallback;
                break;
            default:
                return PreOperationStatus.SuccessNoCallback;
        }
        string path = name!.Name;
        name.Release();
        // Opened below this instance: no other filter above sees it, and it never goes through the mount.
        int flags = OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK | ((p.DispositionFlags & DispositionFlags.Directory) != 0 ? OpenFlags.O_DIRECTORY : 0);
        if (!instance.Filter.CreateFile(instance.Volume, instance, path, flags, 0, out FileObject? target, out _).IsSuccess())
            return PreOperationStatus.SuccessNoCallback;   // nothing there (a rename to a new name): nothing can be deleted
        completionContext = new Candidate(target!, path);
        RememberName(instance, target!, path);
        return PreOperationStatus.Synchronize;
    }

    private PostOperationStatus PostSetInformation(CallbackData data, in RelatedObjects objects, object? completionContext, PostOperationFlags flags)
    {
        if (completionContext is not Candidate c) return PostOperationStatus.FinishedProcessing;
        Instance instance = objects.Instance!;
        if ((flags & PostOperationFlags.Draining) == 0 && data.IoStatus.Status.IsSuccess()) CheckDeleted(instance, c.FileObject, c.Name);
        instance.Filter.Close(c.FileObject);
        return PostOperationStatus.FinishedProcessing;
    }

    private PostOperationStatus PostCleanup(CallbackData data, in RelatedObjects objects, object? completionContext, PostOperationFlags flags)
    {
        if ((flags & PostOperationFlags.Draining) != 0 || objects.FileObject is not { } fo || !fo.WasOpened()) return PostOperationStatus.FinishedProcessing;
        // After cleanup the name may only come from the cache; the stream context says whether it was reported anyway.
        string name = data.GetFileNameInformation(NameOptions.Normalized | NameOptions.QueryAlwaysAllowCacheLookup, out var info).IsSuccess() ? info!.Name : fo.FileNameText;
        info?.Release();
        CheckDeleted(objects.Instance!, fo, name);
        return PostOperationStatus.FinishedProcessing;
    }

    /// <summary>The stream's context (made if it has none, KEEP_IF_EXISTS), referenced; null if none could be made.</summary>
    private static DeleteStreamContext? StreamContextOf(Instance instance, FileObject fo)
    {
        if (!instance.Filter.AllocateContext(ContextType.Stream, 8, out DeleteStreamContext? fresh).IsSuccess()) return null;
        instance.SetStreamContext(fo, ContextSetOperation.KeepIfExists, fresh!, out DeleteStreamContext? existing);
        if (existing is null) return fresh;   // the allocation reference is the caller's now
        fresh!.Release();
        return existing;
    }

    /// <summary>Keeps the full name a delete is about to remove, for whichever check reports it.</summary>
    private static void RememberName(Instance instance, FileObject fo, string name)
    {
        if (StreamContextOf(instance, fo) is not { } ctx) return;
        lock (ctx) ctx.Name = name;   // the latest: a hard link's last name is the one that goes
        ctx.Release();
    }

    /// <summary>FltQueryInformationFile(FileStandardInformation) -> STATUS_FILE_DELETED: the file is gone; report it once per stream.</summary>
    private void CheckDeleted(Instance instance, FileObject fo, string name)
    {
        if (instance.QueryInformationFile(fo, FileInformationClass.FileStandardInformation, out _) != NtStatus.FileDeleted) return;
        if (StreamContextOf(instance, fo) is { } ctx)
        {
            bool first;
            lock (ctx)
            {
                first = !ctx.Reported;
                ctx.Reported = true;
                name = ctx.Name ?? name;
            }
            ctx.Release();
            if (!first) return;
        }
        deleted.Enqueue($"A file \"{name}\" has been deleted!");
    }
}

internal static class FileObjectExtensions
{
    /// <summary>Only file objects that reached the file system can have been deleted.</summary>
    public static bool WasOpened(this FileObject fo) => fo.NodeId != 0;
}
