// fltmgrd --filter VALUE (the quick form, besides filters.d): "PassThrough" (the built-in sample; named N times it is one
// filter with N instances 370030, 370020, ..., which is how the benchmarks stack it), a manifest (FILE.json), or an
// assembly whose public IMiniFilter classes get the default configuration of PackageSource.FromAssemblyClass.
using Altitude.Daemon.Configuration;
using Altitude.Samples.PassThrough;
using Microsoft.Extensions.Logging;

namespace Altitude.Daemon.Packages;

internal static class QuickFilters
{
    /// <summary>The packages the --filter values name, in order; those that cannot even be read are logged and left out.</summary>
    public static List<PackageSource> Resolve(IReadOnlyList<string> values, ILogger logger)
    {
        var sources = new List<PackageSource>();
        int passThrough = 0;
        foreach (string v in values)
        {
            if (string.Equals(v, PassThroughFilter.DefaultName, StringComparison.OrdinalIgnoreCase)) { passThrough++; continue; }
            string path = Path.GetFullPath(v);
            if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                var errors = new List<string>();
                var manifest = FilterManifest.Load(path, errors);
                foreach (string e in errors) logger.LogError("{Error}", e);
                if (manifest is not null) sources.Add(PackageSource.FromManifest(manifest));
                continue;
            }
            try
            {
                sources.AddRange(Inspect(path));
            }
            catch (Exception e)
            {
                logger.LogError("filter {Filter} not loaded: {Error}: {Message}", path, e.GetType().Name, e.Message);
            }
        }
        if (passThrough > 0) sources.Insert(0, StackedPassThrough(passThrough));
        return sources;
    }

    /// <summary>The IMiniFilter classes of an assembly, read in a context unloaded at once (each filter gets its own).</summary>
    private static List<PackageSource> Inspect(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException("neither a built-in filter, a manifest nor an assembly file", path);
        var context = new FilterLoadContext("inspect", path);
        try
        {
            var classes = FilterPackage.MiniFilterClasses(context.LoadFromAssemblyPath(path));
            if (classes.Count == 0) throw new InvalidOperationException("no public IMiniFilter class with a parameterless constructor");
            return classes.ConvertAll(t => PackageSource.FromAssemblyClass(path, t));
        }
        finally
        {
            context.Unload();
        }
    }

    private static PackageSource StackedPassThrough(int count)
    {
        var instances = new List<InstanceConfiguration>();
        for (int i = 0; i < count; i++)
            instances.Add(new InstanceConfiguration(i == 0 ? "PassThrough Instance" : $"PassThrough {i + 1}",
                (370030 - 10 * i).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        // Only the default instance attaches by itself; the others are attached to each new volume by the daemon.
        var attach = instances.ConvertAll(i => i.Name);
        attach.RemoveAt(0);
        return new PackageSource(PassThroughFilter.DefaultName, "built-in", null, null,
            new FilterConfiguration(PassThroughFilter.DefaultName, instances[0].Name, instances), FilterParameters.Empty,
            () => new PassThroughFilter(), attach);
    }
}
