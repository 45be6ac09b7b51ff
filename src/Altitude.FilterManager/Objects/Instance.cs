// An instance: one filter attached to one volume at one altitude.
namespace Altitude;

/// <summary>Lifecycle of an instance.</summary>
public enum InstanceState { Attaching, Attached, TearingDown, Detached }

/// <summary>PFLT_INSTANCE.</summary>
public sealed partial class Instance
{
    internal Instance(Filter filter, Volume volume, string name, FilterAltitude altitude, uint flags)
    {
        Filter = filter;
        Volume = volume;
        Name = name;
        Altitude = altitude;
        ConfigurationFlags = flags;
    }

    public Filter Filter { get; }
    public Volume Volume { get; }
    public string Name { get; }
    public FilterAltitude Altitude { get; }
    /// <summary>The Flags value of the instance's configuration (0x1 no automatic attach, 0x2 no manual attach).</summary>
    public uint ConfigurationFlags { get; }
    public InstanceState State { get; internal set; } = InstanceState.Attaching;

    /// <summary>What this instance's callbacks did (statistics and metrics).</summary>
    internal readonly InstanceCounters Counters = new();

    // Rundown: callbacks in progress. Teardown sets tearingDown, then waits for the count to reach zero.
    private int activeCallbacks;
    private volatile bool tearingDown;
    /// <summary>Operations parked in this instance (pre-op PENDING or post-op MORE_PROCESSING_REQUIRED).</summary>
    internal int PendedOperations;

    internal bool IsTearingDown => tearingDown;
    internal bool TeardownClaimed;   // under the volume's attach lock

    /// <summary>Enters a pre-op (or a post-only registration); fails once teardown started.</summary>
    internal bool TryEnterCallback()
    {
        Interlocked.Increment(ref activeCallbacks);
        if (!tearingDown) return true;
        Interlocked.Decrement(ref activeCallbacks);
        return false;
    }

    /// <summary>Enters a completion-side callback (post-ops and resumed pre-ops), allowed until teardown completes.</summary>
    internal void EnterCallbackForCompletion() => Interlocked.Increment(ref activeCallbacks);

    internal void ExitCallback() => Interlocked.Decrement(ref activeCallbacks);

    internal void BeginTeardown() => tearingDown = true;

    /// <summary>Waits until no callback of this instance runs and nothing is parked in it, or until <paramref name="deadline"/> (TickCount64).</summary>
    internal bool WaitForRundown(bool includeParked, long deadline)
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref activeCallbacks) != 0 || (includeParked && Volatile.Read(ref PendedOperations) != 0))
        {
            if (Environment.TickCount64 > deadline) return false;
            spin.SpinOnce(sleep1Threshold: 20);
        }
        return true;
    }

    /// <summary>
    /// FltAllocateCallbackData with this instance: an operation this filter issues, seen only by the instances
    /// below it and the file system. Fill Iopb, then PerformSynchronousIo or PerformAsynchronousIo, then Free.
    /// </summary>
    public NtStatus AllocateCallbackData(FileObject? fileObject, out CallbackData? data)
    {
        data = null;
        if (tearingDown && State == InstanceState.Detached) return NtStatus.FltDeletingObject;
        data = Volume.CallbackDataPool.Rent();
        data.Issuer = this;
        data.Flags = CallbackDataFlags.IrpOperation | CallbackDataFlags.GeneratedIo;
        data.Iopb.TargetFileObject = fileObject;
        data.Iopb.TargetInstance = this;
        data.Requestor = Requestor.Unknown;
        return NtStatus.Success;
    }

    public override string ToString() => $"{Name} ({Filter.Name} @ {Altitude} on {Volume.Name})";
}

/// <summary>
/// The instances of a volume, highest altitude first, plus one sub-array per major function holding only the
/// instances that registered a callback for it. Immutable: attach and detach publish a new list.
/// </summary>
internal sealed class InstanceList
{
    public static readonly InstanceList Empty = new(Array.Empty<Instance>());

    private readonly Instance[][] byMajor = new Instance[256][];

    public InstanceList(Instance[] sortedHighToLow)
    {
        All = sortedHighToLow;
        var buffer = new List<Instance>(sortedHighToLow.Length);
        for (int m = 0; m < 256; m++)
        {
            buffer.Clear();
            foreach (var inst in sortedHighToLow)
                if (inst.Filter.PreCallbacks[m] is not null || inst.Filter.PostCallbacks[m] is not null) buffer.Add(inst);
            byMajor[m] = buffer.Count == 0 ? Array.Empty<Instance>() : buffer.ToArray();
        }
    }

    public Instance[] All { get; }

    public Instance[] ForMajor(MajorFunction major) => byMajor[(byte)major];
}
