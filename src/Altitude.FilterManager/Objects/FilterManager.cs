// The Filter Manager: filters, volumes, attach/detach, unload, fault accounting and the pending watchdog.
// Management calls take one lock; the operation path takes none.
using Microsoft.Extensions.Logging;

namespace Altitude;

/// <summary>One Filter Manager (fltmgr.sys's role). Several can live in one process (tests).</summary>
public sealed partial class FilterManager : IDisposable
{
    private readonly object gate = new();
    private readonly List<Filter> filters = new();
    private readonly List<Volume> volumes = new();
    private readonly ILogger logger;
    private readonly Timer watchdog;
    private readonly FilterManagerMeter metrics;
    private int volumeCounter;
    private int filterSlots;
    private long faultCount;
    private bool disposed;

    /// <summary>
    /// DbgPrint's role: where filters write what they want an administrator to read (fltmgrd's log; without a host
    /// logger, stderr for warnings and errors only).
    /// </summary>
    public ILogger Logger => logger;

    public FilterManager(FilterManagerOptions? options = null, ILogger? logger = null)
    {
        Options = options ?? new FilterManagerOptions();
        this.logger = logger ?? StderrLogger.Instance;   // without a host logger, warnings and errors still reach stderr
        PendingTimeoutMilliseconds = (long)Options.PendingTimeout.TotalMilliseconds;
        TeardownTimeoutMilliseconds = Options.TeardownTimeout is { } teardown ? (long)teardown.TotalMilliseconds : 2 * PendingTimeoutMilliseconds;
        var interval = Options.WatchdogInterval ?? TimeSpan.FromMilliseconds(Math.Clamp(PendingTimeoutMilliseconds / 4, 10, 1000));
        watchdog = new Timer(_ => RunWatchdog(), null, interval, interval);
        Verifier = new FilterVerifier(this, Options.Verifier);
        metrics = new FilterManagerMeter(this);
        Workers = new SystemWorkerQueue(Options.MaxWorkerThreads, Options.WorkerIdleTimeout,
            (d, e) => ReportFault(null, d.Iopb.MajorFunction, "deferred completion threw", e));
    }

    /// <summary>System worker threads: deferred completion of asynchronous operations (SYNCHRONIZE, post-create).</summary>
    internal SystemWorkerQueue Workers { get; }

    /// <summary>System worker threads alive now (diagnostics).</summary>
    public int WorkerThreads => Workers.Threads;

    internal FilterVerifier Verifier { get; }

    /// <summary>Raised for each verifier finding (only with <see cref="FilterManagerOptions.Verifier"/>), after it was logged.</summary>
    public event Action<VerifierReport>? VerifierReported;

    internal void RaiseVerifierReport(VerifierReport report)
    {
        try
        {
            logger.LogWarning("{Report}", report.ToString());
            VerifierReported?.Invoke(report);
        }
        catch
        {
            // A faulty handler must not break teardown.
        }
    }

    public FilterManagerOptions Options { get; }
    internal long PendingTimeoutMilliseconds { get; }
    internal long TeardownTimeoutMilliseconds { get; }

    /// <summary>The deadline (TickCount64) of a teardown starting now.</summary>
    private long TeardownDeadline() => Environment.TickCount64 + TeardownTimeoutMilliseconds;

    /// <summary>Faults of all filters (callbacks that threw, misbehaved, or pended past the timeout).</summary>
    public long FaultCount => Interlocked.Read(ref faultCount);

    /// <summary>Raised for every fault, after it was logged.</summary>
    public event Action<FilterFault>? FaultReported;

    public IReadOnlyList<Filter> Filters { get { lock (gate) return filters.ToArray(); } }
    public IReadOnlyList<Volume> Volumes { get { lock (gate) return volumes.ToArray(); } }

    /// <summary>
    /// FltRegisterFilter. Fails with STATUS_INVALID_PARAMETER for a wrong registration version or a bad
    /// altitude, STATUS_OBJECT_NAME_NOT_FOUND when the default instance is not configured, and
    /// STATUS_OBJECT_NAME_COLLISION when a filter of that name is registered.
    /// </summary>
    public NtStatus RegisterFilter(FilterConfiguration configuration, FilterRegistration registration, out Filter? filter)
    {
        filter = null;
        if (registration.Version != FilterRegistration.CurrentVersion) return NtStatus.InvalidParameter;
        if (string.IsNullOrEmpty(configuration.Name) || configuration.Name.Length > 255) return NtStatus.InvalidParameter;
        bool hasDefault = false;
        foreach (var ic in configuration.Instances)
        {
            if (!FilterAltitude.TryParse(ic.Altitude, out _)) return NtStatus.InvalidParameter;
            if (string.IsNullOrEmpty(ic.Name) || ic.Name.Length > 255) return NtStatus.InvalidParameter;
            if (ic.Name == configuration.DefaultInstance) hasDefault = true;
        }
        if (!hasDefault) return NtStatus.ObjectNameNotFound;
        foreach (var op in registration.OperationRegistration)
        {
            if (op.MajorFunction is MajorFunction.Power or MajorFunction.DeviceChange) return NtStatus.InvalidParameter;
            if ((op.Flags & OperationRegistrationFlags.StableInformation) != 0
                && op.MajorFunction is not (MajorFunction.QueryInformation or MajorFunction.NetworkQueryOpen)) return NtStatus.InvalidParameter;
        }
        NtStatus contexts = ContextRegistrationTable.Build(registration.ContextRegistration, out var contextTable);
        if (!contexts.IsSuccess()) return contexts;
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            foreach (var f in filters)
                if (string.Equals(f.Name, configuration.Name, StringComparison.OrdinalIgnoreCase)) return NtStatus.ObjectNameCollision;
            filter = new Filter(this, configuration, registration, contextTable, filterSlots++);
            filters.Add(filter);
        }
        return NtStatus.Success;
    }

    /// <summary>FltGetFilterFromName.</summary>
    public NtStatus GetFilterFromName(string name, out Filter? filter)
    {
        lock (gate)
        {
            foreach (var f in filters)
                if (string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase)) { filter = f; return NtStatus.Success; }
        }
        filter = null;
        return NtStatus.FltFilterNotFound;
    }

    /// <summary>FltGetVolumeFromName: by volume name or DOS name (mount point); a trailing '/' is optional.</summary>
    public NtStatus GetVolumeFromName(string name, out Volume? volume)
    {
        string trimmed = name.Length > 1 ? name.TrimEnd('/') : name;
        lock (gate)
        {
            foreach (var v in volumes)
                if (v.Name == trimmed || (v.DosName is not null && v.DosName.TrimEnd('/') == trimmed)) { volume = v; return NtStatus.Success; }
        }
        volume = null;
        return NtStatus.FltVolumeNotFound;
    }

    internal NtStatus StartFiltering(Filter filter)
    {
        Volume[] existing;
        lock (gate)
        {
            if (filter.State != FilterState.Registered) return filter.State == FilterState.Started ? NtStatus.InvalidParameter : NtStatus.FltDeletingObject;
            filter.State = FilterState.Started;
            existing = volumes.ToArray();
        }
        // Existing volumes get the default instance now, as FltStartFiltering does (callbacks may run before it returns).
        foreach (var v in existing) AttachAutomatically(filter, v, InstanceSetupFlags.AutomaticAttachment);
        return NtStatus.Success;
    }

    /// <summary>A front-end or file system forgot more lookups than a node had: a bookkeeping bug worth a log line.</summary>
    internal void ReportNodeAnomaly(Volume volume, ulong node, ulong had, ulong forgotten)
    {
        try { logger.LogError("Node {Node} on {Volume}: {Forgotten} lookups forgotten, it had {Had} (count set to zero)", node, volume.Name, forgotten, had); }
        catch (Exception) { }   // a faulty logger must not take the forget path down
    }

    /// <summary>
    /// Adds a volume over a file system (a mount). Every started filter whose default instance allows automatic
    /// attachment gets an instance (InstanceSetup with AUTOMATIC | NEWLY_MOUNTED).
    /// </summary>
    public Volume AddVolume(IBackingFileSystem fileSystem, string? dosName = null)
    {
        Volume volume;
        Filter[] started;
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            volume = new Volume(this, Options.VolumeNamePrefix + (++volumeCounter), dosName, fileSystem);
            fileSystem.OnVolumeAdded(volume);
            volumes.Add(volume);
            started = filters.FindAll(f => f.State == FilterState.Started).ToArray();
        }
        foreach (var f in started) AttachAutomatically(f, volume, InstanceSetupFlags.AutomaticAttachment | InstanceSetupFlags.NewlyMountedVolume);
        return volume;
    }

    /// <summary>Dismounts a volume: every instance is torn down with VOLUME_DISMOUNT, then the volume is removed.</summary>
    public NtStatus RemoveVolume(Volume volume)
    {
        lock (gate)
        {
            if (volume.State != VolumeState.Mounted) return NtStatus.FltDeletingObject;
            volume.State = VolumeState.Dismounting;
        }
        long deadline = TeardownDeadline();
        foreach (var inst in volume.CurrentInstances.All) TearDown(inst, InstanceTeardownFlags.VolumeDismount, deadline);
        volume.VolumeContexts.DeleteAll();
        lock (gate)
        {
            volumes.Remove(volume);
            volume.State = VolumeState.Dismounted;
        }
        return NtStatus.Success;
    }

    private void AttachAutomatically(Filter filter, Volume volume, InstanceSetupFlags flags)
    {
        var def = FindInstanceConfiguration(filter, filter.Configuration.DefaultInstance);
        if (def is null || (def.Flags & InstanceConfiguration.NoAutomaticAttach) != 0) return;
        NtStatus st = Attach(filter, volume, def.Name, null, flags, out _);
        if (!st.IsSuccess() && st != NtStatus.FltDoNotAttach)
            logger.LogWarning("Automatic attach of {Filter} to {Volume} failed: {Status}", filter.Name, volume.Name, st.Describe());
    }

    private static InstanceConfiguration? FindInstanceConfiguration(Filter filter, string name)
    {
        foreach (var ic in filter.Configuration.Instances)
            if (string.Equals(ic.Name, name, StringComparison.OrdinalIgnoreCase)) return ic;
        return null;
    }

    internal NtStatus Attach(Filter filter, Volume volume, string? instanceName, FilterAltitude? explicitAltitude, InstanceSetupFlags setupFlags, out Instance? instance)
    {
        instance = null;
        if (filter.State == FilterState.Registered) return NtStatus.FltFilterNotReady;
        if (filter.State != FilterState.Started) return NtStatus.FltDeletingObject;
        if (volume.State != VolumeState.Mounted) return NtStatus.FltDeletingObject;

        string name = instanceName ?? filter.Configuration.DefaultInstance;
        var config = FindInstanceConfiguration(filter, name);
        FilterAltitude altitude;
        uint flags = config?.Flags ?? 0;
        if (explicitAltitude is { } a) altitude = a;
        else if (config is null) return NtStatus.ObjectNameNotFound;   // not in the registry: ERROR_FILE_NOT_FOUND in user mode
        else altitude = FilterAltitude.Parse(config.Altitude);
        if ((setupFlags & InstanceSetupFlags.ManualAttachment) != 0 && (flags & InstanceConfiguration.NoManualAttach) != 0)
            return NtStatus.FltDoNotAttach;

        Instance created;
        lock (volume.AttachLock)
        {
            foreach (var existing in volume.CurrentInstances.All)
            {
                if (string.Equals(existing.Name, name, StringComparison.OrdinalIgnoreCase)) return NtStatus.FltInstanceNameCollision;
                if (existing.Altitude == altitude)
                    return explicitAltitude is null ? NtStatus.ObjectNameCollision : NtStatus.FltInstanceAltitudeCollision;
            }
            created = new Instance(filter, volume, name, altitude, flags);
            // InstanceSetup may already set an instance context, so the slot exists before it runs.
            created.ContextSlot = volume.AllocateInstanceSlot();
            // InstanceSetup runs before the instance receives any operation; it may refuse.
            if (filter.Registration.InstanceSetup is { } setup)
            {
                NtStatus st;
                try
                {
                    st = setup(new RelatedObjects(filter, volume, created, null), setupFlags, VolumeDeviceType.DiskFileSystem, volume.FileSystemType);
                }
                catch (Exception e)
                {
                    ReportFault(created, null, "InstanceSetup threw; attach refused", e);
                    st = NtStatus.UnhandledException;
                }
                if (!st.IsSuccess() || st.IsWarning())
                {
                    AbandonInstance(created);
                    return st == NtStatus.UnhandledException ? st : NtStatus.FltDoNotAttach;
                }
            }
            lock (gate)
            {
                // The filter may have begun unloading while setup ran.
                if (filter.State != FilterState.Started || volume.State != VolumeState.Mounted) { AbandonInstance(created); return NtStatus.FltDeletingObject; }
                var all = volume.CurrentInstances.All;
                var sorted = new Instance[all.Length + 1];
                int k = 0;
                bool placed = false;
                foreach (var existing in all)
                {
                    if (!placed && altitude > existing.Altitude) { sorted[k++] = created; placed = true; }
                    sorted[k++] = existing;
                }
                if (!placed) sorted[k] = created;
                created.State = InstanceState.Attached;
                volume.Publish(sorted);
                filter.AddInstance(created);
            }
        }
        OnInstanceAttached(created);
        volume.RaiseInstancesChanged();
        instance = created;
        return NtStatus.Success;
    }

    /// <summary>An instance that never attached: what its setup set is deleted, and its slot is given back (under the attach lock).</summary>
    private void AbandonInstance(Instance instance)
    {
        instance.State = InstanceState.Detached;
        instance.DeleteContextsAtTeardown();
        Verifier.CheckInstance(instance);
        instance.Volume.FreeInstanceSlot(instance.ContextSlot);
    }

    internal NtStatus Detach(Filter filter, Volume volume, string? instanceName)
    {
        Instance? target = null;
        lock (volume.AttachLock)
        {
            foreach (var inst in volume.CurrentInstances.All)   // highest first: a null name takes the highest
            {
                if (!ReferenceEquals(inst.Filter, filter)) continue;
                if (instanceName is null || string.Equals(inst.Name, instanceName, StringComparison.OrdinalIgnoreCase)) { target = inst; break; }
            }
            if (target is null)
            {
                foreach (var inst in filter.Instances)
                    if (ReferenceEquals(inst.Volume, volume) && inst.State == InstanceState.TearingDown
                        && (instanceName is null || string.Equals(inst.Name, instanceName, StringComparison.OrdinalIgnoreCase)))
                        return NtStatus.FltDeletingObject;
                return NtStatus.FltInstanceNotFound;
            }
            if (target.State != InstanceState.Attached) return NtStatus.FltDeletingObject;

            // Manual detach asks the filter; without the callback it cannot be detached by hand.
            var query = filter.Registration.InstanceQueryTeardown;
            if (query is null) return NtStatus.FltDoNotDetach;
            NtStatus st;
            try
            {
                st = query(new RelatedObjects(filter, volume, target, null), InstanceTeardownFlags.Manual);
            }
            catch (Exception e)
            {
                ReportFault(target, null, "InstanceQueryTeardown threw; detach refused", e);
                return NtStatus.FltDoNotDetach;
            }
            if (!st.IsSuccess() || st.IsWarning()) return NtStatus.FltDoNotDetach;
            target.State = InstanceState.TearingDown;
        }
        TearDown(target, InstanceTeardownFlags.Manual, TeardownDeadline());
        return NtStatus.Success;
    }

    /// <summary>
    /// Tears an instance down: no new operations reach it, TeardownStart runs, owed post-ops are drained, parked
    /// operations are waited for, then TeardownComplete runs. The waits end at <paramref name="deadline"/> (TickCount64).
    /// </summary>
    internal void TearDown(Instance instance, InstanceTeardownFlags reason, long deadline)
    {
        Volume volume = instance.Volume;
        lock (volume.AttachLock)
        {
            if (instance.State == InstanceState.Detached || instance.TeardownClaimed) return;
            instance.TeardownClaimed = true;
            instance.State = InstanceState.TearingDown;
            instance.BeginTeardown();
            var all = volume.CurrentInstances.All;
            var remaining = new List<Instance>(all.Length);
            foreach (var i in all) if (!ReferenceEquals(i, instance)) remaining.Add(i);
            volume.Publish(remaining.ToArray());
        }
        volume.RaiseInstancesChanged();

        // Pre-ops that were already running finish first.
        bool ranDown = instance.WaitForRundown(includeParked: false, deadline);
        var objects = new RelatedObjects(instance.Filter, volume, instance, null);
        if (instance.Filter.Registration.InstanceTeardownStart is { } start) InvokeTeardown(instance, start, objects, reason, "InstanceTeardownStart");
        Dispatcher.Drain(instance);
        ranDown &= WaitForParked(instance, deadline);
        // A pended pre-op completed with WITH_CALLBACK after the first drain owes a post-op too.
        Dispatcher.Drain(instance);
        ranDown &= WaitForParked(instance, deadline);
        if (!ranDown)
            ReportFault(instance, null, "a callback did not return within the teardown timeout; teardown continues without it", null);
        if (instance.Filter.Registration.InstanceTeardownComplete is { } complete) InvokeTeardown(instance, complete, objects, reason, "InstanceTeardownComplete");
        DeleteContexts(instance);
        instance.State = InstanceState.Detached;
        instance.Filter.RemoveInstance(instance);
        OnInstanceDetached(instance);
    }

    /// <summary>
    /// Automatic deletion at detach (spec section 3), in order: stream handle, stream, file, instance, and the volume
    /// context when this was the filter's last instance on the volume. Then the verifier reports what is still held.
    /// </summary>
    private void DeleteContexts(Instance instance)
    {
        Volume volume = instance.Volume;
        instance.DeleteContextsAtTeardown();
        bool last = true;
        foreach (var other in instance.Filter.Instances)
            if (!ReferenceEquals(other, instance) && ReferenceEquals(other.Volume, volume) && other.State != InstanceState.Detached) last = false;
        if (last) volume.VolumeContexts.Delete(instance.Filter.ContextSlot);
        Verifier.CheckInstance(instance);
        lock (volume.AttachLock) volume.FreeInstanceSlot(instance.ContextSlot);
    }

    /// <summary>Hooks for work after an instance attached or detached (the name cache drops a provider's names).</summary>
    partial void OnInstanceAttached(Instance instance);
    partial void OnInstanceDetached(Instance instance);

    /// <summary>
    /// Waits for the instance's callbacks in progress and its parked operations until the deadline. Operations still
    /// parked then are ended as the watchdog ends them (reported as faults), so their issuers do not wait past the bound.
    /// </summary>
    private static bool WaitForParked(Instance instance, long deadline)
    {
        if (instance.WaitForRundown(includeParked: true, deadline)) return true;
        Dispatcher.TimeOutParkedIn(instance);
        return false;
    }

    private void InvokeTeardown(Instance instance, InstanceTeardownCallback callback, in RelatedObjects objects, InstanceTeardownFlags reason, string what)
    {
        try
        {
            callback(objects, reason);
        }
        catch (Exception e)
        {
            ReportFault(instance, null, what + " threw", e);
        }
    }

    internal void Unregister(Filter filter, InstanceTeardownFlags reason)
    {
        lock (gate)
        {
            // One teardown per filter: an Unregister while another runs (a late unload callback's) leaves it to that one.
            if (filter.State is FilterState.Unloading or FilterState.Unloaded) return;
            filter.State = FilterState.Unloading;
        }
        // FltMgr closes every client port of the filter at unload, after each DisconnectNotify.
        long deadline = TeardownDeadline();
        filter.CloseCommunicationPortsForUnload(deadline);
        foreach (var inst in filter.Instances) TearDown(inst, reason, deadline);
        // Volume contexts of volumes where the filter has no instance any more, then the verifier's last word.
        foreach (var v in Volumes) v.VolumeContexts.Delete(filter.ContextSlot);
        Verifier.CheckFilter(filter);
        lock (gate)
        {
            filter.State = FilterState.Unloaded;
            filters.Remove(filter);
        }
    }

    /// <summary>
    /// FltUnloadFilter / FilterUnload (non-mandatory) and a service stop (mandatory). Without an unload callback
    /// the filter can never unload (STATUS_FLT_DO_NOT_DETACH). A non-mandatory unload the callback refuses
    /// returns the callback's status. A mandatory unload of a filter with DO_NOT_SUPPORT_SERVICE_STOP fails
    /// with STATUS_FLT_DO_NOT_DETACH without calling the callback.
    /// </summary>
    public NtStatus UnloadFilter(string name, bool mandatory = false)
    {
        NtStatus st = GetFilterFromName(name, out var filter);
        if (!st.IsSuccess()) return st;
        return UnloadFilter(filter!, mandatory);
    }

    /// <inheritdoc cref="UnloadFilter(string, bool)"/>
    public NtStatus UnloadFilter(Filter filter, bool mandatory = false) => UnloadFilter(filter, mandatory, null);

    /// <summary>
    /// <see cref="UnloadFilter(Filter, bool)"/> that waits at most <paramref name="timeout"/> for the unload callback,
    /// which then runs on a thread of its own. A callback that does not return in time is reported as a fault of the
    /// filter; a mandatory unload then unregisters the filter anyway (its teardown bounded by
    /// <see cref="FilterManagerOptions.TeardownTimeout"/>) and returns STATUS_SUCCESS, a non-mandatory one returns
    /// STATUS_IO_TIMEOUT and leaves the filter registered. The hung thread is a background thread that is left
    /// blocked in the filter's code: nothing can stop it safely. If it returns later, its result is ignored, but an
    /// Unregister it makes does unregister the filter (after a mandatory unload that is a no-op). While it runs, another
    /// unload of the filter gets STATUS_FLT_DELETING_OBJECT, and it keeps the filter's code, and so a collectible load
    /// context the filter came from, alive.
    /// </summary>
    public NtStatus UnloadFilter(Filter filter, bool mandatory, TimeSpan timeout) => UnloadFilter(filter, mandatory, (TimeSpan?)timeout);

    private NtStatus UnloadFilter(Filter filter, bool mandatory, TimeSpan? timeout)
    {
        var unload = filter.Registration.FilterUnload;
        if (unload is null) return NtStatus.FltDoNotDetach;
        if (mandatory && (filter.Registration.Flags & FilterRegistrationFlags.DoNotSupportServiceStop) != 0) return NtStatus.FltDoNotDetach;
        lock (gate)
        {
            if (filter.State is FilterState.Unloading or FilterState.Unloaded) return NtStatus.FltDeletingObject;
            // One unload callback at a time: one that timed out may still run (it clears the mark when it returns).
            if (Interlocked.Exchange(ref filter.UnloadCallbackRunning, 1) != 0) return NtStatus.FltDeletingObject;
        }
        filter.UnloadTeardownReason = mandatory ? InstanceTeardownFlags.MandatoryFilterUnload : InstanceTeardownFlags.FilterUnload;
        var flags = mandatory ? FilterUnloadFlags.Mandatory : FilterUnloadFlags.None;
        // The mark set above stays until this call is done (Unregister included), so no second unload runs the callback
        // in the gap; a callback this call stops waiting for clears it itself when it returns.
        bool abandoned = false;
        try
        {
            return UnloadFilterMarked(filter, unload, flags, mandatory, timeout, out abandoned);
        }
        finally
        {
            if (!abandoned) Volatile.Write(ref filter.UnloadCallbackRunning, 0);
        }
    }

    private NtStatus UnloadFilterMarked(Filter filter, FilterUnloadCallback unload, FilterUnloadFlags flags, bool mandatory, TimeSpan? timeout, out bool abandoned)
    {
        abandoned = false;
        NtStatus result;
        if (timeout is { } limit)
        {
            if (!UnloadCallbackThread.TryRun(filter, unload, flags, limit, out result, out var error, out abandoned))
            {
                ReportFault(null, null, $"unload callback of {filter.Name} did not return within {limit.TotalMilliseconds} ms" +
                    (mandatory ? "; unregistered anyway" : "; unload abandoned"), null, filter);
                if (!mandatory)
                {
                    filter.UnloadTeardownReason = InstanceTeardownFlags.FilterUnload;
                    return NtStatus.IoTimeout;
                }
            }
            else if (error is not null)
            {
                ReportFault(null, null, $"unload callback of {filter.Name} threw", error, filter);
                result = NtStatus.UnhandledException;
            }
        }
        else
        {
            try
            {
                result = unload(flags);
            }
            catch (Exception e)
            {
                ReportFault(null, null, $"unload callback of {filter.Name} threw", e, filter);
                result = NtStatus.UnhandledException;
            }
        }
        if (!mandatory && (!result.IsSuccess() || result.IsWarning()))
        {
            filter.UnloadTeardownReason = InstanceTeardownFlags.FilterUnload;
            return result;
        }
        // The callback normally calls FltUnregisterFilter itself; make sure it happened.
        Unregister(filter, mandatory ? InstanceTeardownFlags.MandatoryFilterUnload : InstanceTeardownFlags.FilterUnload);
        return NtStatus.Success;
    }

    private void RunWatchdog()
    {
        long now = Environment.TickCount64;
        Volume[] current;
        lock (gate) current = volumes.ToArray();
        foreach (var v in current)
        {
            foreach (var d in v.CallbackDataPool.All)
            {
                try { Dispatcher.TryTimeOut(d, now); }
                catch (Exception e) { logger.LogError(e, "Watchdog failed to end an expired operation on {Volume}", v.Name); }
            }
        }
    }

    /// <summary>Logs and counts a filter fault. Never throws.</summary>
    internal void ReportFault(Instance? instance, MajorFunction? major, string what, Exception? exception, Filter? filter = null)
    {
        filter ??= instance?.Filter;
        filter?.CountFault();
        if (instance is not null) Interlocked.Increment(ref instance.Counters.Faults);
        Interlocked.Increment(ref faultCount);
        var fault = new FilterFault(filter?.Name, instance?.Name, instance?.Volume.Name, major, what, exception);
        try
        {
            logger.LogError(exception, "Filter fault: {Fault}", fault.ToString());
            FaultReported?.Invoke(fault);
        }
        catch
        {
            // A faulty logger or handler must not take the host down either.
        }
    }

    /// <summary>Closes the control ports, unloads every filter (mandatory) and removes every volume.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
        }
        CloseControlPorts();
        watchdog.Dispose();
        Workers.Dispose();
        foreach (var f in Filters) Unregister(f, InstanceTeardownFlags.MandatoryFilterUnload);
        foreach (var v in Volumes) RemoveVolume(v);
        StopPorts();
        metrics.Dispose();
    }
}

/// <summary>One fault: which filter, instance and operation, and what happened.</summary>
public sealed record FilterFault(string? FilterName, string? InstanceName, string? VolumeName, MajorFunction? Major, string What, Exception? Exception)
{
    public override string ToString() =>
        $"filter {FilterName ?? "-"}, instance {InstanceName ?? "-"}, volume {VolumeName ?? "-"}, operation {(Major is { } m ? "IRP_MJ_" + m : "-")}: {What}" +
        (Exception is null ? "" : $" ({Exception.GetType().Name}: {Exception.Message})");
}
