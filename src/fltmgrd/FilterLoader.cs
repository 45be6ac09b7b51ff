// Loads the filters named on the command line: "PassThrough" (the sample, built in) or the path of an assembly
// whose public IMiniFilter classes are created and registered (docs/writing-a-filter.md, "Loading a filter").
using System.Reflection;
using Altitude.Samples.PassThrough;

namespace Altitude.Daemon;

internal static class FilterLoader
{
    /// <summary>
    /// Registers every filter. PassThrough named N times is one filter with N instances (370030, 370020, 370010...),
    /// which is how the benchmark stacks it. Throws InvalidOperationException with the reason on failure.
    /// </summary>
    public static void Load(FilterManager manager, IReadOnlyList<string> filters, TextWriter output)
    {
        int passThrough = 0;
        foreach (string f in filters)
        {
            if (string.Equals(f, PassThroughFilter.DefaultName, StringComparison.OrdinalIgnoreCase)) { passThrough++; continue; }
            LoadAssembly(manager, f, output);
        }
        if (passThrough == 0) return;
        var instances = new List<InstanceConfiguration>();
        for (int i = 0; i < passThrough; i++)
            instances.Add(new InstanceConfiguration(i == 0 ? "PassThrough Instance" : $"PassThrough {i + 1}", (370030 - 10 * i).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var filter = new PassThroughFilter();
        Check(filter.Register(manager, PassThroughFilter.DefaultName, instances), "PassThrough");
        // Only the default instance attaches automatically; the others are attached by hand to each volume.
        foreach (Volume v in manager.Volumes)
            for (int i = 1; i < instances.Count; i++) filter.Filter!.AttachVolume(v, instances[i].Name, out _);
        output.WriteLine($"filter PassThrough: {passThrough} instance(s)");
    }

    private static void LoadAssembly(FilterManager manager, string path, TextWriter output)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new InvalidOperationException($"--filter {path}: neither a built-in filter nor an assembly file");
        Assembly assembly = Assembly.LoadFrom(full);
        int count = 0;
        foreach (Type t in assembly.GetExportedTypes())
        {
            if (t.IsAbstract || !typeof(IMiniFilter).IsAssignableFrom(t) || t.GetConstructor(Type.EmptyTypes) is null) continue;
            var filter = (IMiniFilter)Activator.CreateInstance(t)!;
            Check(filter.Register(manager), t.FullName!);
            output.WriteLine($"filter {t.FullName} from {full}");
            count++;
        }
        if (count == 0) throw new InvalidOperationException($"--filter {path}: no public IMiniFilter class with a parameterless constructor");
    }

    private static void Check(NtStatus status, string what)
    {
        if (!status.IsSuccess()) throw new InvalidOperationException($"registering {what} failed: {status.Describe()}");
    }
}
