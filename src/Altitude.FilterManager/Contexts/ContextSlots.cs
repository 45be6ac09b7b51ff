// Where an object keeps its contexts: one slot per instance (per filter for volume contexts), indexed by the
// instance's slot number, so a lookup is an array read under an uncontended lock and allocates nothing.
namespace Altitude;

/// <summary>The contexts of one type on one object (a stream, a file, a file object, a volume).</summary>
internal sealed class ContextSlots
{
    private FltContext?[] items;

    public ContextSlots(int capacity = 4) => items = new FltContext?[Math.Max(capacity, 1)];

    /// <summary>True once nothing may be set any more (the object is going away).</summary>
    public bool Closed { get; private set; }

    /// <summary>The context in <paramref name="slot"/>, referenced; null when none is set.</summary>
    public FltContext? Get(int slot)
    {
        lock (this)
        {
            FltContext?[] a = items;
            if ((uint)slot >= (uint)a.Length) return null;
            FltContext? c = a[slot];
            c?.AddReference();
            return c;
        }
    }

    /// <summary>FltSet*Context on this object (the rules are in spec section 3).</summary>
    public NtStatus Set(int slot, ContextSetOperation operation, FltContext context, out FltContext? oldContext)
    {
        oldContext = null;
        lock (this)
        {
            if (Closed) return NtStatus.FltDeletingObject;
            if (context.WasLinked) return NtStatus.FltContextAlreadyLinked;
            if (slot >= items.Length) Array.Resize(ref items, Math.Max(slot + 1, items.Length * 2));
            FltContext? existing = items[slot];
            if (existing is not null && operation == ContextSetOperation.KeepIfExists)
            {
                existing.AddReference();
                oldContext = existing;
                return NtStatus.FltContextAlreadyDefined;
            }
            context.AddReference();   // the object's reference
            context.Owner = this;
            context.OwnerIndex = slot;
            context.WasLinked = true;
            items[slot] = context;
            if (existing is not null)
            {
                existing.Owner = null;
                // The object's reference on the old context moves to the caller, or is dropped below.
                oldContext = existing;
            }
        }
        return NtStatus.Success;
    }

    /// <summary>Unlinks the context in <paramref name="slot"/>; the object's reference is returned to the caller.</summary>
    public FltContext? Remove(int slot)
    {
        lock (this)
        {
            if ((uint)slot >= (uint)items.Length) return null;
            FltContext? c = items[slot];
            if (c is null) return null;
            items[slot] = null;
            c.Owner = null;
            return c;
        }
    }

    /// <summary>Unlinks <paramref name="context"/> if it is still here; true when the caller now owns the object's reference.</summary>
    public bool Unlink(FltContext context)
    {
        lock (this)
        {
            if (!ReferenceEquals(context.Owner, this) || !ReferenceEquals(items[context.OwnerIndex], context)) return false;
            items[context.OwnerIndex] = null;
            context.Owner = null;
            return true;
        }
    }

    /// <summary>Marks the object as going away; later Sets fail with STATUS_FLT_DELETING_OBJECT.</summary>
    public void Close()
    {
        lock (this) Closed = true;
    }

    /// <summary>True when no context is set (lets the owner drop the whole structure).</summary>
    public bool IsEmpty
    {
        get
        {
            lock (this)
            {
                foreach (var c in items) if (c is not null) return false;
                return true;
            }
        }
    }

    /// <summary>Deletes the context of one slot (drops the object's reference; cleanup runs at 0).</summary>
    public void Delete(int slot) => Remove(slot)?.ReleaseReference();

    /// <summary>Deletes every context (the object went away).</summary>
    public void DeleteAll()
    {
        FltContext?[] snapshot;
        lock (this)
        {
            Closed = true;
            snapshot = (FltContext?[])items.Clone();
        }
        for (int i = 0; i < snapshot.Length; i++) if (snapshot[i] is not null) Delete(i);
    }
}
