// fltmgrd's service: start (Auto filters, then volumes, then READY=1), the management calls the control endpoint
// forwards (IManagementService), and the bounded stop (unmount, then FilterUnload of each filter, last loaded first).
using Altitude.Daemon.Configuration;
using Altitude.Daemon.Control;
using Altitude.Daemon.Packages;
using Altitude.Daemon.Volumes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Altitude.Daemon.Service;

internal sealed class FilterService : IManagementService, IHostedService
{
    private readonly ConfigurationDirectory config;
    private readonly DaemonArguments arguments;
    private readonly ILogger logger;
    private readonly SystemdNotifier notifier;
    private readonly VolumeSet volumes;
    private readonly List<FilterPackage> packages = new();   // load order
    private readonly object management = new();            // one management call at a time, as the service control manager runs them
    private ControlEndpoint? control;
    private bool stopping;                                  // under the management lock: no management call acts any more

    /// <remarks>
    /// The Filter Manager is created here, not by the container: the container would dispose it at exit, and with a hung
    /// filter that would wait forever; the stop disposes it only when everything finished.
    /// </remarks>
    public FilterService(ConfigurationDirectory config, DaemonArguments arguments, ILoggerFactory loggers)
    {
        this.config = config;
        this.arguments = arguments;
        Manager = new FilterManager(config.Settings.ManagerOptions(), loggers.CreateLogger("Altitude.FilterManager"));
        logger = loggers.CreateLogger("fltmgrd");
        notifier = new SystemdNotifier(logger);
        volumes = new VolumeSet(Manager, config.Settings.ServerOptions(), logger) { Mounted = AttachByHand };
    }

    public FilterManager Manager { get; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (string e in config.Errors) logger.LogError("{Error} (left out)", e);
        lock (management)
        {
            // Under the lock: a management call that arrives during the start waits until the filters and volumes are in.
            StartControlEndpoint();
            // Filters first: a mount must never serve, even for a moment, without the filters it was started with.
            foreach (var m in config.Filters)
                if (m.StartType == StartType.Auto) Load(PackageSource.FromManifest(m));
            foreach (var s in QuickFilters.Resolve(arguments.Filters, logger)) Load(s);
            foreach (var v in config.Volumes) volumes.Mount(v.Backing, v.MountPoint, v.Options, v.Source, out _);
            foreach (var (backing, mountPoint) in arguments.Volumes) volumes.Mount(backing, mountPoint, arguments.VolumeOptions, "--volume", out _);
        }
        var current = volumes.Current;
        logger.LogInformation("serving {Count} volume(s), {Filters} filter(s); SIGINT or SIGTERM unmounts", current.Count, packages.Count);
        foreach (var v in current) logger.LogInformation("  {MountPoint} ({Volume}, backing {Backing})", v.MountPoint, v.Volume.Name, v.BackingDirectory);
        logger.LogInformation("look at it with: fltmc instances --control {Control}   (from the repository: dotnet run --project src/fltmc -- instances --control {Control})",
            config.Settings.ControlSocket, config.Settings.ControlSocket);
        notifier.Ready($"serving {current.Count} volume(s)");
        return Task.CompletedTask;
    }

    /// <summary>
    /// The control endpoint comes first: a second fltmgrd on the same runtime directory stops here, before it loads or
    /// mounts anything. Management calls that arrive while the start goes on wait for it (the management lock).
    /// </summary>
    private void StartControlEndpoint()
    {
        var settings = config.Settings;
        Directory.CreateDirectory(settings.RuntimeDirectory);
        Directory.CreateDirectory(Path.GetDirectoryName(settings.ControlSocket)!);
        var endpoint = new ControlEndpoint(this, settings.ControlSocket, sddl: null, logger);
        NtStatus st = endpoint.Start();
        if (!st.IsSuccess())
            throw new ServiceStartException(st == NtStatus.ObjectNameCollision
                ? $"the control endpoint {settings.ControlSocket} is served by another fltmgrd"
                : $"the control endpoint {settings.ControlSocket} cannot listen: {st.Describe()}");
        control = endpoint;
    }

    /// <summary>
    /// The stop, within Settings.StopTimeout: the volumes are unmounted first (no request may be served once its filters
    /// are gone: the mirror of filters-before-mount), then every filter's FilterUnload (mandatory), last loaded first.
    /// A step that hangs is abandoned when its share of the bound is spent; the mount is gone by then (umount2 comes first).
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        notifier.Stopping();
        var deadline = DateTime.UtcNow + config.Settings.StopTimeout;
        // The steps below each have a share of the bound; this wait is the bound itself, whatever a step does. The
        // thread is a background thread: once the host returns, the process exits without it.
        var stop = Task.Factory.StartNew(() => StopAll(deadline), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        bool finished = stop.Wait(Remaining(deadline));
        if (!finished) logger.LogError("the stop reached its bound of {Seconds:0.#} s; exiting without its last steps", config.Settings.StopTimeout.TotalSeconds);
        logger.LogInformation(finished && stop.Result ? "stopped" : "stopped, leaving behind what did not finish in time");
        return Task.CompletedTask;
    }

    /// <summary>The stop's steps; true when every one finished (then the Filter Manager is disposed too).</summary>
    private bool StopAll(DateTime deadline)
    {
        bool complete = true;
        // No management call starts from now on; one in progress (a hung FilterUnload) is waited for only so long.
        control?.Dispose();
        bool locked = Monitor.TryEnter(management, Remaining(deadline) / 4);
        if (!locked) logger.LogError("a management call is still running; stopping without waiting for it");
        Volatile.Write(ref stopping, true);   // calls queued behind the lock find it set and do nothing
        try
        {
            var all = volumes.TakeAll();
            var unmounting = new List<Task>();
            foreach (var v in all)
                unmounting.Add(Task.Factory.StartNew(() =>
                {
                    try
                    {
                        v.Unmount();
                        logger.LogInformation("unmounted {MountPoint} ({Volume})", v.MountPoint, v.Volume.Name);
                    }
                    catch (Exception e)
                    {
                        // One volume that fails to unmount must not keep the filters from their FilterUnload.
                        logger.LogError(e, "{MountPoint}: unmount failed: {Message}", v.MountPoint, e.Message);
                    }
                }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
            // Half the bound for the volumes: an unmount waits for requests a hung filter holds.
            if (!Task.WaitAll(unmounting.ToArray(), Remaining(deadline) / 2))
            {
                complete = false;
                logger.LogError("volumes still draining after {Seconds:0.#} s (a filter holds requests); going on with the filters", config.Settings.StopTimeout.TotalSeconds / 2);
            }
            var loaded = packages.ToArray();
            // The filters' shares end a teardown's length before the deadline: a hung FilterUnload's teardown
            // (FilterManagerOptions.TeardownTimeout, a quarter of the bound) still fits.
            var filtersDeadline = deadline - Manager.Options.TeardownTimeout!.Value;
            for (int i = loaded.Length - 1; i >= 0; i--)
            {
                var share = Remaining(filtersDeadline) / (i + 1);
                // A filter that cannot unload (no FilterUnload, DO_NOT_SUPPORT_SERVICE_STOP) is torn down by the manager's disposal.
                if (!loaded[i].Unload(mandatory: true, share, logger, out NtStatus st) && st != NtStatus.FltDoNotDetach) complete = false;
            }
            packages.Clear();
        }
        finally
        {
            if (locked) Monitor.Exit(management);
        }
        if (complete) Manager.Dispose();
        return complete;
    }

    private static TimeSpan Remaining(DateTime deadline)
    {
        var left = deadline - DateTime.UtcNow;
        return left < TimeSpan.Zero ? TimeSpan.Zero : left;
    }

    /// <summary>
    /// Packages whose filter unregistered by itself (a FilterUnload that timed out and returned later, or a filter
    /// that called FltUnregisterFilter on its own) are unloaded: the name is free again and the context can go.
    /// </summary>
    private void PruneUnloaded()
    {
        for (int i = packages.Count - 1; i >= 0; i--)
        {
            if (packages[i].Filter is not { State: FilterState.Unloaded }) continue;
            logger.LogInformation("filter {Filter} unregistered itself; unloading its package", packages[i].Name);
            packages[i].Discard(logger);
            packages.RemoveAt(i);
        }
    }

    private NtStatus Load(PackageSource source)
    {
        if (packages.Exists(p => string.Equals(p.Name, source.Name, StringComparison.OrdinalIgnoreCase)))
        {
            logger.LogError("filter {Filter} not loaded from {Origin}: a filter of that name is loaded", source.Name, source.Origin);
            return NtStatus.ImageAlreadyLoaded;
        }
        NtStatus st = FilterPackage.Load(Manager, source, logger, out var package);
        if (package is null) return st;
        if (Volatile.Read(ref stopping))
        {
            // The stop began while DriverEntry ran (it gave up waiting for this call): nothing may stay loaded behind it.
            package.Unload(mandatory: true, Manager.Options.TeardownTimeout!.Value, logger, out _);
            return NtStatus.FltDeletingObject;
        }
        packages.Add(package);
        // A filter loaded at run time: the volumes mounted before it get the instances attached by hand too.
        foreach (var v in volumes.Current) AttachByHand(package, v.Volume);
        return st;
    }

    private void AttachByHand(Volume volume)
    {
        foreach (var p in packages) AttachByHand(p, volume);
    }

    private void AttachByHand(FilterPackage package, Volume volume)
    {
        if (package.Source.AttachOnMount is not { } names || package.Filter is not { } filter) return;
        foreach (string n in names)
        {
            NtStatus st = filter.AttachVolume(volume, n, out _);
            if (!st.IsSuccess()) logger.LogError("filter {Filter}: instance {Instance} not attached to {Volume}: {Status}", package.Name, n, volume.Name, st.Describe());
        }
    }

    public NtStatus LoadFilter(string serviceName)
    {
        lock (management)
        {
            if (Volatile.Read(ref stopping)) return NtStatus.FltDeletingObject;
            PruneUnloaded();
            var errors = new List<string>();
            var manifests = config.ReadManifests(errors);
            var manifest = manifests.Find(m => string.Equals(m.Name, serviceName, StringComparison.OrdinalIgnoreCase));
            if (manifest is null)
            {
                foreach (string e in errors) logger.LogError("{Error}", e);
                return packages.Exists(p => string.Equals(p.Name, serviceName, StringComparison.OrdinalIgnoreCase))
                    ? NtStatus.ImageAlreadyLoaded : NtStatus.ObjectNameNotFound;
            }
            if (manifest.StartType == StartType.Disabled)
            {
                logger.LogError("filter {Filter} not loaded: its StartType is Disabled ({Manifest})", manifest.Name, manifest.Source);
                return NtStatus.NotSupported;
            }
            return Load(PackageSource.FromManifest(manifest));
        }
    }

    public NtStatus UnloadFilter(string serviceName)
    {
        lock (management)
        {
            if (Volatile.Read(ref stopping)) return NtStatus.FltDeletingObject;
            PruneUnloaded();
            var package = packages.Find(p => string.Equals(p.Name, serviceName, StringComparison.OrdinalIgnoreCase));
            if (package is null) return NtStatus.FltFilterNotFound;
            if (!package.Unload(mandatory: false, config.Settings.StopTimeout, logger, out NtStatus st)) return st;
            packages.Remove(package);   // by reference: a stop that gave up waiting for this call may have cleared the list
            return NtStatus.Success;
        }
    }

    public NtStatus MountVolume(string backingDirectory, string mountPoint, out string? volumeName)
    {
        lock (management)
        {
            volumeName = null;
            if (Volatile.Read(ref stopping)) return NtStatus.FltDeletingObject;
            NtStatus st = volumes.Mount(backingDirectory, mountPoint, VolumeMountOptions.Default, "control", out var v);
            if (v is not null && Volatile.Read(ref stopping))
            {
                // The stop began while the mount was made and has taken its volumes already: no mount may outlive it.
                volumes.Unmount(v);
                return NtStatus.FltDeletingObject;
            }
            volumeName = v?.Volume.Name;
            return st;
        }
    }

    public NtStatus UnmountVolume(string mountPointOrVolumeName)
    {
        lock (management)
        {
            if (Volatile.Read(ref stopping)) return NtStatus.FltDeletingObject;
            var v = volumes.Find(mountPointOrVolumeName);
            if (v is null) return NtStatus.FltVolumeNotFound;
            volumes.Unmount(v);
            return NtStatus.Success;
        }
    }
}
