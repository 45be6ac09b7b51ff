// A volume over a temporary directory with the verifier on, and minifilters built from delegates: the base of the
// context, name and filter-I/O conformance tests (spec sections 3, 4, 5).
using Altitude.FileSystem;

namespace Altitude.Tests;

public delegate PreOperationStatus SimplePre(CallbackData data, RelatedObjects objects);
public delegate void SimplePost(CallbackData data, RelatedObjects objects);

/// <summary>One test filter: its registration pieces are delegates; it records what its callbacks saw.</summary>
public sealed class TestMiniFilter
{
    public Filter Filter = null!;
    public Instance Instance = null!;
    public SimplePre? Pre;
    public SimplePost? Post;
    public readonly List<string> Seen = new();

    public void Log(string what) { lock (Seen) Seen.Add(what); }
    public string[] SeenNow() { lock (Seen) return Seen.ToArray(); }
}

public abstract class LoopbackStack : IDisposable
{
    protected readonly string Backing = Directory.CreateTempSubdirectory("altitude-ctx-").FullName;
    protected readonly FilterManager Manager;
    protected readonly LoopbackDriver Driver;
    protected readonly Volume Volume;
    protected readonly VolumeClient Client;
    protected readonly List<VerifierReport> Reports = new();

    protected LoopbackStack(bool verifier = true)
    {
        Manager = new FilterManager(new FilterManagerOptions { Verifier = verifier, PortDirectory = Backing + "-ports" });
        Manager.VerifierReported += r => { lock (Reports) Reports.Add(r); };
        Driver = new LoopbackDriver(Backing);
        Volume = Manager.AddVolume(Driver);
        Client = new VolumeClient(Volume);
    }

    public virtual void Dispose()
    {
        Manager.Dispose();
        Driver.Dispose();
        try { Directory.Delete(Backing, recursive: true); } catch (IOException) { }
    }

    protected string InBacking(string relative) => Path.Combine(Backing, relative);

    protected static readonly MajorFunction[] AllMajors =
    {
        MajorFunction.Create, MajorFunction.Read, MajorFunction.Write, MajorFunction.QueryInformation, MajorFunction.SetInformation,
        MajorFunction.Cleanup, MajorFunction.Close, MajorFunction.DirectoryControl, MajorFunction.NetworkQueryOpen,
    };

    /// <summary>Registers and starts a filter with one instance at <paramref name="altitude"/> on the volume.</summary>
    protected TestMiniFilter Register(string name, string altitude, IReadOnlyList<ContextRegistration>? contexts = null,
        GenerateFileNameCallback? generate = null, NormalizeNameComponentCallback? normalize = null, NormalizeContextCleanupCallback? cleanup = null,
        bool start = true)
    {
        var f = new TestMiniFilter();
        var ops = new List<OperationRegistration>();
        foreach (var m in AllMajors)
            ops.Add(new OperationRegistration(m, OperationRegistrationFlags.None,
                (CallbackData d, in RelatedObjects o, out object? c) => { c = null; return f.Pre?.Invoke(d, o) ?? PreOperationStatus.SuccessWithCallback; },
                (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags fl) => { if ((fl & PostOperationFlags.Draining) == 0) f.Post?.Invoke(d, o); return PostOperationStatus.FinishedProcessing; }));
        var registration = new FilterRegistration
        {
            OperationRegistration = ops,
            ContextRegistration = contexts ?? Array.Empty<ContextRegistration>(),
            FilterUnload = _ => NtStatus.Success,
            InstanceQueryTeardown = (in RelatedObjects o, InstanceTeardownFlags fl) => NtStatus.Success,
            GenerateFileName = generate,
            NormalizeNameComponent = normalize,
            NormalizeContextCleanup = cleanup,
        };
        Assert.Equal(NtStatus.Success, Manager.RegisterFilter(FilterConfiguration.Single(name, altitude), registration, out var filter));
        f.Filter = filter!;
        if (start)
        {
            Assert.Equal(NtStatus.Success, f.Filter.StartFiltering());
            f.Instance = f.Filter.Instances.Single();
        }
        return f;
    }

    protected FileObject Open(string path, int flags = OpenFlags.O_RDWR | OpenFlags.O_CREAT, uint mode = 0x1A4)
    {
        NtStatus st = Client.Create(path, flags, mode, out var fo, out _);
        Assert.True(st.IsSuccess(), $"create {path}: {st.Describe()}");
        return fo!;
    }
}

/// <summary>A typed context for the tests.</summary>
public sealed class CountingContext : FltContext
{
    public int Value;
}
