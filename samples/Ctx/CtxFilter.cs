// ctx (WDK filesys/miniFilter/ctx, altitude 370070): keeps a context of every kind and shows their lifetimes. Post-create
// gets or creates the file, stream and stream-handle contexts (the race-safe Get -> Allocate -> Set(KEEP_IF_EXISTS) ->
// on ALREADY_DEFINED use the existing one) and counts the create; pre-cleanup and pre-close count; a rename is
// synchronized so that its post-op, which runs after the name changed, refreshes the names kept in the contexts.
// One cleanup callback serves every type; it records the final counts of a stream when its context goes.
using System.Collections.Concurrent;

namespace Altitude.Samples.Ctx;

public sealed class CtxFilter : IMiniFilter
{
    public const string DefaultAltitude = "370070";
    private const NameOptions NameQuery = NameOptions.Normalized | NameOptions.QueryAlwaysAllowCacheLookup;

    private readonly ConcurrentDictionary<StreamContext, byte> liveStreams = new();
    private readonly ConcurrentQueue<string> log = new();

    public Filter? Filter { get; private set; }

    /// <summary>The streams that currently carry a context, with their counts.</summary>
    public StreamStatistics[] Streams => liveStreams.Keys.Select(Snapshot).ToArray();

    /// <summary>What the cleanup callback reported (one line per context freed), like the sample's debug output.</summary>
    public string[] Log => log.ToArray();

    private static StreamStatistics Snapshot(StreamContext s)
    {
        lock (s) return new StreamStatistics(s.FileName, s.CreateCount, s.CleanupCount, s.CloseCount);
    }

    /// <summary>In-process registration at <paramref name="altitude"/> (tests); fltmgrd calls <see cref="DriverEntry"/> with the manifest's configuration.</summary>
    public NtStatus Register(FilterManager manager, string altitude = DefaultAltitude) =>
        DriverEntry(new DriverObject(manager, FilterConfiguration.Single("Ctx", altitude)));

    /// <summary>DriverEntry: registers and starts filtering.</summary>
    public NtStatus DriverEntry(DriverObject driver)
    {
        const int Size = 64;   // each row's size: Altitude contexts are objects; the size only selects the row
        var registration = new FilterRegistration
        {
            ContextRegistration = new[]
            {
                new ContextRegistration(ContextType.Instance, Size, Cleanup),
                new ContextRegistration(ContextType.File, Size, Cleanup),
                new ContextRegistration(ContextType.Stream, Size, Cleanup),
                new ContextRegistration(ContextType.StreamHandle, Size, Cleanup),
            },
            OperationRegistration = new[]
            {
                new OperationRegistration(MajorFunction.Create, OperationRegistrationFlags.None, null, PostCreate),
                new OperationRegistration(MajorFunction.Cleanup, OperationRegistrationFlags.None, PreCleanup, null),
                new OperationRegistration(MajorFunction.Close, OperationRegistrationFlags.None, PreClose, null),
                new OperationRegistration(MajorFunction.SetInformation, OperationRegistrationFlags.None, PreSetInformation, PostSetInformation),
            },
            FilterUnload = _ => { Filter?.Unregister(); return NtStatus.Success; },
            InstanceSetup = InstanceSetup,
            InstanceQueryTeardown = (in RelatedObjects o, InstanceTeardownFlags f) => NtStatus.Success,
        };
        NtStatus st = driver.RegisterFilter(registration, out Filter? filter);
        if (!st.IsSuccess()) return st;
        Filter = filter;
        return filter!.StartFiltering();
    }

    private void Cleanup(FltContext context, ContextType type)
    {
        switch (context)
        {
            case StreamContext s:
                liveStreams.TryRemove(s, out _);
                log.Enqueue($"stream {s.FileName}: creates {s.CreateCount}, cleanups {s.CleanupCount}, closes {s.CloseCount}");
                break;
            case StreamHandleContext h: log.Enqueue($"stream handle {h.FileName}"); break;
            case FileContext f: log.Enqueue($"file {f.FileName}"); break;
            case InstanceContext i: log.Enqueue($"instance {i.VolumeName}"); break;
        }
    }

    private NtStatus InstanceSetup(in RelatedObjects objects, InstanceSetupFlags flags, VolumeDeviceType deviceType, FileSystemType fileSystemType)
    {
        NtStatus st = objects.Filter.AllocateContext(ContextType.Instance, 64, out InstanceContext? ctx);
        if (!st.IsSuccess()) return st;
        using var held = ContextReference.Of(ctx);   // our allocation reference goes whatever Set does
        ctx!.VolumeName = objects.Volume.Name;
        return objects.Instance!.SetInstanceContext(ContextSetOperation.KeepIfExists, ctx);
    }

    /// <summary>Get, or allocate and set with KEEP_IF_EXISTS; on ALREADY_DEFINED another thread won: use its context.</summary>
    private static NtStatus FindOrCreate<T>(Instance instance, FileObject fo, ContextType type, out T? context) where T : FltContext, new()
    {
        NtStatus st = type switch
        {
            ContextType.Stream => instance.GetStreamContext(fo, out context),
            ContextType.File => instance.GetFileContext(fo, out context),
            _ => instance.GetStreamHandleContext(fo, out context),
        };
        if (st != NtStatus.NotFound) return st;
        st = instance.Filter.AllocateContext(type, 64, out T? created);
        if (!st.IsSuccess()) return st;
        T? old;
        st = type switch
        {
            ContextType.Stream => instance.SetStreamContext(fo, ContextSetOperation.KeepIfExists, created!, out old),
            ContextType.File => instance.SetFileContext(fo, ContextSetOperation.KeepIfExists, created!, out old),
            _ => instance.SetStreamHandleContext(fo, ContextSetOperation.KeepIfExists, created!, out old),
        };
        if (st == NtStatus.FltContextAlreadyDefined)
        {
            created!.Release();   // never set: this frees it
            context = old;
            return NtStatus.Success;
        }
        if (!st.IsSuccess()) { created!.Release(); return st; }
        context = created;        // our allocation reference becomes the caller's reference
        return st;
    }

    private PostOperationStatus PostCreate(CallbackData data, in RelatedObjects objects, object? completionContext, PostOperationFlags flags)
    {
        if ((flags & PostOperationFlags.Draining) != 0 || !data.IoStatus.Status.IsSuccess() || objects.FileObject is not { } fo) return PostOperationStatus.FinishedProcessing;
        Instance instance = objects.Instance!;
        string name = "";
        if (data.GetFileNameInformation(NameQuery, out FileNameInformation? info).IsSuccess())
        {
            name = info!.Name;
            info.Release();
        }
        if (FindOrCreate(instance, fo, ContextType.Stream, out StreamContext? stream).IsSuccess())
        {
            using var held = ContextReference.Of(stream);
            lock (stream!)
            {
                stream.FileName = name;
                stream.CreateCount++;
            }
            liveStreams.TryAdd(stream, 0);
        }
        if (FindOrCreate(instance, fo, ContextType.File, out FileContext? file).IsSuccess())
        {
            file!.FileName = name;
            file.Release();
        }
        if (FindOrCreate(instance, fo, ContextType.StreamHandle, out StreamHandleContext? handle).IsSuccess())
        {
            handle!.FileName = name;
            handle.Release();
        }
        return PostOperationStatus.FinishedProcessing;
    }

    private static PreOperationStatus Count(in RelatedObjects objects, bool cleanup)
    {
        if (objects.FileObject is { } fo && objects.Instance!.GetStreamContext(fo, out StreamContext? stream).IsSuccess())
        {
            lock (stream!)
            {
                if (cleanup) stream.CleanupCount++;
                else stream.CloseCount++;
            }
            stream.Release();
        }
        return PreOperationStatus.SuccessNoCallback;
    }

    private PreOperationStatus PreCleanup(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        return Count(objects, cleanup: true);
    }

    private PreOperationStatus PreClose(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        return Count(objects, cleanup: false);   // the stream context is still reachable in pre-close
    }

    private PreOperationStatus PreSetInformation(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        FileInformationClass c = data.Iopb.Parameters.SetFileInformation.FileInformationClass;
        // Only renames change names; their post-op must run after the file system renamed, in this thread.
        return c is FileInformationClass.FileRenameInformation or FileInformationClass.FileRenameInformationEx
            ? PreOperationStatus.Synchronize : PreOperationStatus.SuccessNoCallback;
    }

    private PostOperationStatus PostSetInformation(CallbackData data, in RelatedObjects objects, object? completionContext, PostOperationFlags flags)
    {
        if ((flags & PostOperationFlags.Draining) != 0 || !data.IoStatus.Status.IsSuccess() || objects.FileObject is not { } fo) return PostOperationStatus.FinishedProcessing;
        if (!data.GetFileNameInformation(NameQuery, out FileNameInformation? info).IsSuccess()) return PostOperationStatus.FinishedProcessing;
        string name = info!.Name;
        info.Release();
        if (objects.Instance!.GetStreamContext(fo, out StreamContext? stream).IsSuccess())
        {
            lock (stream!) stream.FileName = name;
            stream.Release();
        }
        if (objects.Instance.GetFileContext(fo, out FileContext? file).IsSuccess())
        {
            file!.FileName = name;
            file.Release();
        }
        return PostOperationStatus.FinishedProcessing;
    }
}
