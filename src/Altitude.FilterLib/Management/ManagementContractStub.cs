// ============================================================================================================
// TEMPORARY STUB (fltmc branch only). The integrator DELETES THIS FILE at merge: the mgmt helper's real
// FilterManagement and records (src/Altitude.FilterLib/Management) replace it. It holds exactly the names and
// shapes of notes/contract.md so fltmc builds before the merge; FilterStatistics is a guess at the engine
// snapshot's shape (fltmc reads it only in src/fltmc/Layouts/StatisticsTable.cs).
// Every call first connects to the control socket, as the real calls do, so a missing daemon gives the real
// HRESULT (0x80070002, 0x80070005); past that it throws NotImplementedException.
// ============================================================================================================
namespace Altitude.FilterLib;

/// <summary>FLT_FILESYSTEM_TYPE, numbered from 0 (spec section 6).</summary>
public enum FltFilesystemType
{
    Unknown, Raw, Ntfs, Fat, Cdfs, Udfs, Lanman, WebDav, Rdpdr, Nfs, MsNetware, Netware, Bsudf, Mup, Rsfx,
    RoxioUdf1, RoxioUdf2, RoxioUdf3, Tacit, FsRec, Incd, IncdFat, ExFat, Psfs, Gpfs, Npfs, Msfs, Csvfs, Refs,
    OpenAfs, Cimfs,
}

public sealed record FilterInfo(string Name, string Altitude, int NumberOfInstances, int FrameId, bool IsLegacy);

public sealed record InstanceInfo(string FilterName, string InstanceName, string Altitude, string VolumeName, string? DosName,
    int FrameId, FltFilesystemType VolumeFileSystemType, uint SupportedFeatures, bool Detached);

public sealed record VolumeInfo(string Name, string? DosName, FltFilesystemType FileSystemType, string FileSystemName, int FrameId, bool Detached);

/// <summary>The engine's statistics snapshot (shape guessed; see the file header).</summary>
public sealed record FilterStatistics(IReadOnlyList<VolumeStatistics> Volumes, IReadOnlyList<InstanceStatistics> Instances, IReadOnlyList<PortStatistics> Ports);

/// <summary>Operations by major function name (IRP_MJ_CREATE ...).</summary>
public sealed record VolumeStatistics(string Name, IReadOnlyDictionary<string, long> OperationsByMajor);

public sealed record InstanceStatistics(string Filter, string Instance, string Volume,
    IReadOnlyDictionary<string, long> PreCallbacksByMajor, IReadOnlyDictionary<string, long> PostCallbacksByMajor,
    IReadOnlyList<HistogramBucket> PreCallbackTime, IReadOnlyList<HistogramBucket> PostCallbackTime,
    long Pended, long TimedOut, long Faults);

/// <summary>One fixed bucket: callbacks that took at most UpperBoundMicroseconds (null: the overflow bucket).</summary>
public sealed record HistogramBucket(double? UpperBoundMicroseconds, long Count);

public sealed record PortStatistics(string Name, string? Filter, int Connections, long ConnectionsAccepted,
    long MessagesSent, long MessagesReceived, long Timeouts);

/// <summary>Typed management calls over the control endpoint (stub).</summary>
public sealed class FilterManagement : IDisposable
{
    private readonly string socketPath;

    public FilterManagement(string? controlSocket = null)
    {
        socketPath = controlSocket ?? Environment.GetEnvironmentVariable("ALTITUDE_CONTROL_SOCKET") ?? "/run/altitude/control";
    }

    public IReadOnlyList<FilterInfo> GetFilters() => Stub<IReadOnlyList<FilterInfo>>();
    public IReadOnlyList<InstanceInfo> GetInstances(string? filter = null, string? volume = null) => Stub<IReadOnlyList<InstanceInfo>>();
    public IReadOnlyList<VolumeInfo> GetVolumes() => Stub<IReadOnlyList<VolumeInfo>>();
    public IEnumerable<FilterInfo> EnumerateFilters() => Stub<IEnumerable<FilterInfo>>();
    public IEnumerable<InstanceInfo> EnumerateInstances(string? filter = null, string? volume = null) => Stub<IEnumerable<InstanceInfo>>();
    public IEnumerable<VolumeInfo> EnumerateVolumes() => Stub<IEnumerable<VolumeInfo>>();
    public void Load(string name) => Stub<bool>();
    public void Unload(string name) => Stub<bool>();
    public string Attach(string filter, string volume, string? instance = null, string? altitude = null) => Stub<string>();
    public void Detach(string filter, string volume, string? instance = null) => Stub<bool>();
    public string MountVolume(string backing, string mountPoint) => Stub<string>();
    public void UnmountVolume(string mountPoint) => Stub<bool>();
    public FilterStatistics GetStatistics() => Stub<FilterStatistics>();

    public void Dispose() { }

    private T Stub<T>()
    {
        int hr = PortConnection.Connect(socketPath, default, out var connection);
        if (hr != HResults.S_OK) throw new FilterException(hr, "FilterManagement: connect to the control endpoint failed");
        connection!.Close(HResults.OperationAborted);
        throw new NotImplementedException("FilterManagement is a stub on the fltmc branch; the mgmt helper's implementation replaces it.");
    }
}
