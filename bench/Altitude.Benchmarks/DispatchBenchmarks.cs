// The engine's cost per operation: one READ through 0, 1, 3 and 10 instances with pass-through pre and post
// callbacks, and through 10 instances that registered nothing for READ. The baseline calls the file system
// directly (no Filter Manager). The file system at the bottom does nothing, so the figures are the engine's.
using BenchmarkDotNet.Attributes;

namespace Altitude.Benchmarks;

[MemoryDiagnoser]
public class DispatchBenchmarks
{
    private sealed class NullFileSystem : IBackingFileSystem
    {
        public string TypeName => "null";
        public void Execute(CallbackData data) => data.IoStatus = new IoStatusBlock(NtStatus.Success, data.Iopb.Parameters.Read.Length);
    }

    private readonly List<FilterManager> managers = new();
    private CallbackData direct = null!, none = null!, one = null!, three = null!, ten = null!, tenQuiet = null!;
    private readonly NullFileSystem fileSystem = new();
    private readonly byte[] buffer = new byte[4096];

    private static PreOperationStatus Pre(CallbackData data, in RelatedObjects objects, out object? context)
    {
        context = null;
        return PreOperationStatus.SuccessWithCallback;
    }

    private static PostOperationStatus Post(CallbackData data, in RelatedObjects objects, object? context, PostOperationFlags flags)
        => PostOperationStatus.FinishedProcessing;

    private CallbackData Build(int instances, MajorFunction registeredMajor)
    {
        var manager = new FilterManager();
        managers.Add(manager);
        var volume = manager.AddVolume(fileSystem);
        for (int i = 0; i < instances; i++)
        {
            var registration = new FilterRegistration
            {
                OperationRegistration = new[] { new OperationRegistration(registeredMajor, 0, Pre, Post) },
            };
            manager.RegisterFilter(FilterConfiguration.Single("F" + i, (100000 + i * 10).ToString()), registration, out var filter);
            filter!.StartFiltering();
        }
        var data = volume.AllocateCallbackData(new FileObject(volume));
        data.Iopb.MajorFunction = MajorFunction.Read;
        data.Iopb.Parameters.Read.Length = 4096;
        data.Iopb.Parameters.Read.ReadBuffer = buffer;
        return data;
    }

    [GlobalSetup]
    public void Setup()
    {
        direct = Build(0, MajorFunction.Read);
        none = Build(0, MajorFunction.Read);
        one = Build(1, MajorFunction.Read);
        three = Build(3, MajorFunction.Read);
        ten = Build(10, MajorFunction.Read);
        tenQuiet = Build(10, MajorFunction.Cleanup);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var m in managers) m.Dispose();
    }

    [Benchmark(Baseline = true, Description = "file system called directly")]
    public NtStatus Direct()
    {
        fileSystem.Execute(direct);
        return direct.IoStatus.Status;
    }

    [Benchmark(Description = "0 instances")]
    public bool Instances0() => Dispatcher.Start(none, null);

    [Benchmark(Description = "1 pass-through instance")]
    public bool Instances1() => Dispatcher.Start(one, null);

    [Benchmark(Description = "3 pass-through instances")]
    public bool Instances3() => Dispatcher.Start(three, null);

    [Benchmark(Description = "10 pass-through instances")]
    public bool Instances10() => Dispatcher.Start(ten, null);

    [Benchmark(Description = "10 instances, nothing registered for READ")]
    public bool Instances10Unregistered() => Dispatcher.Start(tenQuiet, null);
}
