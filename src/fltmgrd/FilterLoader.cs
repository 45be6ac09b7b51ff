// Loads the filters named on the command line: "PassThrough" (the sample, built in) or the path of an assembly
// whose public IMiniFilter classes are created and registered (docs/writing-a-filter.md, "Loading a filter").
using System.Reflection;
using Altitude.Samples.PassThrough;

namespace Altitude.Daemon;

internal static class FilterLoader
{
    /// <summary>
    /// Registers every filter, before any volume is mounted, so that the first request a mount serves already goes
    /// through them. PassThrough named N times is one filter with N instances (370030, 370020, 370010...), which is how
    /// the benchmark stacks it; the returned action attaches its non-default instances to a newly mounted volume. A
    /// filter that cannot be loaded or whose constructor or Register fails or throws is reported on
    /// <paramref name="error"/> with its name and the reason, and the others are loaded all the same. The count of
    /// failures is returned in <paramref name="failures"/>.
    /// </summary>
    public static Action<Volume> Load(FilterManager manager, IReadOnlyList<string> filters, TextWriter output, TextWriter error, out int failures)
    {
        failures = 0;
        int passThrough = 0;
        foreach (string f in filters)
        {
            if (string.Equals(f, PassThroughFilter.DefaultName, StringComparison.OrdinalIgnoreCase)) { passThrough++; continue; }
            try
            {
                LoadAssembly(manager, f, output, error, ref failures);
            }
            catch (Exception e)
            {
                // A broken assembly (missing, not .NET, a type that does not load) costs that filter only.
                error.WriteLine($"fltmgrd: filter {f} not loaded: {e.GetType().Name}: {e.Message}");
                failures++;
            }
        }
        if (passThrough == 0) return _ => { };
        var instances = new List<InstanceConfiguration>();
        for (int i = 0; i < passThrough; i++)
            instances.Add(new InstanceConfiguration(i == 0 ? "PassThrough Instance" : $"PassThrough {i + 1}", (370030 - 10 * i).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var filter = new PassThroughFilter();
        var st = filter.Register(manager, PassThroughFilter.DefaultName, instances);
        if (!st.IsSuccess())
        {
            error.WriteLine($"fltmgrd: filter PassThrough not registered: {st.Describe()}");
            failures++;
            return _ => { };
        }
        output.WriteLine($"filter PassThrough: {passThrough} instance(s)");
        // Only the default instance attaches automatically; the others are attached by hand to each volume.
        return v =>
        {
            for (int i = 1; i < instances.Count; i++) filter.Filter!.AttachVolume(v, instances[i].Name, out _);
        };
    }

    private static void LoadAssembly(FilterManager manager, string path, TextWriter output, TextWriter error, ref int failures)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException("neither a built-in filter nor an assembly file", full);
        Assembly assembly = Assembly.LoadFrom(full);
        int count = 0;
        foreach (Type t in assembly.GetExportedTypes())
        {
            if (t.IsAbstract || !typeof(IMiniFilter).IsAssignableFrom(t) || t.GetConstructor(Type.EmptyTypes) is null) continue;
            count++;
            NtStatus st;
            try
            {
                // Interim until manifests: the name is the class name without "Filter", the altitude its DefaultAltitude or FilterAltitude constant.
                string name = t.Name.EndsWith("Filter", StringComparison.Ordinal) && t.Name.Length > 6 ? t.Name[..^6] : t.Name;
                string altitude = (t.GetField("DefaultAltitude")?.GetValue(null) ?? t.GetField("FilterAltitude")?.GetValue(null)) as string ?? "100000";
                st = ((IMiniFilter)Activator.CreateInstance(t)!).DriverEntry(new DriverObject(manager, FilterConfiguration.Single(name, altitude)));
            }
            catch (Exception e)
            {
                // DriverEntry that throws: that filter is not loaded (whatever it registered is unloaded with it).
                var inner = e is TargetInvocationException { InnerException: { } ie } ? ie : e;
                error.WriteLine($"fltmgrd: filter {t.FullName} not loaded: Register threw {inner.GetType().Name}: {inner.Message}");
                failures++;
                continue;
            }
            if (!st.IsSuccess())
            {
                error.WriteLine($"fltmgrd: filter {t.FullName} not loaded: Register returned {st.Describe()}");
                failures++;
                continue;
            }
            output.WriteLine($"filter {t.FullName} from {full}");
        }
        if (count == 0) throw new InvalidOperationException("no public IMiniFilter class with a parameterless constructor");
    }
}
