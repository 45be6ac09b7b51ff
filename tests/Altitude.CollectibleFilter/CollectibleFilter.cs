// A filter that touches every engine path that could keep it reachable after unload: contexts of every type (each with a
// cleanup callback of its own), a completion context, a pend completed before the pre-op returned (its early context),
// a name query, and a communication port with a server-port cookie. Its FilterUnload closes the port and unregisters.
namespace Altitude.CollectibleFilter;

public sealed class CollectibleContext : FltContext
{
    public string What = "";
}

/// <summary>The completion context and the port cookie: objects of a type only this assembly defines.</summary>
public sealed class FilterToken
{
    public string What = "";
}

public sealed class CollectibleFilter : IMiniFilter
{
    private const int Size = 16;
    private Filter? filter;
    private ServerPort? port;

    public NtStatus DriverEntry(DriverObject driver)
    {
        ContextCleanupCallback cleanup = (c, t) => ((CollectibleContext)c).What = "";
        var registration = new FilterRegistration
        {
            ContextRegistration = new[]
            {
                new ContextRegistration(ContextType.Volume, Size, cleanup),
                new ContextRegistration(ContextType.Instance, Size, cleanup),
                new ContextRegistration(ContextType.File, Size, cleanup),
                new ContextRegistration(ContextType.Stream, Size, cleanup),
                new ContextRegistration(ContextType.StreamHandle, Size, cleanup),
            },
            OperationRegistration = new[]
            {
                new OperationRegistration(MajorFunction.Create, OperationRegistrationFlags.None, PreCreate, PostCreate),
                new OperationRegistration(MajorFunction.Read, OperationRegistrationFlags.None, PreRead, PostRead),
            },
            InstanceSetup = InstanceSetup,
            InstanceQueryTeardown = (in RelatedObjects o, InstanceTeardownFlags f) => NtStatus.Success,
            FilterUnload = Unload,
        };
        NtStatus st = driver.RegisterFilter(registration, out filter);
        if (!st.IsSuccess()) return st;
        // The port's name is a parameter, as a filter would read it from its Parameters key.
        string name = driver.Parameters.GetString("PortName", @"\CollectiblePort");
        st = filter!.CreateCommunicationPort(new ObjectAttributes(name, ObjectAttributes.PortDefaults), new FilterToken { What = "server port" },
            Connect, cookie => { }, Message, 1, out port);
        if (!st.IsSuccess()) return st;
        return filter.StartFiltering();
    }

    private static NtStatus Connect(ClientPort client, object? serverCookie, ReadOnlySpan<byte> context, out object? cookie)
    {
        cookie = new FilterToken { What = "connection" };
        return NtStatus.Success;
    }

    private static NtStatus Message(object? cookie, ReadOnlySpan<byte> input, Span<byte> output, out int length)
    {
        length = 0;
        return NtStatus.Success;
    }

    private NtStatus InstanceSetup(in RelatedObjects objects, InstanceSetupFlags flags, VolumeDeviceType deviceType, FileSystemType fileSystem)
    {
        filter!.AllocateContext(ContextType.Instance, Size, out CollectibleContext? instanceContext);
        instanceContext!.What = "instance";
        objects.Instance!.SetInstanceContext(ContextSetOperation.KeepIfExists, instanceContext);
        instanceContext.Release();
        filter.AllocateContext(ContextType.Volume, Size, out CollectibleContext? volumeContext);
        volumeContext!.What = "volume";
        filter.SetVolumeContext(objects.Volume!, ContextSetOperation.KeepIfExists, volumeContext);
        volumeContext.Release();
        return NtStatus.Success;
    }

    private static PreOperationStatus PreCreate(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = new FilterToken { What = "completion" };
        return PreOperationStatus.SuccessWithCallback;
    }

    private PostOperationStatus PostCreate(CallbackData data, in RelatedObjects objects, object? completionContext, PostOperationFlags flags)
    {
        if ((flags & PostOperationFlags.Draining) != 0 || !data.IoStatus.Status.IsSuccess() || objects.FileObject is not { } fo) return PostOperationStatus.FinishedProcessing;
        if (data.GetFileNameInformation(NameOptions.Normalized | NameOptions.QueryDefault, out var name).IsSuccess()) name!.Release();
        Instance instance = objects.Instance!;
        Set(ContextType.File, c => instance.SetFileContext(fo, ContextSetOperation.KeepIfExists, c));
        Set(ContextType.Stream, c => instance.SetStreamContext(fo, ContextSetOperation.KeepIfExists, c));
        Set(ContextType.StreamHandle, c => instance.SetStreamHandleContext(fo, ContextSetOperation.KeepIfExists, c));
        return PostOperationStatus.FinishedProcessing;
    }

    private void Set(ContextType type, Func<CollectibleContext, NtStatus> set)
    {
        filter!.AllocateContext(type, Size, out CollectibleContext? c);
        c!.What = type.ToString();
        set(c);
        c.Release();
    }

    /// <summary>Pends and completes at once, before returning: the completion context travels through the early-completion path.</summary>
    private static PreOperationStatus PreRead(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        data.PendedOperation.CompletePreOperation(PreOperationStatus.SuccessWithCallback, new FilterToken { What = "early" });
        return PreOperationStatus.Pending;
    }

    private static PostOperationStatus PostRead(CallbackData data, in RelatedObjects objects, object? completionContext, PostOperationFlags flags) =>
        PostOperationStatus.FinishedProcessing;

    private NtStatus Unload(FilterUnloadFlags flags)
    {
        filter!.CloseCommunicationPort(port);
        filter.Unregister();
        return NtStatus.Success;
    }
}
