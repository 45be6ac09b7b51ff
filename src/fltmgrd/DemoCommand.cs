// The in-process demo: Filter Manager + loopback volume + PassThrough x3 + a tracing filter.
using System.Text;
using Altitude.FileSystem;
using Altitude.Samples.PassThrough;

namespace Altitude.Daemon;

/// <summary>Runs <c>fltmgrd --demo [DIRECTORY]</c>.</summary>
public static class DemoCommand
{
    public const string Usage = """
        Usage: fltmgrd --demo [DIRECTORY]

        Runs the Filter Manager in-process over DIRECTORY (default: a new temporary directory), with the
        PassThrough sample attached three times (altitudes 370030, 370020, 370010) and a tracing filter at
        385100 that prints every operation on its way down (pre) and up (post). A scripted workload (mkdir,
        create, write, read, list, rename, delete) goes through the whole stack to the backing directory.

        """;

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0] != "--demo" || args.Length > 2)
        {
            (args.Length == 0 || args[0] is "-h" or "--help" ? output : error).WriteLine(Usage);
            return args.Length > 0 && args[0] is "-h" or "--help" ? 0 : 2;
        }
        string directory = args.Length == 2 ? Path.GetFullPath(args[1]) : Path.Combine(Path.GetTempPath(), "altitude-demo-" + Environment.ProcessId);
        Directory.CreateDirectory(directory);
        output.WriteLine($"Altitude in-process demo over {directory}");

        using var manager = new FilterManager();
        manager.FaultReported += f => error.WriteLine("fault: " + f);
        using var driver = new LoopbackDriver(directory);
        Volume volume = manager.AddVolume(driver);

        var passThrough = new PassThroughFilter();
        Check(passThrough.Register(manager, PassThroughFilter.DefaultName, new[]
        {
            new InstanceConfiguration("PassThrough Instance", "370030"),
            new InstanceConfiguration("PassThrough Middle", "370020", InstanceConfiguration.NoAutomaticAttach),
            new InstanceConfiguration("PassThrough Bottom", "370010", InstanceConfiguration.NoAutomaticAttach),
        }), "register PassThrough");
        Check(passThrough.Filter!.AttachVolume(volume, "PassThrough Middle", out _), "attach PassThrough Middle");
        Check(passThrough.Filter.AttachVolume(volume, "PassThrough Bottom", out _), "attach PassThrough Bottom");
        var tracer = new TraceFilter(output);
        Check(tracer.Register(manager), "register Trace");

        output.WriteLine();
        output.WriteLine($"Volume {volume.Name}, instances from the top:");
        foreach (var i in volume.Instances) output.WriteLine($"  {i.Altitude.Text,-10} {i.Name} ({i.Filter.Name})");
        output.WriteLine();

        var client = new VolumeClient(volume, Requestor.Of(Environment.ProcessId, Environment.CurrentManagedThreadId, 0, 0));
        Step(output, "mkdir docs", client.CreateDirectory("docs"));
        Step(output, "create docs/readme.txt", client.Create("docs/readme.txt", OpenFlags.O_CREAT | OpenFlags.O_TRUNC | OpenFlags.O_RDWR, 0x1A4, out var file, out _));
        if (file is not null)
        {
            Step(output, "write", client.Write(file, Encoding.UTF8.GetBytes("Hello from Altitude.\n"), 0, out _));
            var buffer = new byte[64];
            Step(output, "read", client.Read(file, buffer, 0, out int read));
            output.WriteLine($"    read back: {Encoding.UTF8.GetString(buffer, 0, read).TrimEnd()}");
            Step(output, "close", client.CloseHandle(file));
        }
        Step(output, "list docs", client.Create("docs", OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0, out var dir, out _));
        if (dir is not null)
        {
            var entries = new DirectoryEntryList();
            client.QueryDirectory(dir, 0, entries);
            for (int i = 0; i < entries.Count; i++) output.WriteLine($"    {Encoding.UTF8.GetString(entries.GetName(i))}");
            client.CloseHandle(dir);
        }
        Step(output, "rename docs/readme.txt -> docs/README", client.Rename("docs/readme.txt", "docs/README"));
        Step(output, "delete docs/README", client.Delete("docs/README"));
        Step(output, "rmdir docs", client.Delete("docs", directory: true));

        output.WriteLine();
        output.WriteLine($"PassThrough (3 instances): {passThrough.PreOperationCount} pre-ops, {passThrough.PostOperationCount} post-ops; faults: {manager.FaultCount}");
        Check(manager.UnloadFilter(TraceFilter.Name), "unload Trace");
        Check(manager.UnloadFilter(PassThroughFilter.DefaultName), "unload PassThrough");
        output.WriteLine("Filters unloaded; demo complete.");
        return manager.FaultCount == 0 ? 0 : 1;
    }

    private static void Step(TextWriter output, string what, NtStatus status)
        => output.WriteLine($"> {what}: {status.Describe()}");

    private static void Check(NtStatus status, string what)
    {
        if (!status.IsSuccess()) throw new InvalidOperationException($"{what} failed with {status.Describe()}");
    }
}
