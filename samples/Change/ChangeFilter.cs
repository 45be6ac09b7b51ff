// change (WDK filesys/miniFilter/change, altitude 370160), adapted to Linux: it notices when a file's contents change.
// A file context {FileId, Dirty} is made in post-create for every regular file; the post-operations that change data
// or size set Dirty: WRITE (caller's writes and the kernel's writeback of mapped pages), SET_INFORMATION EndOfFile
// (truncate), an allocation that changes contents or size (fallocate punching or zeroing a range, collapsing or
// inserting one, or growing the file: the Linux forms of FSCTL_SET_ZERO_DATA), and an open that truncated the file
// (O_TRUNC, FILE_OVERWRITE). Reads, stats and plain opens change nothing. The first change of a file is reported once.
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Altitude.Samples.Change;

public sealed class ChangeFilter : IMiniFilter
{
    public const string DefaultAltitude = "370160";
    private const NameOptions NameQuery = NameOptions.Normalized | NameOptions.QueryDefault;
    private const int FALLOC_FL_KEEP_SIZE = 0x01;
    private const int FALLOC_FL_CONTENT = 0x02 | 0x08 | 0x10 | 0x20;   // PUNCH_HOLE, COLLAPSE_RANGE, ZERO_RANGE, INSERT_RANGE
    private readonly ConcurrentQueue<string> changed = new();

    public Filter? Filter { get; private set; }

    /// <summary>One line per file that became dirty: <c>File "name" (id N) is now dirty</c>.</summary>
    public string[] Changed => changed.ToArray();

    /// <summary>In-process registration at <paramref name="altitude"/> (tests); fltmgrd calls <see cref="DriverEntry"/> with the manifest's configuration.</summary>
    public NtStatus Register(FilterManager manager, string altitude = DefaultAltitude) =>
        DriverEntry(new DriverObject(manager, FilterConfiguration.Single("Change", altitude)));

    /// <summary>DriverEntry: registers and starts filtering.</summary>
    public NtStatus DriverEntry(DriverObject driver)
    {
        var registration = new FilterRegistration
        {
            ContextRegistration = new[] { new ContextRegistration(ContextType.File, 16) },
            OperationRegistration = new[]
            {
                new OperationRegistration(MajorFunction.Create, OperationRegistrationFlags.None, null, PostCreate),
                // Paging writes too (SkipPagingIo is not set): stores through a shared mapping change the file.
                new OperationRegistration(MajorFunction.Write, OperationRegistrationFlags.None, null, PostWrite),
                new OperationRegistration(MajorFunction.SetInformation, OperationRegistrationFlags.None, null, PostSetInformation),
            },
            FilterUnload = _ => { Filter?.Unregister(); return NtStatus.Success; },
            InstanceQueryTeardown = (in RelatedObjects o, InstanceTeardownFlags f) => NtStatus.Success,
        };
        NtStatus st = driver.RegisterFilter(registration, out Filter? filter);
        if (!st.IsSuccess()) return st;
        Filter = filter;
        return filter!.StartFiltering();
    }

    /// <summary>Every regular file opened gets its context; an open that truncated it (O_TRUNC) changed it.</summary>
    private PostOperationStatus PostCreate(CallbackData data, in RelatedObjects objects, object? completionContext, PostOperationFlags flags)
    {
        if ((flags & PostOperationFlags.Draining) != 0 || !data.IoStatus.Status.IsSuccess() || objects.FileObject is not { } fo) return PostOperationStatus.FinishedProcessing;
        // A directory open (OPENDIR, MKDIR) never gets a context: no query for each of them (FltIsDirectory's role).
        if ((data.Iopb.Parameters.Create.Options & (uint)CreateOptions.DirectoryFile) != 0) return PostOperationStatus.FinishedProcessing;
        bool truncated = data.IoStatus.Information is CreateInformation.FileOverwritten or CreateInformation.FileSuperseded;
        if (FindOrCreate(objects.Instance!, data, fo, out ChangeFileContext? context).IsSuccess())
        {
            if (truncated) MarkDirty(context!);
            context!.Release();
        }
        return PostOperationStatus.FinishedProcessing;
    }

    /// <summary>A write that wrote something changed the file (a failed one did not: hence the post-op).</summary>
    private PostOperationStatus PostWrite(CallbackData data, in RelatedObjects objects, object? completionContext, PostOperationFlags flags)
    {
        // A draining post-op (the instance detaches) carries no outcome of the operation: it changed nothing yet.
        if ((flags & PostOperationFlags.Draining) == 0 && data.IoStatus.Status.IsSuccess() && data.IoStatus.Information > 0) MarkDirty(data, objects);
        return PostOperationStatus.FinishedProcessing;
    }

    /// <summary>EndOfFile (truncate, either way); an allocation that changes contents or, without KEEP_SIZE, the size.</summary>
    private PostOperationStatus PostSetInformation(CallbackData data, in RelatedObjects objects, object? completionContext, PostOperationFlags flags)
    {
        if ((flags & PostOperationFlags.Draining) != 0 || !data.IoStatus.Status.IsSuccess()) return PostOperationStatus.FinishedProcessing;
        ref SetFileInformationParameters p = ref data.Iopb.Parameters.SetFileInformation;
        bool changes = p.FileInformationClass switch
        {
            FileInformationClass.FileEndOfFileInformation => true,
            FileInformationClass.FileAllocationInformation => (p.AllocationMode & FALLOC_FL_CONTENT) != 0 || (p.AllocationMode & FALLOC_FL_KEEP_SIZE) == 0,
            _ => false,
        };
        if (changes) MarkDirty(data, objects);
        return PostOperationStatus.FinishedProcessing;
    }

    private void MarkDirty(CallbackData data, in RelatedObjects objects)
    {
        if (objects.FileObject is not { } fo) return;
        // A handle opened before this instance attached has no context yet: make it now.
        if (!FindOrCreate(objects.Instance!, data, fo, out ChangeFileContext? context).IsSuccess()) return;
        MarkDirty(context!);
        context!.Release();
    }

    private void MarkDirty(ChangeFileContext context)
    {
        if (Interlocked.Exchange(ref context.Dirty, 1) != 0) return;
        string line = $"File \"{context.FileName}\" (id {context.FileId}) is now dirty";
        changed.Enqueue(line);
        Filter?.Manager.Logger.LogInformation("Change: {Line}", line);   // the sample's DbgPrint
    }

    /// <summary>Get, or allocate and set with KEEP_IF_EXISTS (another thread that won gives its context). Regular files only.</summary>
    private NtStatus FindOrCreate(Instance instance, CallbackData data, FileObject fo, out ChangeFileContext? context)
    {
        NtStatus st = instance.GetFileContext(fo, out context);
        if (st != NtStatus.NotFound) return st;
        st = instance.QueryInformationFile(fo, FileInformationClass.FileStandardInformation, out FileStatInformation stat);
        if (!st.IsSuccess()) return st;
        if ((stat.Mode & 0xF000) != 0x8000) return NtStatus.NotFound;   // S_IFREG: no context for directories, links, FIFOs, devices
        st = instance.Filter.AllocateContext(ContextType.File, 16, out ChangeFileContext? created);
        if (!st.IsSuccess()) return st;
        created!.FileId = stat.FileId;
        if (data.GetFileNameInformation(NameQuery, out FileNameInformation? info).IsSuccess())
        {
            created.FileName = info!.Name;
            info.Release();
        }
        st = instance.SetFileContext(fo, ContextSetOperation.KeepIfExists, created, out ChangeFileContext? old);
        if (st == NtStatus.FltContextAlreadyDefined)
        {
            created.Release();   // never set: this frees it
            context = old;
            return NtStatus.Success;
        }
        if (!st.IsSuccess()) { created.Release(); return st; }
        context = created;       // our allocation reference becomes the caller's
        return st;
    }
}
