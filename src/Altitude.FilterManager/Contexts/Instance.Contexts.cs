// Instance, file, stream and stream-handle contexts of one instance (FltGet/Set/Delete*Context, FltGetContexts).
// Where a file object cannot have a context the call answers STATUS_NOT_SUPPORTED, as FltMgr does: in pre-create
// (nothing is open yet), in post-close (the object is gone), for query-open, and for transaction and section contexts.
namespace Altitude;

public sealed partial class Instance
{
    private readonly ContextSlots instanceContexts = new(1);

    /// <summary>This instance's slot in the per-object context slots of its volume.</summary>
    internal int ContextSlot = -1;

    /// <summary>Set once automatic deletion ran at detach: later Sets fail with STATUS_FLT_DELETING_OBJECT.</summary>
    internal bool ContextsDeleted;

    public NtStatus GetInstanceContext<T>(out T? context) where T : FltContext
        => ContextCalls.Get(instanceContexts, 0, Filter.Manager, out context);

    public NtStatus SetInstanceContext<T>(ContextSetOperation operation, T newContext, out T? oldContext) where T : FltContext
        => ContextsDeleted ? Fail(out oldContext) : ContextCalls.Set(instanceContexts, 0, Filter, this, ContextType.Instance, operation, newContext, true, out oldContext);

    public NtStatus SetInstanceContext(ContextSetOperation operation, FltContext newContext)
        => ContextsDeleted ? NtStatus.FltDeletingObject : ContextCalls.Set(instanceContexts, 0, Filter, this, ContextType.Instance, operation, newContext, false, out FltContext? _);

    public NtStatus DeleteInstanceContext(out FltContext? oldContext) => ContextCalls.Delete(instanceContexts, 0, Filter.Manager, true, out oldContext);
    public NtStatus DeleteInstanceContext() => ContextCalls.Delete(instanceContexts, 0, Filter.Manager, false, out _);

    private static NtStatus Fail<T>(out T? old) where T : class { old = null; return NtStatus.FltDeletingObject; }

    // ---- stream, file and stream handle ----

    /// <summary>The slots for <paramref name="type"/> on a file object, or the status that says why there are none.</summary>
    private NtStatus Resolve(FileObject? fo, ContextType type, bool create, out ContextSlots? slots)
    {
        slots = null;
        if (fo is null || !ReferenceEquals(fo.Volume, Volume)) return NtStatus.InvalidParameter;
        FileObjectContextState state = fo.ContextState;
        if (type == ContextType.StreamHandle)
        {
            if (state != FileObjectContextState.Opened) return NtStatus.NotSupported;
            slots = fo.HandleContexts;
            if (slots is null && create) slots = Volume.CreateHandleContexts(fo);
            return NtStatus.Success;
        }
        if (state is not (FileObjectContextState.Opened or FileObjectContextState.ByNode) || (fo.NodeId == 0 && fo.Stream is null)) return NtStatus.NotSupported;
        StreamState? stream = create ? Volume.Streams.FindOrCreate(fo) : Volume.Streams.Find(fo);
        slots = stream is null ? null : type == ContextType.Stream ? stream.Stream : stream.File;
        return NtStatus.Success;
    }

    private NtStatus GetOn<T>(FileObject? fo, ContextType type, out T? context) where T : FltContext
    {
        context = null;
        NtStatus st = Resolve(fo, type, create: false, out ContextSlots? slots);
        return st.IsSuccess() ? ContextCalls.Get(slots, ContextSlot, Filter.Manager, out context) : st;
    }

    private NtStatus SetOn<T>(FileObject? fo, ContextType type, ContextSetOperation operation, FltContext newContext, bool wantOld, out T? oldContext) where T : FltContext
    {
        oldContext = null;
        if (ContextsDeleted) return NtStatus.FltDeletingObject;
        NtStatus st = Resolve(fo, type, create: true, out ContextSlots? slots);
        if (!st.IsSuccess()) return st;
        return ContextCalls.Set(slots!, ContextSlot, Filter, this, type, operation, newContext, wantOld, out oldContext);
    }

    private NtStatus DeleteOn(FileObject? fo, ContextType type, bool wantOld, out FltContext? oldContext)
    {
        oldContext = null;
        NtStatus st = Resolve(fo, type, create: false, out ContextSlots? slots);
        return st.IsSuccess() ? ContextCalls.Delete(slots, ContextSlot, Filter.Manager, wantOld, out oldContext) : st;
    }

    /// <summary>FltGetStreamContext: referenced on success; STATUS_NOT_FOUND when none is set.</summary>
    public NtStatus GetStreamContext<T>(FileObject fileObject, out T? context) where T : FltContext => GetOn(fileObject, ContextType.Stream, out context);

    /// <summary>
    /// FltSetStreamContext. REPLACE_IF_EXISTS attaches <paramref name="newContext"/> (the previous one comes back in
    /// <paramref name="oldContext"/>, referenced, or is dropped); KEEP_IF_EXISTS fails with STATUS_FLT_CONTEXT_ALREADY_DEFINED
    /// when one exists, giving it back referenced. STATUS_FLT_CONTEXT_ALREADY_LINKED when the new context was set before.
    /// The caller always releases its own reference on <paramref name="newContext"/>.
    /// </summary>
    public NtStatus SetStreamContext<T>(FileObject fileObject, ContextSetOperation operation, T newContext, out T? oldContext) where T : FltContext
        => SetOn(fileObject, ContextType.Stream, operation, newContext, true, out oldContext);

    public NtStatus SetStreamContext(FileObject fileObject, ContextSetOperation operation, FltContext newContext)
        => SetOn<FltContext>(fileObject, ContextType.Stream, operation, newContext, false, out _);

    /// <summary>FltDeleteStreamContext: with <paramref name="oldContext"/> the context comes back referenced.</summary>
    public NtStatus DeleteStreamContext(FileObject fileObject, out FltContext? oldContext) => DeleteOn(fileObject, ContextType.Stream, true, out oldContext);
    public NtStatus DeleteStreamContext(FileObject fileObject) => DeleteOn(fileObject, ContextType.Stream, false, out _);

    public NtStatus GetFileContext<T>(FileObject fileObject, out T? context) where T : FltContext => GetOn(fileObject, ContextType.File, out context);
    public NtStatus SetFileContext<T>(FileObject fileObject, ContextSetOperation operation, T newContext, out T? oldContext) where T : FltContext
        => SetOn(fileObject, ContextType.File, operation, newContext, true, out oldContext);
    public NtStatus SetFileContext(FileObject fileObject, ContextSetOperation operation, FltContext newContext)
        => SetOn<FltContext>(fileObject, ContextType.File, operation, newContext, false, out _);
    public NtStatus DeleteFileContext(FileObject fileObject, out FltContext? oldContext) => DeleteOn(fileObject, ContextType.File, true, out oldContext);
    public NtStatus DeleteFileContext(FileObject fileObject) => DeleteOn(fileObject, ContextType.File, false, out _);

    public NtStatus GetStreamHandleContext<T>(FileObject fileObject, out T? context) where T : FltContext => GetOn(fileObject, ContextType.StreamHandle, out context);
    public NtStatus SetStreamHandleContext<T>(FileObject fileObject, ContextSetOperation operation, T newContext, out T? oldContext) where T : FltContext
        => SetOn(fileObject, ContextType.StreamHandle, operation, newContext, true, out oldContext);
    public NtStatus SetStreamHandleContext(FileObject fileObject, ContextSetOperation operation, FltContext newContext)
        => SetOn<FltContext>(fileObject, ContextType.StreamHandle, operation, newContext, false, out _);
    public NtStatus DeleteStreamHandleContext(FileObject fileObject, out FltContext? oldContext) => DeleteOn(fileObject, ContextType.StreamHandle, true, out oldContext);
    public NtStatus DeleteStreamHandleContext(FileObject fileObject) => DeleteOn(fileObject, ContextType.StreamHandle, false, out _);

    /// <summary>Transaction contexts do not exist on Linux (no KTM).</summary>
    public NtStatus GetTransactionContext(object? transaction, out FltContext? context) { context = null; return NtStatus.NotSupported; }
    public NtStatus SetTransactionContext(object? transaction, ContextSetOperation operation, FltContext newContext) => NtStatus.NotSupported;

    /// <summary>FltSupportsStreamContexts / FltSupportsFileContexts(Ex) / FltSupportsStreamHandleContexts: true once the object is open.</summary>
    public bool SupportsStreamContexts(FileObject fileObject) => Resolve(fileObject, ContextType.Stream, false, out _).IsSuccess();
    public bool SupportsFileContexts(FileObject fileObject) => SupportsStreamContexts(fileObject);
    public bool SupportsStreamHandleContexts(FileObject fileObject) => Resolve(fileObject, ContextType.StreamHandle, false, out _).IsSuccess();

    /// <summary>
    /// FltGetContexts: every context of <paramref name="desired"/> that is set for this instance on the objects of an
    /// operation (missing ones stay null), each referenced; release them together with <see cref="RelatedContexts.Release"/>.
    /// </summary>
    public void GetContexts(FileObject? fileObject, ContextType desired, out RelatedContexts contexts)
    {
        contexts = default;
        if ((desired & ContextType.Volume) != 0) Filter.GetVolumeContext(Volume, out contexts.VolumeContext);
        if ((desired & ContextType.Instance) != 0) GetInstanceContext(out contexts.InstanceContext);
        if (fileObject is null) return;
        if ((desired & ContextType.File) != 0) GetFileContext(fileObject, out contexts.FileContext);
        if ((desired & ContextType.Stream) != 0) GetStreamContext(fileObject, out contexts.StreamContext);
        if ((desired & ContextType.StreamHandle) != 0) GetStreamHandleContext(fileObject, out contexts.StreamHandleContext);
    }

    /// <summary>Automatic deletion at detach, in the spec's order: stream handle, stream, file, instance (the volume context follows in the caller).</summary>
    internal void DeleteContextsAtTeardown()
    {
        CloseSectionsAtTeardown();
        ContextsDeleted = true;
        int slot = ContextSlot;
        if (slot < 0) return;
        foreach (FileObject fo in Volume.HandleContextObjects()) fo.HandleContexts?.Delete(slot);
        StreamState[] streams = Volume.Streams.Snapshot();
        foreach (StreamState s in streams) s.Stream.Delete(slot);
        foreach (StreamState s in streams) s.File.Delete(slot);
        instanceContexts.Delete(0);
    }
}
