// A 4 KiB read of a real file through the whole in-process stack (VolumeClient -> instances ->
// LoopbackDriver -> pread), against the same pread on the same fd without the Filter Manager.
using Altitude.FileSystem;
using BenchmarkDotNet.Attributes;

namespace Altitude.Benchmarks;

[MemoryDiagnoser]
public class StackReadBenchmarks
{
    private string directory = null!;
    private FilterManager managerNone = null!, managerThree = null!;
    private LoopbackFileSystem loopback = null!;
    private VolumeClient clientNone = null!, clientThree = null!;
    private FileObject fileNone = null!, fileThree = null!;
    private int nativeFd;
    private readonly byte[] buffer = new byte[4096];

    private static PreOperationStatus Pre(CallbackData data, in RelatedObjects objects, out object? context)
    {
        context = null;
        return PreOperationStatus.SuccessWithCallback;
    }

    private static PostOperationStatus Post(CallbackData data, in RelatedObjects objects, object? context, PostOperationFlags flags)
        => PostOperationStatus.FinishedProcessing;

    [GlobalSetup]
    public void Setup()
    {
        directory = Path.Combine(Path.GetTempPath(), "altitude-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "data"), new byte[1 << 20]);
        loopback = new LoopbackFileSystem(directory);
        loopback.LookupPath("data"u8, out ulong node, out _, out _);
        loopback.Open(node, OpenFlags.O_RDONLY, out nativeFd);

        (managerNone, clientNone, fileNone) = Build(0);
        (managerThree, clientThree, fileThree) = Build(3);
    }

    private (FilterManager, VolumeClient, FileObject) Build(int instances)
    {
        var manager = new FilterManager();
        var volume = manager.AddVolume(new LoopbackDriver(loopback));
        for (int i = 0; i < instances; i++)
        {
            var registration = new FilterRegistration
            {
                OperationRegistration = new[] { new OperationRegistration(MajorFunction.Read, 0, Pre, Post) },
            };
            manager.RegisterFilter(FilterConfiguration.Single("F" + i, (370000 + i * 10).ToString()), registration, out var filter);
            filter!.StartFiltering();
        }
        var client = new VolumeClient(volume);
        client.Create("data", OpenFlags.O_RDONLY, 0, out var fo, out _);
        return (manager, client, fo!);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        clientNone.CloseHandle(fileNone);
        clientThree.CloseHandle(fileThree);
        managerNone.Dispose();
        managerThree.Dispose();
        loopback.Close(nativeFd);
        loopback.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "pread 4 KiB, no Filter Manager")]
    public int Native()
    {
        loopback.Read(nativeFd, buffer, 4096, out int bytes);
        return bytes;
    }

    [Benchmark(Description = "READ 4 KiB through 0 instances")]
    public int Stack0()
    {
        clientNone.Read(fileNone, buffer, 4096, out int bytes);
        return bytes;
    }

    [Benchmark(Description = "READ 4 KiB through 3 pass-through instances")]
    public int Stack3()
    {
        clientThree.Read(fileThree, buffer, 4096, out int bytes);
        return bytes;
    }
}
