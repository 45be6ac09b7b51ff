// One loaded filter package: its load context, the filter's DriverObject, and unload (FilterUnload, then the context,
// then a check in the background that the context was really collected).
using System.Reflection;
using System.Runtime.CompilerServices;
using Altitude.Daemon.Service;
using Microsoft.Extensions.Logging;

namespace Altitude.Daemon.Packages;

internal sealed class FilterPackage
{
    // Up to about 30 s: a callback may still be returning on another thread, and a loaded machine is slow to let go.
    private const int CollectionAttempts = 30;
    private FilterLoadContext? context;
    private DriverObject? driver;

    private FilterPackage(PackageSource source, FilterLoadContext? context, DriverObject driver)
    {
        Source = source;
        this.context = context;
        this.driver = driver;
    }

    public PackageSource Source { get; }
    public string Name => Source.Name;
    /// <summary>The registered filter (null once unloaded).</summary>
    public Filter? Filter => Volatile.Read(ref driver)?.Filter;

    /// <summary>
    /// Loads the package into its own collectible context and calls DriverEntry. Whatever fails (the assembly, the class,
    /// DriverEntry's status or exception) is logged naming the filter; what DriverEntry registered is unregistered.
    /// </summary>
    public static NtStatus Load(FilterManager manager, PackageSource source, ILogger logger, out FilterPackage? package)
    {
        package = null;
        FilterLoadContext? context = null;
        IMiniFilter filter;
        try
        {
            if (source.BuiltIn is not null) filter = source.BuiltIn();
            else
            {
                context = new FilterLoadContext(source.Name, source.AssemblyPath!);
                filter = Create(context, source);
            }
        }
        catch (Exception e)
        {
            var inner = e is TargetInvocationException { InnerException: { } ie } ? ie : e;
            logger.LogError("filter {Filter} not loaded: {Assembly}: {Error}: {Message}", source.Name, source.AssemblyPath ?? source.Origin, inner.GetType().Name, inner.Message);
            context?.Unload();
            // FilterLoad's FILE_NOT_FOUND for a missing assembly; BAD_EXE_FORMAT for one that does not load.
            return e is FileNotFoundException ? NtStatus.ObjectNameNotFound
                : e is BadImageFormatException or FileLoadException or TypeLoadException or ReflectionTypeLoadException
                ? NtStatus.InvalidImageFormat : NtStatus.Unsuccessful;
        }
        var configuration = source.Configuration ?? FilterConfiguration.Single(source.Name, "100000");
        var driver = new DriverObject(manager, configuration, source.Parameters);
        NtStatus st;
        try
        {
            st = filter.DriverEntry(driver);
        }
        catch (Exception e)
        {
            logger.LogError(e, "filter {Filter} not loaded: DriverEntry threw {Error}: {Message}", source.Name, e.GetType().Name, e.Message);
            Abandon(driver, context);
            return NtStatus.Unsuccessful;
        }
        if (!st.IsSuccess())
        {
            logger.LogError("filter {Filter} not loaded: DriverEntry returned {Status}", source.Name, st.Describe());
            Abandon(driver, context);
            return st;
        }
        package = new FilterPackage(source, context, driver);
        logger.LogInformation("filter {Filter} loaded from {Origin}: {Instances} instance(s)", source.Name, source.Origin, configuration.Instances.Count);
        return NtStatus.Success;
    }

    /// <summary>The class to create: the manifest's Class, else the assembly's one public IMiniFilter class.</summary>
    private static IMiniFilter Create(FilterLoadContext context, PackageSource source)
    {
        string path = source.AssemblyPath!;
        if (!File.Exists(path)) throw new FileNotFoundException("no such assembly file", path);
        Assembly assembly = context.LoadFromAssemblyPath(path);
        Type? type;
        if (source.ClassName is not null)
        {
            type = assembly.GetType(source.ClassName, throwOnError: false);
            if (type is null) throw new TypeLoadException($"no class {source.ClassName}");
        }
        else
        {
            var candidates = MiniFilterClasses(assembly);
            if (candidates.Count != 1)
                throw new TypeLoadException(candidates.Count == 0 ? "no public IMiniFilter class with a parameterless constructor"
                    : $"{candidates.Count} IMiniFilter classes; name one with Class");
            type = candidates[0];
        }
        if (!typeof(IMiniFilter).IsAssignableFrom(type) || type.GetConstructor(Type.EmptyTypes) is null)
            throw new TypeLoadException($"{type.FullName} is not an IMiniFilter class with a parameterless constructor");
        return (IMiniFilter)Activator.CreateInstance(type)!;
    }

    public static List<Type> MiniFilterClasses(Assembly assembly)
    {
        var types = new List<Type>();
        foreach (Type t in assembly.GetExportedTypes())
            if (!t.IsAbstract && typeof(IMiniFilter).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null) types.Add(t);
        return types;
    }

    /// <summary>A failed DriverEntry: what it registered goes (mandatory teardown, no FilterUnload callback), then its context.</summary>
    private static void Abandon(DriverObject driver, FilterLoadContext? context)
    {
        try { driver.Filter?.Unregister(); }
        catch (ObjectDisposedException) { }
        context?.Unload();
    }

    /// <summary>
    /// FilterUnload (mandatory at a service stop), bounded by <paramref name="budget"/>; on success the load context is
    /// unloaded and watched until collected. False with the status when the unload was refused, threw or did not return.
    /// </summary>
    public bool Unload(bool mandatory, TimeSpan budget, ILogger logger, out NtStatus status)
    {
        // A stop that gave up waiting for a management call may unload the same package at the same time: read once.
        var d = Volatile.Read(ref driver);
        var filter = Filter;
        if (d is null || filter is null) { status = NtStatus.FltFilterNotFound; return false; }
        var manager = d.Manager;
        // The engine stops waiting for a FilterUnload that hangs (a fault naming the filter; a mandatory unload goes on
        // without it), and bounds the teardown after it by TeardownTimeout.
        status = manager.UnloadFilter(filter, mandatory, budget);
        if (status == NtStatus.IoTimeout)
        {
            logger.LogError("filter {Filter}: FilterUnload did not return within {Seconds:0.#} s; the filter stays loaded", Name, budget.TotalSeconds);
            return false;
        }
        if (mandatory && status == NtStatus.FltDoNotDetach)
        {
            logger.LogWarning("filter {Filter} cannot be unloaded (no FilterUnload, or DO_NOT_SUPPORT_SERVICE_STOP): it stays registered until the Filter Manager closes", Name);
            return false;
        }
        if (!status.IsSuccess() || status.IsWarning())
        {
            logger.LogError("filter {Filter}: unload refused: {Status}", Name, status.Describe());
            return false;
        }
        logger.LogInformation("filter {Filter} unloaded", Name);
        Discard(logger);
        return true;
    }

    /// <summary>The filter is gone (unloaded, or it unregistered itself): the context is unloaded and watched until collected.</summary>
    public void Discard(ILogger logger)
    {
        Volatile.Write(ref driver, null);
        if (Interlocked.Exchange(ref context, null) is { } c) WatchCollection(Name, c, logger);
    }

    /// <summary>Unloads the context and checks, on a background thread, that nothing keeps it alive.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]   // no local of this frame may keep the context reachable
    private static void WatchCollection(string name, FilterLoadContext context, ILogger logger)
    {
        var weak = new WeakReference(context);
        context.Unload();
        new Thread(() =>
        {
            for (int i = 1; i <= CollectionAttempts; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                if (!weak.IsAlive)
                {
                    logger.LogInformation("filter {Filter}: load context collected", name);
                    return;
                }
                Thread.Sleep(Math.Min(100 * i, 1000));
            }
            logger.LogWarning("filter {Filter}: load context still alive after {Attempts} collections (something holds a reference to the filter's code)",
                name, CollectionAttempts);
        }) { IsBackground = true, Name = "collect " + name }.Start();
    }
}
