// Loads tests/Altitude.CollectibleFilter into a collectible AssemblyLoadContext, as fltmgrd loads a filter package, and
// waits for a context to be collected. Keep every reference to the context and the filter inside a [NoInlining] method.
using System.Reflection;
using System.Runtime.Loader;

namespace Altitude.TestSupport;

internal static class CollectibleFilterLoader
{
    public static readonly string FilterPath = Path.Combine(AppContext.BaseDirectory, "collectible", "Altitude.CollectibleFilter.dll");

    /// <summary>Resolves only the filter itself; the engine and everything else come from the default context.</summary>
    private sealed class FilterLoadContext() : AssemblyLoadContext("collectible filter", isCollectible: true)
    {
        protected override Assembly? Load(AssemblyName assemblyName) => null;
    }

    /// <summary>A new collectible context with the filter loaded, and the filter's IMiniFilter object.</summary>
    public static IMiniFilter Load(out AssemblyLoadContext context)
    {
        context = new FilterLoadContext();
        Assembly assembly = context.LoadFromAssemblyPath(FilterPath);
        return (IMiniFilter)Activator.CreateInstance(assembly.GetType("Altitude.CollectibleFilter.CollectibleFilter", throwOnError: true)!)!;
    }

    /// <summary>Collects until the context is gone, 50 rounds at most; true when it was collected.</summary>
    public static bool WaitForCollection(WeakReference context)
    {
        for (int i = 0; i < 50 && context.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        return !context.IsAlive;
    }
}
