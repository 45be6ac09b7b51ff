// What the enumerations and get-information calls show of the engine, as FilterLib's records (which the layouts
// encode): filters highest altitude first, volumes in mount order, instances from the top of each volume's stack.
using Altitude.FilterLib;

namespace Altitude.Daemon.Control;

internal static class ManagementView
{
    /// <summary>Loaded filters (not unloading), farthest from the file system first; equal altitudes by name.</summary>
    public static FilterInfo[] Filters(FilterManager manager)
    {
        var filters = new List<Filter>();
        foreach (var f in manager.Filters)
            if (f.State is FilterState.Registered or FilterState.Started) filters.Add(f);
        filters.Sort((a, b) =>
        {
            int c = b.Altitude.CompareTo(a.Altitude);
            return c != 0 ? c : string.Compare(a.Name, b.Name, StringComparison.OrdinalIgnoreCase);
        });
        var result = new FilterInfo[filters.Count];
        for (int i = 0; i < result.Length; i++) result[i] = Filter(filters[i]);
        return result;
    }

    public static FilterInfo Filter(Filter f)
    {
        int attached = 0;
        foreach (var i in f.Instances) if (i.State == InstanceState.Attached) attached++;
        return new FilterInfo(f.Name, f.Altitude.Text, attached, FrameId: 0, IsLegacy: false);
    }

    /// <summary>Mounted volumes in mount order.</summary>
    public static VolumeInfo[] Volumes(FilterManager manager)
    {
        var result = new List<VolumeInfo>();
        foreach (var v in manager.Volumes)
            if (v.State == VolumeState.Mounted) result.Add(Volume(v));
        return result.ToArray();
    }

    public static VolumeInfo Volume(Volume v) =>
        new(v.Name, v.DosName, FltFilesystemType.Unknown, v.FileSystem.TypeName, FrameId: 0, Detached: false);

    /// <summary>The volume's attached instances, the top of the stack (highest altitude) first.</summary>
    public static InstanceInfo[] VolumeInstances(Volume volume)
    {
        var all = volume.Instances;
        var result = new InstanceInfo[all.Count];
        for (int i = 0; i < result.Length; i++) result[i] = Instance(all[i]);
        return result;
    }

    /// <summary>The filter's attached instances: volumes in mount order, each volume's from the top.</summary>
    public static InstanceInfo[] FilterInstances(FilterManager manager, Filter filter)
    {
        var result = new List<InstanceInfo>();
        foreach (var v in manager.Volumes)
            foreach (var i in v.Instances)
                if (ReferenceEquals(i.Filter, filter)) result.Add(Instance(i));
        return result.ToArray();
    }

    // SupportedFeatures 0: no offload, QueryOpen or BypassIo path exists below an Altitude volume (docs/deviations.md).
    public static InstanceInfo Instance(Instance i) =>
        new(i.Filter.Name, i.Name, i.Altitude.Text, i.Volume.Name, i.Volume.DosName, FrameId: 0, FltFilesystemType.Unknown, SupportedFeatures: 0,
            Detached: false);

    /// <summary>The filter's instance on the volume by name (case-insensitive), or its highest there when <paramref name="name"/> is null.</summary>
    public static Instance? FindInstance(Volume volume, Filter filter, string? name)
    {
        foreach (var i in volume.Instances)
            if (ReferenceEquals(i.Filter, filter) && (name is null || string.Equals(i.Name, name, StringComparison.OrdinalIgnoreCase))) return i;
        return null;
    }
}
