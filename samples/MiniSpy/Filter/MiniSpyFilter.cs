// MiniSpy (WDK sample filesys/miniFilter/minispy; instances Top 385100, Middle 370000, Bottom 361000, all flagged 0x1 so
// they attach only when asked): logs every operation it sees. Each operation gets a record from a capped pool in its
// pre-operation callback (name, major/minor, flags, objects, requestor, arguments, time), completed in its post-operation
// callback (status, information, time) and queued; the user program pulls the queue through \MiniSpyPort with
// GetMiniSpyLog. This file is DriverEntry, the registration and the instance and unload callbacks (the WDK's
// minispy.c and RegistrationData.c); MiniSpyOperations.cs has the callbacks, MiniSpyPort.cs the port.
namespace Altitude.Samples.MiniSpy;

/// <summary>The MiniSpy minifilter.</summary>
public sealed partial class MiniSpyFilter : IMiniFilter
{
    public const string DefaultAltitude = "385100";
    /// <summary>Registry default of MaxRecords (DEFAULT_MAX_RECORDS_TO_ALLOCATE).</summary>
    public const uint DefaultMaxRecords = 500;
    /// <summary>Registry default of NameQueryMethod (FLT_FILE_NAME_QUERY_ALWAYS_ALLOW_CACHE_LOOKUP).</summary>
    public const NameOptions DefaultNameQueryMethod = NameOptions.QueryAlwaysAllowCacheLookup;

    private Filter? filter;
    private RecordPool records = null!;   // DriverEntry makes it (MaxRecords), before any callback can run
    private NameOptions nameQueryMethod = DefaultNameQueryMethod;

    /// <summary>The registered filter (null before DriverEntry succeeded).</summary>
    public Filter? Filter => filter;

    /// <summary>
    /// Every major a file system on Linux can receive, with the same pre and post callbacks; SHUTDOWN has no post-op, so
    /// its record is completed in the pre-op. Majors Linux never produces (named pipes, mailslots, power) are registered
    /// too, as in the WDK table: they cost nothing while no operation carries them.
    /// </summary>
    private static readonly MajorFunction[] Majors =
    {
        MajorFunction.Create, MajorFunction.CreateNamedPipe, MajorFunction.Close, MajorFunction.Read, MajorFunction.Write,
        MajorFunction.QueryInformation, MajorFunction.SetInformation, MajorFunction.QueryEa, MajorFunction.SetEa,
        MajorFunction.FlushBuffers, MajorFunction.QueryVolumeInformation, MajorFunction.SetVolumeInformation,
        MajorFunction.DirectoryControl, MajorFunction.FileSystemControl, MajorFunction.DeviceControl,
        MajorFunction.InternalDeviceControl, MajorFunction.Shutdown, MajorFunction.LockControl, MajorFunction.Cleanup,
        MajorFunction.CreateMailslot, MajorFunction.QuerySecurity, MajorFunction.SetSecurity, MajorFunction.QueryQuota,
        MajorFunction.SetQuota, MajorFunction.Pnp,
        MajorFunction.AcquireForSectionSynchronization, MajorFunction.ReleaseForSectionSynchronization,
        MajorFunction.AcquireForModWrite, MajorFunction.ReleaseForModWrite, MajorFunction.AcquireForCcFlush,
        MajorFunction.ReleaseForCcFlush, MajorFunction.FastIoCheckIfPossible, MajorFunction.NetworkQueryOpen,
        MajorFunction.MdlRead, MajorFunction.MdlReadComplete, MajorFunction.PrepareMdlWrite, MajorFunction.MdlWriteComplete,
        MajorFunction.VolumeMount, MajorFunction.VolumeDismount,
    };

    /// <summary>FilterRegistration: the operations table, unload, and the instance callbacks.</summary>
    private FilterRegistration CreateRegistration()
    {
        var operations = new OperationRegistration[Majors.Length];
        for (int i = 0; i < Majors.Length; i++)
            operations[i] = new OperationRegistration(Majors[i], OperationRegistrationFlags.None, PreOperation,
                Majors[i] == MajorFunction.Shutdown ? null : PostOperation);
        return new FilterRegistration
        {
            OperationRegistration = operations,
            FilterUnload = Unload,
            InstanceQueryTeardown = (in RelatedObjects _, InstanceTeardownFlags _) => NtStatus.Success,
        };
    }

    /// <summary>
    /// DriverEntry: reads MaxRecords and NameQueryMethod from the Parameters key, registers, creates \MiniSpyPort and
    /// starts filtering. A failure undoes what was done (the port is closed, the filter unregistered).
    /// </summary>
    public NtStatus DriverEntry(DriverObject driver)
    {
        records = new RecordPool((int)Math.Min(driver.Parameters.GetUInt32("MaxRecords", DefaultMaxRecords), int.MaxValue));
        if (!TryParseNameQueryMethod(driver.Parameters.GetString("NameQueryMethod", ""), out nameQueryMethod)) return NtStatus.InvalidParameter;

        NtStatus status = driver.RegisterFilter(CreateRegistration(), out filter);
        if (!status.IsSuccess()) return status;
        status = CreatePort(filter!);
        if (status.IsSuccess())
        {
            status = filter!.StartFiltering();
            if (status.IsSuccess()) return status;
            filter.CloseCommunicationPort(serverPort);
        }
        filter!.Unregister();
        return status;
    }

    /// <summary>
    /// NameQueryMethod as the registry value (a number: 0x100 DEFAULT, 0x200 CACHE_ONLY, 0x300 FILESYSTEM_ONLY, 0x400
    /// ALWAYS_ALLOW_CACHE_LOOKUP) or by name (Default, CacheOnly, FileSystemOnly, AlwaysAllowCacheLookup); empty = the default.
    /// </summary>
    internal static bool TryParseNameQueryMethod(string text, out NameOptions method)
    {
        method = DefaultNameQueryMethod;
        string t = text.Trim();
        if (t.Length == 0) return true;
        if (FilterParameters.TryParseDword(t, out uint value))
        {
            method = (NameOptions)value;
            return method is NameOptions.QueryDefault or NameOptions.QueryCacheOnly or NameOptions.QueryFileSystemOnly or NameOptions.QueryAlwaysAllowCacheLookup;
        }
        NameOptions? named = t.ToUpperInvariant() switch
        {
            "DEFAULT" or "QUERYDEFAULT" => NameOptions.QueryDefault,
            "CACHEONLY" or "QUERYCACHEONLY" => NameOptions.QueryCacheOnly,
            "FILESYSTEMONLY" or "QUERYFILESYSTEMONLY" => NameOptions.QueryFileSystemOnly,
            "ALWAYSALLOWCACHELOOKUP" or "QUERYALWAYSALLOWCACHELOOKUP" => NameOptions.QueryAlwaysAllowCacheLookup,
            _ => null,
        };
        if (named is null) return false;
        method = named.Value;
        return true;
    }

    /// <summary>
    /// SpyFilterUnload: always allowed. The port goes first (a connected minispy sees 0x80070006 and exits), then
    /// unregistering tears the instances down (owed post-ops arrive DRAINING and free their records), then the queue is
    /// emptied.
    /// </summary>
    private NtStatus Unload(FilterUnloadFlags flags)
    {
        filter?.CloseCommunicationPort(serverPort);
        filter?.Unregister();
        records.Clear();
        return NtStatus.Success;
    }
}
