// The typed management API over the FltLib calls (what fltmc uses): records instead of byte layouts, lists,
// IEnumerable and async forms. One connection to the control endpoint, opened at the first call.
using System.Runtime.CompilerServices;
using System.Text.Json;
using Altitude.FilterLib.Control;

namespace Altitude.FilterLib;

/// <summary>
/// The Filter Manager's management calls as C# methods. Every method throws <see cref="FilterException"/> with the
/// Windows HRESULT (see the FltLib routine it names). Thread-safe. The async forms run the call on the thread pool
/// (the control endpoint answers each call with one reply; cancellation is observed before the call is sent).
/// </summary>
public sealed class FilterManagement : IDisposable
{
    // Large enough for any one entry (four names at their maxima and the fixed part), so no call needs a retry.
    private const int EntryBuffer = 8192;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string? controlSocket;
    private readonly object gate = new();
    private ControlConnection? connection;
    private bool disposed;

    /// <param name="controlSocket">The control socket; null: $ALTITUDE_CONTROL_SOCKET, else /run/altitude/control.</param>
    public FilterManagement(string? controlSocket = null) => this.controlSocket = controlSocket;

    /// <summary>The filters, highest altitude first (FilterFindFirst/Next with FilterAggregateStandardInformation).</summary>
    public IReadOnlyList<FilterInfo> GetFilters() => EnumerateFilters().ToList();

    /// <inheritdoc cref="GetFilters"/>
    public IEnumerable<FilterInfo> EnumerateFilters()
    {
        foreach (var entry in Enumerate(FindKind.Filters, (uint)FilterInformationClass.FilterAggregateStandardInformation, null, "FilterFindFirst"))
            yield return InformationLayout.DecodeFilter(entry, FilterInformationClass.FilterAggregateStandardInformation);
    }

    /// <summary>
    /// The instances, optionally of one filter and/or on one volume (name or mount point). Order: volumes in mount
    /// order, each volume's instances from the top of its stack (highest altitude first). fltmc sorts as it shows.
    /// </summary>
    public IReadOnlyList<InstanceInfo> GetInstances(string? filter = null, string? volume = null) => EnumerateInstances(filter, volume).ToList();

    /// <inheritdoc cref="GetInstances"/>
    public IEnumerable<InstanceInfo> EnumerateInstances(string? filter = null, string? volume = null)
    {
        var dosNames = new Dictionary<string, string?>(StringComparer.Ordinal);
        IEnumerable<byte[]> entries = volume is not null
            ? Enumerate(FindKind.VolumeInstances, (uint)InstanceInformationClass.InstanceAggregateStandardInformation, volume, "FilterVolumeInstanceFindFirst")
            : filter is not null
                ? Enumerate(FindKind.FilterInstances, (uint)InstanceInformationClass.InstanceAggregateStandardInformation, filter, "FilterInstanceFindFirst")
                : AllVolumeInstances();
        foreach (var entry in entries)
        {
            var i = InformationLayout.DecodeInstance(entry, InstanceInformationClass.InstanceAggregateStandardInformation);
            if (filter is not null && !string.Equals(i.FilterName, filter, StringComparison.OrdinalIgnoreCase)) continue;
            if (!dosNames.TryGetValue(i.VolumeName, out var dos)) dosNames[i.VolumeName] = dos = DosNameOrNull(i.VolumeName);
            yield return i with { DosName = dos };
        }
    }

    /// <summary>The volumes in mount order, with their DOS names (mount points) and file system names.</summary>
    public IReadOnlyList<VolumeInfo> GetVolumes() => EnumerateVolumes().ToList();

    /// <inheritdoc cref="GetVolumes"/>
    public IEnumerable<VolumeInfo> EnumerateVolumes()
    {
        foreach (var entry in Enumerate(FindKind.Volumes, (uint)FilterVolumeInformationClass.FilterVolumeStandardInformation, null, "FilterVolumeFindFirst"))
        {
            var v = InformationLayout.DecodeVolume(entry, FilterVolumeInformationClass.FilterVolumeStandardInformation);
            string? fs = null;
            int hr = Call(c => c.CallForString(new ControlRequest(ControlOperation.GetVolumeFileSystemName).With(v.Name), out fs));
            // A volume unmounted since the snapshot keeps its row, without the details.
            yield return v with { DosName = DosNameOrNull(v.Name), FileSystemName = hr < 0 ? "" : fs! };
        }
    }

    /// <summary>FilterLoad.</summary>
    public void Load(string name) => Check(Call(c => FltLib.NameCall(c, ControlOperation.FilterLoad, name)), $"FilterLoad({name})");

    /// <summary>FilterUnload.</summary>
    public void Unload(string name) => Check(Call(c => FltLib.NameCall(c, ControlOperation.FilterUnload, name)), $"FilterUnload({name})");

    /// <summary>FilterAttach, or FilterAttachAtAltitude when <paramref name="altitude"/> is given; returns the instance's name.</summary>
    public string Attach(string filter, string volume, string? instance = null, string? altitude = null)
    {
        string? created = null;
        Check(Call(c => c.CallForString(FltLib.AttachRequest(filter, volume, altitude, instance), out created)),
            altitude is null ? $"FilterAttach({filter}, {volume})" : $"FilterAttachAtAltitude({filter}, {volume}, {altitude})");
        return created!;
    }

    /// <summary>FilterDetach.</summary>
    public void Detach(string filter, string volume, string? instance = null) =>
        Check(Call(c => c.Call(FltLib.DetachRequest(filter, volume, instance), 0, out _, out _)), $"FilterDetach({filter}, {volume})");

    /// <summary>Altitude extension: mounts a backing directory; returns the volume's name.</summary>
    public string MountVolume(string backing, string mountPoint)
    {
        string? name = null;
        Check(Call(c => c.CallForString(FltLib.MountRequest(backing, mountPoint), out name)), $"FilterMountVolume({backing}, {mountPoint})");
        return name!;
    }

    /// <summary>Altitude extension: unmounts the volume at a mount point (or of that name).</summary>
    public void UnmountVolume(string mountPoint) =>
        Check(Call(c => FltLib.NameCall(c, ControlOperation.UnmountVolume, mountPoint)), $"FilterUnmountVolume({mountPoint})");

    /// <summary>Altitude extension: the engine's statistics snapshot.</summary>
    public FilterStatistics GetStatistics()
    {
        byte[]? json = null;
        Check(Call(c => FltLib.GetStatistics(c, out json)), "FilterGetStatistics");
        try
        {
            return JsonSerializer.Deserialize<FilterStatistics>(json!, Json) ?? throw new FilterException(HResults.InvalidData, "FilterGetStatistics returned null");
        }
        catch (JsonException e)
        {
            throw new FilterException(HResults.InvalidData, "FilterGetStatistics: the snapshot does not parse: " + e.Message);
        }
    }

    public Task<IReadOnlyList<FilterInfo>> GetFiltersAsync(CancellationToken cancellationToken = default) => Run(GetFilters, cancellationToken);
    public Task<IReadOnlyList<InstanceInfo>> GetInstancesAsync(string? filter = null, string? volume = null, CancellationToken cancellationToken = default) =>
        Run(() => GetInstances(filter, volume), cancellationToken);
    public Task<IReadOnlyList<VolumeInfo>> GetVolumesAsync(CancellationToken cancellationToken = default) => Run(GetVolumes, cancellationToken);
    public Task LoadAsync(string name, CancellationToken cancellationToken = default) => Run(() => { Load(name); return true; }, cancellationToken);
    public Task UnloadAsync(string name, CancellationToken cancellationToken = default) => Run(() => { Unload(name); return true; }, cancellationToken);
    public Task<string> AttachAsync(string filter, string volume, string? instance = null, string? altitude = null, CancellationToken cancellationToken = default) =>
        Run(() => Attach(filter, volume, instance, altitude), cancellationToken);
    public Task DetachAsync(string filter, string volume, string? instance = null, CancellationToken cancellationToken = default) =>
        Run(() => { Detach(filter, volume, instance); return true; }, cancellationToken);
    public Task<string> MountVolumeAsync(string backing, string mountPoint, CancellationToken cancellationToken = default) =>
        Run(() => MountVolume(backing, mountPoint), cancellationToken);
    public Task UnmountVolumeAsync(string mountPoint, CancellationToken cancellationToken = default) => Run(() => { UnmountVolume(mountPoint); return true; }, cancellationToken);
    public Task<FilterStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default) => Run(GetStatistics, cancellationToken);

    /// <summary>The filters as an async stream (one call per entry).</summary>
    public async IAsyncEnumerable<FilterInfo> EnumerateFiltersAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var f in await GetFiltersAsync(cancellationToken).ConfigureAwait(false)) yield return f;
    }

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            connection?.Dispose();
            connection = null;
        }
    }

    private static Task<T> Run<T>(Func<T> call, CancellationToken cancellationToken) => Task.Run(call, cancellationToken);

    private IEnumerable<byte[]> AllVolumeInstances()
    {
        foreach (var entry in Enumerate(FindKind.Volumes, (uint)FilterVolumeInformationClass.FilterVolumeBasicInformation, null, "FilterVolumeFindFirst"))
        {
            var v = InformationLayout.DecodeVolume(entry, FilterVolumeInformationClass.FilterVolumeBasicInformation);
            IEnumerable<byte[]> instances;
            try
            {
                instances = Enumerate(FindKind.VolumeInstances, (uint)InstanceInformationClass.InstanceAggregateStandardInformation, v.Name, "FilterVolumeInstanceFindFirst").ToList();
            }
            catch (FilterException e) when (e.HResult == HResults.FltVolumeNotFound)
            {
                continue;   // unmounted since the snapshot
            }
            foreach (var i in instances) yield return i;
        }
    }

    /// <summary>One enumeration on the shared connection: First, then Next until ERROR_NO_MORE_ITEMS; the handle is closed at the end.</summary>
    private IEnumerable<byte[]> Enumerate(FindKind kind, uint informationClass, string? name, string call)
    {
        var buffer = new byte[EntryBuffer];
        int hr = FltLib.FindFirst(controlSocket, Connection(), kind, informationClass, name, buffer, out int bytes, out var handle);
        if (hr == HResults.NoMoreItems) yield break;
        Check(hr, call);
        using (handle)
        {
            while (true)
            {
                yield return buffer.AsSpan(0, bytes).ToArray();
                hr = FltLib.FindNext(handle!, informationClass, buffer, out bytes);
                if (hr == HResults.NoMoreItems) yield break;
                Check(hr, call.Replace("First", "Next"));
            }
        }
    }

    private string? DosNameOrNull(string volume)
    {
        string? dos = null;
        int hr = Call(c => c.CallForString(new ControlRequest(ControlOperation.FilterGetDosName).With(volume), out dos));
        return hr < 0 || string.IsNullOrEmpty(dos) ? null : dos;
    }

    private int Call(Func<ControlConnection, int> call) => call(Connection());

    private ControlConnection Connection()
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (connection is not null) return connection;
            int hr = ControlConnection.Open(controlSocket, out connection);
            Check(hr, "connect to the control endpoint");
            return connection!;
        }
    }

    private static void Check(int hr, string call) => FilterException.ThrowIfFailed(hr, call);
}
