// A volume: one backing file system exposed through Altitude, with its instances sorted by altitude.
namespace Altitude;

/// <summary>Lifecycle of a volume.</summary>
public enum VolumeState { Mounted, Dismounting, Dismounted }

/// <summary>PFLT_VOLUME.</summary>
public sealed partial class Volume
{
    private InstanceList instances = InstanceList.Empty;
    internal readonly object AttachLock = new();
    /// <summary>Operations that entered the stack, by major function (statistics and metrics).</summary>
    internal readonly long[] OperationCounts = new long[256];

    internal Volume(FilterManager manager, string name, string? dosName, IBackingFileSystem fileSystem)
    {
        Manager = manager;
        Name = name;
        DosName = dosName;
        FileSystem = fileSystem;
        CallbackDataPool = new CallbackDataPool(this);
        NameCache = new NameCache(this);
        Nodes = fileSystem.Nodes;
        if (Nodes is not null)
        {
            // Before a freed id can be reused, everything keyed by it goes: its streams (contexts end once the table's
            // lock is released) and its cached names.
            Nodes.NodeFreeing += node => { Streams.NodeFreed(node); NameCache.NodeFreed(node); };
            Nodes.NodesFreed += Streams.EndFreed;
            Nodes.LookupUnderflow += (node, had, forgotten) => manager.ReportNodeAnomaly(this, node, had, forgotten);
        }
    }

    /// <summary>
    /// The volume's node table: node ids, generations, lookup counts and the names each node was last seen under. The
    /// file system below fills it; front-ends and side tables key on it. Null for a file system without node identity.
    /// </summary>
    public NodeTable? Nodes { get; }

    /// <summary>The name cache every filter on this volume shares.</summary>
    internal NameCache NameCache { get; }

    public FilterManager Manager { get; }
    /// <summary>The volume name, like <c>/dev/altitude/volume1</c> (the NT device name's role).</summary>
    public string Name { get; }
    /// <summary>The mount point, or null for a volume used only in-process (FilterGetDosName's answer).</summary>
    public string? DosName { get; }
    public IBackingFileSystem FileSystem { get; }
    public VolumeState State { get; internal set; } = VolumeState.Mounted;
    /// <summary>Altitude volumes have no FLT_FILESYSTEM_TYPE of their own.</summary>
    public FileSystemType FileSystemType => FileSystemType.Unknown;

    internal CallbackDataPool CallbackDataPool { get; }

    internal InstanceList CurrentInstances => Volatile.Read(ref instances);

    /// <summary>The attached instances, highest altitude first (a snapshot).</summary>
    public IReadOnlyList<Instance> Instances => CurrentInstances.All;

    /// <summary>Raised after an instance attached or detached (front-ends recompute their cache policy).</summary>
    public event Action<Volume>? InstancesChanged;

    /// <summary>True when some attached instance registered a pre- or post-op for <paramref name="major"/>.</summary>
    public bool HasCallbacksFor(MajorFunction major) => CurrentInstances.ForMajor(major).Length != 0;

    /// <summary>
    /// FltAllocateCallbackData without an instance: an operation that enters at the top of the stack, as one
    /// from a process would. The in-process API and the FUSE front-end use this.
    /// </summary>
    public CallbackData AllocateCallbackData(FileObject? fileObject)
    {
        CallbackData d = CallbackDataPool.Rent();
        d.Iopb.TargetFileObject = fileObject;
        return d;
    }

    /// <summary>
    /// Sends an operation from <see cref="AllocateCallbackData"/> through the stack. Returns true when it
    /// finished on this thread; false when it pended, in which case <paramref name="completion"/> is called.
    /// </summary>
    public bool StartOperation(CallbackData data, IOperationCompletion completion)
    {
        data.Completion = completion;
        return Dispatcher.Start(data, data.Issuer);
    }

    /// <summary>Sends an operation through the stack and waits for it, wherever it pends.</summary>
    public NtStatus PerformOperation(CallbackData data)
    {
        Dispatcher.RunToCompletion(data, data.Issuer);
        return data.IoStatus.Status;
    }

    internal void Publish(Instance[] sorted)
    {
        Volatile.Write(ref instances, new InstanceList(sorted));
    }

    internal void RaiseInstancesChanged() => InstancesChanged?.Invoke(this);

    public override string ToString() => DosName is null ? Name : $"{Name} ({DosName})";
}
