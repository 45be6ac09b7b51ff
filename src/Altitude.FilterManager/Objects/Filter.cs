// A registered minifilter: its registration, its configuration, and its instances.
namespace Altitude;

/// <summary>Lifecycle of a filter.</summary>
public enum FilterState { Registered, Started, Unloading, Unloaded }

/// <summary>PFLT_FILTER.</summary>
public sealed partial class Filter
{
    internal readonly PreOperationCallback?[] PreCallbacks = new PreOperationCallback?[256];
    internal readonly PostOperationCallback?[] PostCallbacks = new PostOperationCallback?[256];
    // FLTFL_OPERATION_REGISTRATION_SKIP_* of each major's row (the dispatcher skips this filter for such I/O).
    internal readonly OperationRegistrationFlags[] OperationFlags = new OperationRegistrationFlags[256];
    private readonly List<Instance> instances = new();
    private long faultCount;

    internal Filter(FilterManager manager, FilterConfiguration configuration, FilterRegistration registration, ContextRegistrationTable contexts, int contextSlot)
    {
        Manager = manager;
        Contexts = contexts;
        ContextSlot = contextSlot;
        Configuration = configuration;
        Registration = registration;
        foreach (var op in registration.OperationRegistration)
        {
            if (op.MajorFunction == MajorFunction.OperationEnd) break;
            // One entry per major: the first wins, as FltMgr reads the table.
            if (PreCallbacks[(byte)op.MajorFunction] is not null || PostCallbacks[(byte)op.MajorFunction] is not null) continue;
            PreCallbacks[(byte)op.MajorFunction] = op.PreOperation;
            OperationFlags[(byte)op.MajorFunction] = op.Flags;
            // SHUTDOWN has no post-op.
            PostCallbacks[(byte)op.MajorFunction] = op.MajorFunction == MajorFunction.Shutdown ? null : op.PostOperation;
        }
    }

    public FilterManager Manager { get; }
    public string Name => Configuration.Name;
    public FilterConfiguration Configuration { get; }
    public FilterRegistration Registration { get; }
    public FilterState State { get; internal set; } = FilterState.Registered;
    /// <summary>The default instance's altitude (what fltmc filters shows).</summary>
    public FilterAltitude Altitude
    {
        get
        {
            foreach (var i in Configuration.Instances)
                if (string.Equals(i.Name, Configuration.DefaultInstance, StringComparison.OrdinalIgnoreCase)) return FilterAltitude.Parse(i.Altitude);
            return default;
        }
    }

    /// <summary>Callbacks of this filter that threw or misbehaved.</summary>
    public long FaultCount => Interlocked.Read(ref faultCount);
    internal void CountFault() => Interlocked.Increment(ref faultCount);

    /// <summary>Its instances on every volume (a snapshot).</summary>
    public IReadOnlyList<Instance> Instances
    {
        get { lock (instances) return instances.ToArray(); }
    }

    internal void AddInstance(Instance i) { lock (instances) instances.Add(i); }
    internal void RemoveInstance(Instance i) { lock (instances) instances.Remove(i); }

    /// <summary>True when the filter registered a pre- or post-op for <paramref name="major"/>.</summary>
    public bool Registers(MajorFunction major) => PreCallbacks[(byte)major] is not null || PostCallbacks[(byte)major] is not null;

    /// <summary>FltStartFiltering: from now on instances attach, including automatically to mounted volumes.</summary>
    public NtStatus StartFiltering() => Manager.StartFiltering(this);

    /// <summary>FltAttachVolume: attaches the named instance (null = the default instance) at its configured altitude.</summary>
    public NtStatus AttachVolume(Volume volume, string? instanceName, out Instance? instance) =>
        Manager.Attach(this, volume, instanceName, null, InstanceSetupFlags.ManualAttachment, out instance);

    /// <summary>FltAttachVolumeAtAltitude: attaches at an explicit altitude (debugging), overriding the configured one.</summary>
    public NtStatus AttachVolumeAtAltitude(Volume volume, string altitude, string? instanceName, out Instance? instance)
    {
        instance = null;
        if (!FilterAltitude.TryParse(altitude, out var parsed)) return NtStatus.InvalidParameter;
        return Manager.Attach(this, volume, instanceName, parsed, InstanceSetupFlags.ManualAttachment, out instance);
    }

    /// <summary>FltDetachVolume: detaches the named instance (null = this filter's highest instance on the volume).</summary>
    public NtStatus DetachVolume(Volume volume, string? instanceName) => Manager.Detach(this, volume, instanceName);

    /// <summary>FltUnregisterFilter: tears down every instance and removes the filter. Idempotent.</summary>
    public void Unregister() => Manager.Unregister(this, UnloadTeardownReason);

    /// <summary>1 while an unload callback runs (one that timed out included): a second unload gets STATUS_FLT_DELETING_OBJECT.</summary>
    internal int UnloadCallbackRunning;

    /// <summary>The teardown reason while an unload is under way (mandatory or not), for an Unregister from the unload callback.</summary>
    internal InstanceTeardownFlags UnloadTeardownReason = InstanceTeardownFlags.FilterUnload;

    public override string ToString() => Name;
}
