// FLT_CONTEXT_REGISTRATION and the values around it (spec section 3). A filter lists one row per context type
// (and size) it allocates; the engine checks the table once at FltRegisterFilter and matches allocations against it.
namespace Altitude;

/// <summary>FLT_CONTEXT_TYPE. Each object holds at most one context of each type per instance (per filter for volumes).</summary>
[Flags]
public enum ContextType : ushort
{
    None = 0,
    Volume = 0x1,
    Instance = 0x2,
    /// <summary>Shared by all streams of a file. Linux files have one stream, so it lives and dies with the stream.</summary>
    File = 0x4,
    /// <summary>Shared by every open of a stream (a node, FUSE nodeid).</summary>
    Stream = 0x8,
    /// <summary>One per file object (one open, FUSE fh).</summary>
    StreamHandle = 0x10,
    /// <summary>KTM transactions do not exist on Linux: allocation and set answer STATUS_NOT_SUPPORTED.</summary>
    Transaction = 0x20,
    /// <summary>Allocated, then attached only by <see cref="Instance.CreateSectionForDataScan"/>; released, never deleted.</summary>
    Section = 0x40,
    /// <summary>FLT_ALL_CONTEXTS, for <see cref="Instance.GetContexts"/>.</summary>
    All = 0x7F,
}

/// <summary>FLTFL_CONTEXT_REGISTRATION_*.</summary>
[Flags]
public enum ContextRegistrationFlags
{
    None = 0,
    /// <summary>A fixed-size row also serves allocations smaller than its size.</summary>
    NoExactSizeMatch = 0x1,
}

/// <summary>FLT_SET_CONTEXT_OPERATION.</summary>
public enum ContextSetOperation
{
    /// <summary>Attach the new context; the previous one is unlinked (returned referenced if asked for).</summary>
    ReplaceIfExists = 0,
    /// <summary>Keep an existing context: STATUS_FLT_CONTEXT_ALREADY_DEFINED, with the existing one referenced if asked for.</summary>
    KeepIfExists = 1,
}

/// <summary>PFLT_CONTEXT_CLEANUP_CALLBACK: the last reference went away; the context is freed after it returns.</summary>
public delegate void ContextCleanupCallback(FltContext context, ContextType contextType);

/// <summary>PFLT_CONTEXT_ALLOCATE_CALLBACK: the filter makes the object itself (null = out of memory).</summary>
public delegate FltContext? ContextAllocateCallback(ContextType contextType, int size);

/// <summary>PFLT_CONTEXT_FREE_CALLBACK: called after cleanup for contexts made by a <see cref="ContextAllocateCallback"/>.</summary>
public delegate void ContextFreeCallback(FltContext context, ContextType contextType);

/// <summary>
/// One row of FLT_CONTEXT_REGISTRATION. <see cref="Size"/> is a byte count (what <see cref="FltContext.Data"/> holds)
/// or <see cref="VariableSize"/>. With allocate/free callbacks the size is ignored and no other row of the type is allowed.
/// </summary>
public sealed record ContextRegistration(
    ContextType ContextType,
    int Size,
    ContextCleanupCallback? CleanupCallback = null,
    ContextRegistrationFlags Flags = ContextRegistrationFlags.None,
    ContextAllocateCallback? AllocateCallback = null,
    ContextFreeCallback? FreeCallback = null)
{
    /// <summary>FLT_VARIABLE_SIZED_CONTEXTS.</summary>
    public const int VariableSize = -1;

    /// <summary>The largest context (MAXUSHORT).</summary>
    public const int MaximumSize = ushort.MaxValue;
}

/// <summary>The registration rows of one filter, grouped by type and validated (spec: one variable row, three fixed rows, first wins).</summary>
internal sealed class ContextRegistrationTable
{
    private readonly ContextRegistration?[][] byType = new ContextRegistration?[7][];

    private ContextRegistrationTable() { }

    internal static int TypeIndex(ContextType type) => type switch
    {
        ContextType.Volume => 0, ContextType.Instance => 1, ContextType.File => 2, ContextType.Stream => 3,
        ContextType.StreamHandle => 4, ContextType.Transaction => 5, ContextType.Section => 6, _ => -1,
    };

    /// <summary>Builds the table; STATUS_FLT_INVALID_CONTEXT_REGISTRATION for an unknown type, a bad size or a callback row mixed with others.</summary>
    public static NtStatus Build(IReadOnlyList<ContextRegistration> rows, out ContextRegistrationTable table)
    {
        table = new ContextRegistrationTable();
        var lists = new List<ContextRegistration>?[7];
        foreach (var row in rows)
        {
            int t = TypeIndex(row.ContextType);
            if (t < 0) return NtStatus.FltInvalidContextRegistration;
            bool callbacks = row.AllocateCallback is not null || row.FreeCallback is not null;
            if (callbacks && (row.AllocateCallback is null || row.FreeCallback is null)) return NtStatus.FltInvalidContextRegistration;
            if (!callbacks && row.Size != ContextRegistration.VariableSize && (row.Size < 1 || row.Size > ContextRegistration.MaximumSize))
                return NtStatus.FltInvalidContextRegistration;
            var list = lists[t] ??= new List<ContextRegistration>();
            if (callbacks ? list.Count != 0 : list.Exists(r => r.AllocateCallback is not null)) return NtStatus.FltInvalidContextRegistration;
            // Duplicates: the first row of a size wins; beyond one variable row and three fixed rows the table is invalid.
            if (list.Exists(r => r.Size == row.Size)) continue;
            list.Add(row);
            if (list.Count(r => r.Size == ContextRegistration.VariableSize) > 1 || list.Count(r => r.Size != ContextRegistration.VariableSize) > 3)
                return NtStatus.FltInvalidContextRegistration;
        }
        for (int t = 0; t < 7; t++) table.byType[t] = lists[t]?.ToArray() ?? Array.Empty<ContextRegistration>();
        return NtStatus.Success;
    }

    /// <summary>The row that serves an allocation of <paramref name="size"/> bytes: exact fixed size, then a larger NO_EXACT_SIZE_MATCH row, then the variable row.</summary>
    public ContextRegistration? Find(ContextType type, int size)
    {
        int t = TypeIndex(type);
        if (t < 0) return null;
        ContextRegistration?[] rows = byType[t];
        foreach (var r in rows) if (r!.AllocateCallback is not null) return r;
        foreach (var r in rows) if (r!.Size == size) return r;
        ContextRegistration? best = null;
        foreach (var r in rows)
            if (r!.Size > size && (r.Flags & ContextRegistrationFlags.NoExactSizeMatch) != 0 && (best is null || r.Size < best.Size)) best = r;
        if (best is not null) return best;
        foreach (var r in rows) if (r!.Size == ContextRegistration.VariableSize) return r;
        return null;
    }

    /// <summary>The cleanup callback of a type (contexts of one type share it, as every WDK sample registers).</summary>
    public bool Registers(ContextType type) => TypeIndex(type) is int t && t >= 0 && byType[t].Length != 0;
}
