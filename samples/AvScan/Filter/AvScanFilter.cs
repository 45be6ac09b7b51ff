// avscan (WDK filesys/miniFilter/avscan, Content Screener 265010): an antivirus filter whose scanning engine is the
// user-mode program avscan. A file is scanned when it is opened and needs it (never scanned, or modified since), and
// again at the cleanup of a handle that modified it. A scan sends StartScanning on the scan port; avscan asks for a
// section of the file (FltCreateSectionForDataScan: here a read-only descriptor, passed over SCM_RIGHTS), searches
// it, and closes the section with its verdict, which wakes the waiting scan. An infected file fails to open with
// STATUS_VIRUS_INFECTED (EACCES through the mount). A write while a cleanup scan runs aborts it through the abort port.
// Three ports, told apart by the connection context. Transactions do not exist on Linux (no transaction context).
//
// Files: this one (registration, DriverEntry, unload, instance setup and teardown); AvScanFilter.Port.cs (connect,
// disconnect, the scanner's commands); AvScanFilter.Operations.cs (post-create, pre-write/set-information, pre-cleanup);
// AvScanFilter.Scan.cs (one scan: the request, the wait, the verdict, abort); the context classes beside them.
namespace Altitude.Samples.AvScan;

public sealed partial class AvScanFilter : IMiniFilter
{
    public const string DefaultAltitude = "265010";
    // The contexts are classes; their Data bytes are unused.
    private const int ContextSize = 8;

    private Filter filter = null!;
    // LocalScanTimeout. The WDK's NetworkScanTimeout (60 s) is not read: network volumes are never attached.
    private TimeSpan localScanTimeout = TimeSpan.FromSeconds(30);

    private FilterRegistration CreateRegistration() => new()
    {
        ContextRegistration = new[]
        {
            new ContextRegistration(ContextType.Instance, ContextSize),
            new ContextRegistration(ContextType.Stream, ContextSize),
            new ContextRegistration(ContextType.StreamHandle, ContextSize),
            new ContextRegistration(ContextType.Section, ContextSize),
        },
        OperationRegistration = new[]
        {
            new OperationRegistration(MajorFunction.Create, OperationRegistrationFlags.None, null, PostCreate),
            // Paging writes too (flags 0, as the WDK): a mapped file written back is modified as well.
            new OperationRegistration(MajorFunction.Write, OperationRegistrationFlags.None, PreModify, PostModify),
            new OperationRegistration(MajorFunction.SetInformation, OperationRegistrationFlags.None, PreModify, PostModify),
            new OperationRegistration(MajorFunction.Cleanup, OperationRegistrationFlags.None, PreCleanup, null),
        },
        FilterUnload = Unload,
        InstanceSetup = InstanceSetup,
        InstanceQueryTeardown = (in RelatedObjects o, InstanceTeardownFlags f) => NtStatus.Success,
        InstanceTeardownStart = InstanceTeardownStart,
    };

    /// <summary>DriverEntry: the timeouts from the Parameters key, registration, the three ports, filtering.</summary>
    public NtStatus DriverEntry(DriverObject driver)
    {
        if (!TryReadTimeout(driver.Parameters, "LocalScanTimeout", ref localScanTimeout)) return NtStatus.InvalidParameter;
        NtStatus st = driver.RegisterFilter(CreateRegistration(), out Filter? registered);
        if (!st.IsSuccess()) return st;
        filter = registered!;
        st = CreatePort(AvScanPorts.Scan, out scanPort);
        if (st.IsSuccess()) st = CreatePort(AvScanPorts.Abort, out abortPort);
        if (st.IsSuccess()) st = CreatePort(AvScanPorts.Query, out queryPort);
        if (st.IsSuccess()) st = filter.StartFiltering();
        if (st.IsSuccess()) return st;
        ClosePorts();
        filter.Unregister();
        return st;
    }

    /// <summary>A REG_DWORD of milliseconds, 1 or more; absent keeps the WDK default.</summary>
    private static bool TryReadTimeout(FilterParameters parameters, string name, ref TimeSpan value)
    {
        if (!parameters.TryGetString(name, out string text)) return true;
        if (!FilterParameters.TryParseDword(text, out uint ms) || ms == 0)
        {
            Console.Error.WriteLine($"AvScan: {name} '{text}' is not a whole number of milliseconds above 0");
            return false;
        }
        value = TimeSpan.FromMilliseconds(ms);
        return true;
    }

    /// <summary>
    /// AvUnload: no new scan starts; avscan is told FilterUnloading on the abort port and answers once its workers
    /// stopped (bounded here by the local scan timeout, where the WDK waits forever); every scan still waiting ends
    /// Undetermined; then the ports close and the instances go.
    /// </summary>
    private NtStatus Unload(FilterUnloadFlags flags)
    {
        lock (scans) unloading = true;
        Span<byte> request = stackalloc byte[AvScannerNotification.Size];
        new AvScannerNotification { Message = AvScanMessage.FilterUnloading }.Write(request);
        Span<byte> reply = stackalloc byte[4];
        filter.SendMessage(ref abortClient, request, reply, out _, localScanTimeout);
        FinishScans(null);
        ClosePorts();
        filter.Unregister();
        return NtStatus.Success;
    }

    /// <summary>
    /// AvInstanceSetup: never network volumes; data scan must be possible (FltRegisterForDataScan); the instance
    /// context holds the volume's scan timeout.
    /// </summary>
    private NtStatus InstanceSetup(in RelatedObjects objects, InstanceSetupFlags flags, VolumeDeviceType deviceType, FileSystemType fileSystemType)
    {
        if (deviceType == VolumeDeviceType.NetworkFileSystem) return NtStatus.FltDoNotAttach;
        Instance instance = objects.Instance!;
        if (!instance.RegisterForDataScan().IsSuccess()) return NtStatus.FltDoNotAttach;
        if (!filter.AllocateContext(ContextType.Instance, ContextSize, out AvInstanceContext? context).IsSuccess()) return NtStatus.FltDoNotAttach;
        using var held = ContextReference.Of(context);
        context!.ScanTimeout = localScanTimeout;
        return instance.SetInstanceContext(ContextSetOperation.KeepIfExists, context).IsSuccess() ? NtStatus.Success : NtStatus.FltDoNotAttach;
    }

    /// <summary>AvInstanceTeardownStart: every scan on this instance is aborted in avscan and ends Undetermined, so the teardown does not wait for it.</summary>
    private void InstanceTeardownStart(in RelatedObjects objects, InstanceTeardownFlags flags) => FinishScans(objects.Instance);
}
