// FltGetFileNameInformation from the name cache and from the file system (the node table's names), and
// FltGetStreamContext + FltReleaseContext, on an open file of a loopback volume (spec sections 3 and 4).
using Altitude.FileSystem;
using BenchmarkDotNet.Attributes;

namespace Altitude.Benchmarks;

[MemoryDiagnoser]
public class NameAndContextBenchmarks
{
    private sealed class StreamState : FltContext { public int Count; }

    private string directory = null!;
    private FilterManager manager = null!;
    private LoopbackDriver driver = null!;
    private Instance instance = null!;
    private FileObject file = null!;

    [GlobalSetup]
    public void Setup()
    {
        directory = Path.Combine(Path.GetTempPath(), "altitude-bench-names-" + Environment.ProcessId);
        Directory.CreateDirectory(Path.Combine(directory, "src/project"));
        File.WriteAllText(Path.Combine(directory, "src/project/Program.cs"), "x");
        manager = new FilterManager();
        driver = new LoopbackDriver(directory);
        var volume = manager.AddVolume(driver);
        var registration = new FilterRegistration { ContextRegistration = new[] { new ContextRegistration(ContextType.Stream, 16) } };
        manager.RegisterFilter(FilterConfiguration.Single("Bench", "370000"), registration, out var filter);
        filter!.StartFiltering();
        instance = filter.Instances[0];
        var client = new VolumeClient(volume);
        client.Create("src/project/Program.cs", OpenFlags.O_RDONLY, 0, out var fo, out _);
        file = fo!;
        filter.AllocateContext(ContextType.Stream, 16, out StreamState? ctx);
        instance.SetStreamContext(file, ContextSetOperation.KeepIfExists, ctx!);
        ctx!.Release();
        // A lookup by component records every name of the chain, as FUSE LOOKUPs do.
        driver.FileSystem.Lookup(LoopbackFileSystem.RootNodeId, "src"u8, out ulong src, out _, out _);
        driver.FileSystem.Lookup(src, "project"u8, out ulong project, out _, out _);
        driver.FileSystem.Lookup(project, "Program.cs"u8, out _, out _, out _);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        manager.Dispose();
        driver.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    [Benchmark(Description = "GetFileNameInformation, cache hit")]
    public int NameFromCache()
    {
        instance.GetFileNameInformationUnsafe(file, NameOptions.Normalized | NameOptions.QueryDefault, out var name);
        int length = name!.Name.Length;
        name.Release();
        return length;
    }

    [Benchmark(Description = "GetFileNameInformation, file system (node table)")]
    public int NameFromFileSystem()
    {
        instance.GetFileNameInformationUnsafe(file, NameOptions.Normalized | NameOptions.QueryFileSystemOnly, out var name);
        int length = name!.Name.Length;
        name.Release();
        return length;
    }

    [Benchmark(Description = "GetStreamContext + Release")]
    public int StreamContext()
    {
        instance.GetStreamContext(file, out StreamState? ctx);
        int n = ++ctx!.Count;
        ctx.Release();
        return n;
    }
}
