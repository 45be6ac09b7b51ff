// PassThrough (WDK sample filesys/miniFilter/passThrough, altitude 370030): registers a pre- and a post-op
// for every operation and changes nothing. It shows the shape of a minifilter and, with several instances
// stacked, what the Filter Manager itself costs. Parameter StableInformation ("1"; default "0"), an Altitude addition:
// the QUERY_INFORMATION and NETWORK_QUERY_OPEN rows declare their answers stable, so the kernel may cache them
// (docs/operations.md section 6.3); PassThrough changes no answer, so that is true of it.
using Altitude;

namespace Altitude.Samples.PassThrough;

/// <summary>The PassThrough minifilter.</summary>
public sealed class PassThroughFilter : IMiniFilter
{
    public const string DefaultName = "PassThrough";
    public const string DefaultAltitude = "370030";

    private long preCount, postCount;
    private Filter? filter;

    /// <summary>Pre-ops seen (all instances).</summary>
    public long PreOperationCount => Interlocked.Read(ref preCount);
    /// <summary>Post-ops seen (all instances).</summary>
    public long PostOperationCount => Interlocked.Read(ref postCount);

    public Filter? Filter => filter;

    /// <summary>Every major a file system on Linux can receive; SHUTDOWN has a pre-op only.</summary>
    private static readonly MajorFunction[] Majors =
    {
        MajorFunction.Create, MajorFunction.Close, MajorFunction.Read, MajorFunction.Write,
        MajorFunction.QueryInformation, MajorFunction.SetInformation, MajorFunction.QueryEa, MajorFunction.SetEa,
        MajorFunction.FlushBuffers, MajorFunction.QueryVolumeInformation, MajorFunction.SetVolumeInformation,
        MajorFunction.DirectoryControl, MajorFunction.FileSystemControl, MajorFunction.DeviceControl,
        MajorFunction.InternalDeviceControl, MajorFunction.Shutdown, MajorFunction.LockControl, MajorFunction.Cleanup,
        MajorFunction.QuerySecurity, MajorFunction.SetSecurity, MajorFunction.QueryQuota, MajorFunction.SetQuota,
        MajorFunction.Pnp, MajorFunction.NetworkQueryOpen,
    };

    /// <summary>
    /// The registration: one table row per major, all pointing at the same two callbacks. With
    /// <paramref name="stableInformation"/>, the query rows carry OperationRegistrationFlags.StableInformation.
    /// </summary>
    public FilterRegistration CreateRegistration(bool stableInformation = false)
    {
        var operations = new OperationRegistration[Majors.Length];
        for (int i = 0; i < Majors.Length; i++)
        {
            bool query = Majors[i] is MajorFunction.QueryInformation or MajorFunction.NetworkQueryOpen;
            operations[i] = new OperationRegistration(Majors[i],
                stableInformation && query ? OperationRegistrationFlags.StableInformation : OperationRegistrationFlags.None,
                PreOperationPassThrough, Majors[i] == MajorFunction.Shutdown ? null : PostOperationPassThrough);
        }
        return new FilterRegistration
        {
            OperationRegistration = operations,
            FilterUnload = Unload,
            InstanceSetup = InstanceSetup,
            InstanceQueryTeardown = InstanceQueryTeardown,
            InstanceTeardownStart = (in RelatedObjects _, InstanceTeardownFlags _) => { },
            InstanceTeardownComplete = (in RelatedObjects _, InstanceTeardownFlags _) => { },
        };
    }

    /// <summary>
    /// DriverEntry's role: registers with <paramref name="manager"/> and starts filtering. <paramref name="instances"/>
    /// defaults to one instance at 370030; pass several to stack the filter.
    /// </summary>
    public NtStatus Register(FilterManager manager, string name = DefaultName, IReadOnlyList<InstanceConfiguration>? instances = null)
    {
        instances ??= new[] { new InstanceConfiguration(name + " Instance", DefaultAltitude) };
        return DriverEntry(new DriverObject(manager, new FilterConfiguration(name, instances[0].Name, instances)));
    }

    /// <summary>DriverEntry: registers with the configuration of the package's manifest and starts filtering.</summary>
    public NtStatus DriverEntry(DriverObject driver)
    {
        NtStatus status = driver.RegisterFilter(CreateRegistration(driver.Parameters.GetBoolean("StableInformation", false)), out filter);
        if (!status.IsSuccess()) return status;
        status = filter!.StartFiltering();
        if (!status.IsSuccess()) filter.Unregister();
        return status;
    }

    /// <summary>Attaches to every volume: a PassThrough instance never refuses.</summary>
    private static NtStatus InstanceSetup(in RelatedObjects fltObjects, InstanceSetupFlags flags, VolumeDeviceType deviceType, FileSystemType fileSystemType)
        => NtStatus.Success;

    /// <summary>Manual detach is always allowed.</summary>
    private static NtStatus InstanceQueryTeardown(in RelatedObjects fltObjects, InstanceTeardownFlags flags) => NtStatus.Success;

    /// <summary>Unload is always allowed: unregister, which tears every instance down.</summary>
    private NtStatus Unload(FilterUnloadFlags flags)
    {
        filter?.Unregister();
        return NtStatus.Success;
    }

    /// <summary>
    /// Every pre-op: count it and ask for the post-op. Returning SUCCESS_WITH_CALLBACK for everything is what
    /// makes this the worst case for the Filter Manager's overhead.
    /// </summary>
    private PreOperationStatus PreOperationPassThrough(CallbackData data, in RelatedObjects fltObjects, out object? completionContext)
    {
        Interlocked.Increment(ref preCount);
        completionContext = null;
        return PreOperationStatus.SuccessWithCallback;
    }

    /// <summary>Every post-op: count it. Nothing to do while draining either.</summary>
    private PostOperationStatus PostOperationPassThrough(CallbackData data, in RelatedObjects fltObjects, object? completionContext, PostOperationFlags flags)
    {
        Interlocked.Increment(ref postCount);
        return PostOperationStatus.FinishedProcessing;
    }
}
