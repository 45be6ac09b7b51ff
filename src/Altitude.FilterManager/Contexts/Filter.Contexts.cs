// Context allocation and volume contexts (FltAllocateContext, FltGet/Set/DeleteVolumeContext).
namespace Altitude;

public sealed partial class Filter
{
    internal ContextRegistrationTable Contexts = null!;
    /// <summary>This filter's slot in every volume's volume-context slots.</summary>
    internal int ContextSlot;
    private int liveContexts;

    /// <summary>
    /// Contexts this filter allocated that are not freed yet (their last reference not released). A filter that
    /// closed everything it opened and released everything it got should come back to 0 (the test harness checks it).
    /// </summary>
    public int ContextCount => Volatile.Read(ref liveContexts);

    internal void ContextFreed() => Interlocked.Decrement(ref liveContexts);

    /// <summary>
    /// FltAllocateContext: a context of <paramref name="type"/> with <paramref name="size"/> bytes of <see cref="FltContext.Data"/>,
    /// reference count 1 (a section context is then given to <see cref="Instance.CreateSectionForDataScan"/>). Errors: STATUS_NOT_SUPPORTED (transaction), STATUS_INVALID_PARAMETER (not one type),
    /// STATUS_INVALID_BUFFER_SIZE (0 or above MAXUSHORT), STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND (no row serves it),
    /// STATUS_FLT_DELETING_OBJECT (the filter is unloading).
    /// </summary>
    public NtStatus AllocateContext<T>(ContextType type, int size, out T? context) where T : FltContext, new()
    {
        context = null;
        if (type is ContextType.Transaction) return NtStatus.NotSupported;
        if (ContextRegistrationTable.TypeIndex(type) < 0) return NtStatus.InvalidParameter;
        if (size < 1 || size > ContextRegistration.MaximumSize) return NtStatus.InvalidBufferSize;
        if (State is FilterState.Unloading or FilterState.Unloaded) return NtStatus.FltDeletingObject;
        ContextRegistration? row = Contexts.Find(type, size);
        if (row is null) return NtStatus.FltContextAllocationNotFound;
        T made;
        if (row.AllocateCallback is { } allocate)
        {
            FltContext? custom;
            try { custom = allocate(type, size); }
            catch (Exception e)
            {
                Manager.ReportFault(null, null, "context allocate callback threw", e, this);
                return NtStatus.InsufficientResources;
            }
            if (custom is null) return NtStatus.InsufficientResources;
            if (custom is not T typed) return NtStatus.InvalidParameter;
            made = typed;
        }
        else made = new T();
        made.Initialize(this, type, size, row);
        Interlocked.Increment(ref liveContexts);
        Manager.Verifier.ReferenceTaken(made);
        context = made;
        return NtStatus.Success;
    }

    /// <summary>FltAllocateContext for an untyped context (state in <see cref="FltContext.Data"/>).</summary>
    public NtStatus AllocateContext(ContextType type, int size, out FltContext? context) => AllocateContext<FltContext>(type, size, out context);

    /// <summary>FltGetVolumeContext: this filter's context on <paramref name="volume"/>, referenced; STATUS_NOT_FOUND when none.</summary>
    public NtStatus GetVolumeContext<T>(Volume volume, out T? context) where T : FltContext
        => ContextCalls.Get(volume.VolumeContexts, ContextSlot, Manager, out context);

    /// <summary>FltSetVolumeContext (the rules are those of Instance.SetStreamContext).</summary>
    public NtStatus SetVolumeContext<T>(Volume volume, ContextSetOperation operation, T newContext, out T? oldContext) where T : FltContext
        => ContextCalls.Set(volume.VolumeContexts, ContextSlot, this, null, ContextType.Volume, operation, newContext, wantOld: true, out oldContext);

    /// <summary>FltSetVolumeContext without asking for the old context.</summary>
    public NtStatus SetVolumeContext(Volume volume, ContextSetOperation operation, FltContext newContext)
        => ContextCalls.Set(volume.VolumeContexts, ContextSlot, this, null, ContextType.Volume, operation, newContext, wantOld: false, out FltContext? _);

    /// <summary>FltDeleteVolumeContext: with <paramref name="oldContext"/> the context comes back referenced.</summary>
    public NtStatus DeleteVolumeContext(Volume volume, out FltContext? oldContext)
        => ContextCalls.Delete(volume.VolumeContexts, ContextSlot, Manager, wantOld: true, out oldContext);

    /// <summary>FltDeleteVolumeContext without the old context (the volume's reference is dropped).</summary>
    public NtStatus DeleteVolumeContext(Volume volume) => ContextCalls.Delete(volume.VolumeContexts, ContextSlot, Manager, wantOld: false, out _);
}

/// <summary>The shared rules of Get/Set/Delete over any object's slots.</summary>
internal static class ContextCalls
{
    public static NtStatus Get<T>(ContextSlots? slots, int slot, FilterManager manager, out T? context) where T : FltContext
    {
        context = null;
        FltContext? c = slots?.Get(slot);
        if (c is null) return NtStatus.NotFound;
        if (c is not T typed)
        {
            c.ReleaseReference();
            return NtStatus.InvalidParameter;   // another type of context object is set there
        }
        manager.Verifier.ReferenceTaken(c);
        context = typed;
        return NtStatus.Success;
    }

    public static NtStatus Set<T>(ContextSlots slots, int slot, Filter filter, Instance? instance, ContextType type, ContextSetOperation operation,
        FltContext newContext, bool wantOld, out T? oldContext) where T : FltContext
    {
        oldContext = null;
        if (newContext is null || !ReferenceEquals(newContext.Filter, filter) || newContext.ContextType != type) return NtStatus.InvalidParameter;
        if (operation is not (ContextSetOperation.ReplaceIfExists or ContextSetOperation.KeepIfExists)) return NtStatus.InvalidParameter;
        if (newContext.ReferenceCount <= 0) return NtStatus.InvalidParameter;
        NtStatus st = slots.Set(slot, operation, newContext, out FltContext? old);
        if (st.IsSuccess()) newContext.Instance = instance;
        if (old is null) return st;
        // The old context comes referenced: for KEEP a new reference, for REPLACE the object's own one.
        if (wantOld && old is T typed)
        {
            filter.Manager.Verifier.ReferenceTaken(old);
            oldContext = typed;
        }
        else old.ReleaseReference();
        return st;
    }

    public static NtStatus Delete(ContextSlots? slots, int slot, FilterManager manager, bool wantOld, out FltContext? oldContext)
    {
        oldContext = null;
        FltContext? c = slots?.Remove(slot);
        if (c is null) return NtStatus.NotFound;
        if (wantOld)
        {
            manager.Verifier.ReferenceTaken(c);
            oldContext = c;   // the object's reference becomes the caller's
        }
        else c.ReleaseReference();
        return NtStatus.Success;
    }
}
