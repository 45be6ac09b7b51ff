// The collectible load context of one filter package. The contract (Altitude.FilterManager and what it references) comes
// from the default context, so the filter and the engine agree on IMiniFilter, FilterRegistration, CallbackData...; every
// other dependency resolves from the package's directory (its .deps.json), so two packages may carry different versions.
using System.Reflection;
using System.Runtime.Loader;

namespace Altitude.Daemon.Packages;

internal sealed class FilterLoadContext : AssemblyLoadContext
{
    private static readonly HashSet<string> Shared = SharedAssemblies();
    private readonly AssemblyDependencyResolver resolver;

    public FilterLoadContext(string filterName, string assemblyPath) : base("filter " + filterName, isCollectible: true)
        => resolver = new AssemblyDependencyResolver(assemblyPath);

    protected override Assembly? Load(AssemblyName name)
    {
        if (name.Name is null || Shared.Contains(name.Name)) return null;   // null: the default context's copy
        string? path = resolver.ResolveAssemblyToPath(name);
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        string? path = resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }

    /// <summary>The contract assembly and, transitively, every assembly it references (Microsoft.Extensions.Logging.Abstractions...).</summary>
    private static HashSet<string> SharedAssemblies()
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var pending = new Stack<Assembly>();
        pending.Push(typeof(FilterManager).Assembly);
        while (pending.TryPop(out var a))
        {
            if (!names.Add(a.GetName().Name!)) continue;
            foreach (var r in a.GetReferencedAssemblies())
            {
                if (r.Name is null || names.Contains(r.Name)) continue;
                try { pending.Push(Default.LoadFromAssemblyName(r)); }
                catch (IOException) { names.Add(r.Name); }   // not loadable here either: still never taken from a package
            }
        }
        return names;
    }
}
