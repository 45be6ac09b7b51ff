// A context: filter state attached to a volume, instance, file, stream or stream handle (spec section 3).
// Reference counted: allocation gives 1, each Get/Reference adds one, the object it is set on holds one.
// When the count reaches 0 the cleanup callback runs, then the free callback (or nothing: the GC frees it).
namespace Altitude;

/// <summary>
/// PFLT_CONTEXT. Derive from it for typed state (<c>sealed class StreamContext : FltContext { public int Opens; }</c>)
/// and allocate with <see cref="Filter.AllocateContext{T}"/>; <see cref="Data"/> holds the registered bytes for
/// filters that keep raw state. Every reference a call hands out must be released once: explicitly with
/// <see cref="Release"/>, or by a <see cref="ContextReference{T}"/> in a <c>using</c>.
/// </summary>
public class FltContext
{
    private int referenceCount;
    private byte[]? data;
    // The slot holding the object's reference while the context is set; guarded by the slot's lock.
    internal ContextSlots? Owner;
    internal int OwnerIndex;
    internal bool WasLinked;
    internal ContextRegistration? Registration;
    internal List<VerifierRecord>? VerifierRecords;   // verifier mode only
    // A section context's open section (CreateSectionForDataScan until CloseSectionForDataScan); under the instance's section lock.
    internal DataScanSection? Section;

    public Filter Filter { get; internal set; } = null!;
    public ContextType ContextType { get; internal set; }
    /// <summary>The size asked for at allocation.</summary>
    public int Size { get; internal set; }
    /// <summary>The instance whose object the context was set on (null until set; the volume context has none).</summary>
    public Instance? Instance { get; internal set; }

    /// <summary>The context's bytes (zeroed, <see cref="Size"/> long): the raw memory a C filter would get.</summary>
    public Span<byte> Data => data ??= new byte[Size];

    /// <summary>Current reference count (diagnostics and tests).</summary>
    public int ReferenceCount => Volatile.Read(ref referenceCount);

    /// <summary>True while the context is set on an object.</summary>
    public bool IsLinked => Volatile.Read(ref Owner) is not null;

    internal void Initialize(Filter filter, ContextType type, int size, ContextRegistration registration)
    {
        Filter = filter;
        ContextType = type;
        Size = size;
        Registration = registration;
        referenceCount = 1;
    }

    /// <summary>FltReferenceContext: one more reference, released with <see cref="Release"/>.</summary>
    public void Reference()
    {
        AddReference();
        Filter.Manager.Verifier.ReferenceTaken(this, 2);
    }

    /// <summary>FltReleaseContext: drops one reference; at 0 the cleanup callback runs, then the context is freed.</summary>
    public void Release()
    {
        Filter.Manager.Verifier.ReferenceReleased(this);
        ReleaseReference();
    }

    /// <summary>
    /// FltDeleteContext: unlinks the context from its object (Gets no longer find it) and drops the object's
    /// reference. The caller must hold a reference, and still releases it.
    /// </summary>
    public void Delete()
    {
        ContextSlots? owner = Volatile.Read(ref Owner);
        if (owner is not null && owner.Unlink(this)) ReleaseReference();
    }

    internal void AddReference() => Interlocked.Increment(ref referenceCount);

    /// <summary>Drops a reference the engine (an object) or a filter held; runs cleanup and free at 0.</summary>
    internal void ReleaseReference()
    {
        int left = Interlocked.Decrement(ref referenceCount);
        if (left > 0) return;
        if (left < 0)
        {
            Filter.Manager.ReportFault(Instance, null, $"a {ContextType} context was released more times than it was referenced", null, Filter);
            return;
        }
        ContextRegistration? reg = Registration;
        try
        {
            reg?.CleanupCallback?.Invoke(this, ContextType);
            reg?.FreeCallback?.Invoke(this, ContextType);
        }
        catch (Exception e)
        {
            Filter.Manager.ReportFault(Instance, null, $"cleanup of a {ContextType} context threw", e, Filter);
        }
        Filter.ContextFreed();
        Filter.Manager.Verifier.ContextFreed(this);
    }

    public override string ToString() => $"{ContextType} context of {Filter?.Name} (refs {ReferenceCount})";
}

/// <summary>
/// One context reference, released when disposed: <c>using var stream = ContextReference.Of(ctx);</c>. A ref struct,
/// so it cannot be stored in a field or captured and outlive the scope that owns the reference; call
/// <see cref="Detach"/> to keep the reference (it must then be released explicitly).
/// </summary>
public ref struct ContextReference<T> where T : FltContext
{
    private T? context;

    public ContextReference(T? context) => this.context = context;

    /// <summary>The referenced context, or null (nothing to release).</summary>
    public readonly T? Context => context;

    /// <summary>Gives up ownership: the caller now releases the returned context itself.</summary>
    public T? Detach()
    {
        T? c = context;
        context = null;
        return c;
    }

    /// <summary>Releases the reference (once; later calls do nothing).</summary>
    public void Dispose()
    {
        T? c = context;
        context = null;
        c?.Release();
    }
}

/// <summary>Helpers for <see cref="ContextReference{T}"/>.</summary>
public static class ContextReference
{
    /// <summary>Takes ownership of a reference the caller holds (from Allocate, Get, Set's old context...).</summary>
    public static ContextReference<T> Of<T>(T? context) where T : FltContext => new(context);
}

/// <summary>FLT_RELATED_CONTEXTS: the contexts <see cref="Instance.GetContexts"/> found, each referenced.</summary>
public struct RelatedContexts
{
    public FltContext? VolumeContext;
    public FltContext? InstanceContext;
    public FltContext? FileContext;
    public FltContext? StreamContext;
    public FltContext? StreamHandleContext;
    /// <summary>Always null: no KTM on Linux.</summary>
    public FltContext? TransactionContext;

    /// <summary>FltReleaseContexts: releases every context present and clears the fields.</summary>
    public void Release()
    {
        VolumeContext?.Release(); VolumeContext = null;
        InstanceContext?.Release(); InstanceContext = null;
        FileContext?.Release(); FileContext = null;
        StreamContext?.Release(); StreamContext = null;
        StreamHandleContext?.Release(); StreamHandleContext = null;
        TransactionContext = null;
    }
}
