// Building blocks for engine tests: a fake file system at the bottom, and filters built from lambdas that
// record what they see.
using System.Collections.Concurrent;

namespace Altitude.Tests;

/// <summary>Thread-safe ordered log of events.</summary>
public sealed class EventLog
{
    private readonly ConcurrentQueue<string> events = new();
    public void Add(string e) => events.Enqueue(e);
    public string[] Snapshot() => events.ToArray();
    public override string ToString() => string.Join(" ", events);
}

/// <summary>The bottom of the stack for engine tests: records the operation and succeeds with Information = 42.</summary>
public sealed class FakeFileSystem : IBackingFileSystem
{
    private readonly EventLog? log;
    private long executed;
    public FakeFileSystem(EventLog? log = null) => this.log = log;
    public string TypeName => "fake";
    public long Executed => Interlocked.Read(ref executed);
    public Func<CallbackData, bool>? Hook;   // return true when the hook set IoStatus itself

    public void Execute(CallbackData data)
    {
        Interlocked.Increment(ref executed);
        log?.Add("FS");
        if (Hook is not null && Hook(data)) return;
        data.IoStatus = new IoStatusBlock(NtStatus.Success, 42);
    }
}

/// <summary>A filter whose callbacks are delegates; by default it logs "name.pre"/"name.post" and passes through.</summary>
public sealed class LambdaFilter
{
    public Filter Filter = null!;
    public string Name;
    public PreOperationCallback Pre;
    public PostOperationCallback Post;
    public int TeardownStarts, TeardownCompletes;
    public InstanceTeardownFlags LastTeardownReason;
    public Func<NtStatus>? Setup;
    public Func<NtStatus>? QueryTeardown = () => NtStatus.Success;
    public Func<FilterUnloadFlags, NtStatus>? Unload = _ => NtStatus.Success;
    public Action<Instance>? OnTeardownStart;
    public Action<Instance>? OnTeardownComplete;

    public LambdaFilter(string name, EventLog? log = null)
    {
        Name = name;
        Pre = (CallbackData d, in RelatedObjects o, out object? ctx) => { log?.Add(name + ".pre"); ctx = name + ".ctx"; return PreOperationStatus.SuccessWithCallback; };
        Post = (CallbackData d, in RelatedObjects o, object? ctx, PostOperationFlags f) => { log?.Add(name + ".post"); return PostOperationStatus.FinishedProcessing; };
    }

    /// <summary>Registers and starts the filter with one instance at <paramref name="altitude"/>, registering <paramref name="majors"/>.</summary>
    public LambdaFilter Register(FilterManager manager, string altitude, bool withPost = true, FilterRegistrationFlags flags = FilterRegistrationFlags.None,
        IReadOnlyList<InstanceConfiguration>? instances = null, bool start = true, params MajorFunction[] majors)
    {
        if (majors.Length == 0) majors = new[] { MajorFunction.Read, MajorFunction.Write, MajorFunction.Create, MajorFunction.QueryInformation };
        var ops = new List<OperationRegistration>();
        foreach (var m in majors)
            ops.Add(new OperationRegistration(m, OperationRegistrationFlags.None,
                (CallbackData d, in RelatedObjects o, out object? c) => Pre(d, o, out c),
                withPost ? (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) => Post(d, o, c, f) : null));
        var reg = new FilterRegistration
        {
            Flags = flags,
            OperationRegistration = ops,
            FilterUnload = Unload is null ? null : f => Unload(f),
            InstanceSetup = (in RelatedObjects o, InstanceSetupFlags f, VolumeDeviceType t, FileSystemType fs) => Setup?.Invoke() ?? NtStatus.Success,
            InstanceQueryTeardown = QueryTeardown is null ? null : (in RelatedObjects o, InstanceTeardownFlags f) => QueryTeardown(),
            InstanceTeardownStart = (in RelatedObjects o, InstanceTeardownFlags r) => { TeardownStarts++; LastTeardownReason = r; OnTeardownStart?.Invoke(o.Instance!); },
            InstanceTeardownComplete = (in RelatedObjects o, InstanceTeardownFlags r) => { TeardownCompletes++; OnTeardownComplete?.Invoke(o.Instance!); },
        };
        instances ??= new[] { new InstanceConfiguration(Name + " Instance", altitude) };
        var config = new FilterConfiguration(Name, instances[0].Name, instances);
        Assert.Equal(NtStatus.Success, manager.RegisterFilter(config, reg, out var f));
        Filter = f!;
        if (start) Assert.Equal(NtStatus.Success, Filter.StartFiltering());
        return this;
    }
}

/// <summary>Shortcuts for issuing raw operations at the top of a volume.</summary>
public static class Ops
{
    public static CallbackData Read(Volume v, int length = 16)
    {
        var d = v.AllocateCallbackData(new FileObject(v));
        d.Iopb.MajorFunction = MajorFunction.Read;
        d.Iopb.Parameters.Read.Length = (uint)length;
        d.Iopb.Parameters.Read.ReadBuffer = new byte[length];
        d.Requestor = Requestor.Of(1, 1, 0, 0);
        return d;
    }

    /// <summary>Runs a read through the whole stack and returns its final status.</summary>
    public static IoStatusBlock RunRead(Volume v)
    {
        var d = Read(v);
        v.PerformOperation(d);
        var result = d.IoStatus;
        d.Free();
        return result;
    }
}

/// <summary>Completion sink that records the completed status and signals.</summary>
public sealed class CompletionSink : IOperationCompletion
{
    public readonly ManualResetEventSlim Done = new(false);
    public IoStatusBlock Status;
    public int Calls;
    public int ThreadId;
    public void OnOperationCompleted(CallbackData data)
    {
        Status = data.IoStatus;
        ThreadId = Environment.CurrentManagedThreadId;
        Interlocked.Increment(ref Calls);
        Done.Set();
    }
}
