// scanner (WDK filesys/miniFilter/scanner, Content Screener 265000): scans files on open and on write through a
// user-mode scanner (scanuser) connected to \ScannerPort. A create of a watched extension reads the file's first 1024
// bytes with filter I/O, sends them and waits for the verdict; an unsafe file's open is cancelled (EACCES). A handle
// opened for writing gets a stream-handle context: its writes are scanned before they reach the file, and the file is
// scanned again at cleanup. The scanner's own process is trusted and never scanned.
//
// Files: this one (registration, DriverEntry, unload, instance setup); ScannerFilter.Port.cs (the port and the scan
// round trip); ScannerFilter.Create.cs (pre/post-create); ScannerFilter.Write.cs (pre-write, pre-cleanup).
namespace Altitude.Samples.Scanner;

public sealed partial class ScannerFilter : IMiniFilter
{
    public const string DefaultAltitude = "265000";
    private const int StreamHandleContextSize = 8;

    private ScannerSettings settings = null!;

    public Filter? Filter { get; private set; }

    /// <summary>The settings DriverEntry read from the Parameters key.</summary>
    public ScannerSettings Settings => settings;

    /// <summary>In-process registration (tests); fltmgrd calls <see cref="DriverEntry"/> with the manifest's configuration and parameters.</summary>
    public NtStatus Register(FilterManager manager, FilterParameters? parameters = null, string altitude = DefaultAltitude) =>
        DriverEntry(new DriverObject(manager, FilterConfiguration.Single("Scanner", altitude), parameters));

    private FilterRegistration CreateRegistration() => new()
    {
        ContextRegistration = new[]
        {
            new ContextRegistration(ContextType.StreamHandle, StreamHandleContextSize),
        },
        OperationRegistration = new[]
        {
            new OperationRegistration(MajorFunction.Create, OperationRegistrationFlags.None, PreCreate, PostCreate),
            new OperationRegistration(MajorFunction.Cleanup, OperationRegistrationFlags.None, PreCleanup, null),
            new OperationRegistration(MajorFunction.Write, OperationRegistrationFlags.None, PreWrite, null),
        },
        FilterUnload = Unload,
        InstanceSetup = InstanceSetup,
        InstanceQueryTeardown = (in RelatedObjects o, InstanceTeardownFlags f) => NtStatus.Success,
    };

    /// <summary>DriverEntry: reads the parameters, registers, creates \ScannerPort, starts filtering.</summary>
    public NtStatus DriverEntry(DriverObject driver)
    {
        if (!ScannerSettings.TryRead(driver.Parameters, out var read, out string? error))
        {
            Console.Error.WriteLine($"Scanner: {error}");
            return NtStatus.InvalidParameter;
        }
        settings = read!;
        NtStatus st = driver.RegisterFilter(CreateRegistration(), out Filter? filter);
        if (!st.IsSuccess()) return st;
        Filter = filter;
        st = CreatePort(filter!);
        if (st.IsSuccess())
        {
            st = filter!.StartFiltering();
            if (st.IsSuccess()) return st;
            filter.CloseCommunicationPort(serverPort);
        }
        filter!.Unregister();
        return st;
    }

    /// <summary>The port first (no new scanner, and the connected one is let go so no scan waits on it), then every instance.</summary>
    private NtStatus Unload(FilterUnloadFlags flags)
    {
        // Unregister closes the connected scanner's port after its DisconnectNotify.
        Filter!.CloseCommunicationPort(serverPort);
        Filter.Unregister();
        return NtStatus.Success;
    }

    /// <summary>Never on network volumes (the WDK's rule; Altitude volumes are local disks).</summary>
    private static NtStatus InstanceSetup(in RelatedObjects objects, InstanceSetupFlags flags, VolumeDeviceType deviceType, FileSystemType fileSystemType)
        => deviceType == VolumeDeviceType.NetworkFileSystem ? NtStatus.FltDoNotAttach : NtStatus.Success;
}
