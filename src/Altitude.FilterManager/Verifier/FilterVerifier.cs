// The verifier (Driver Verifier's filter checks, reduced to what a managed filter can get wrong): off by default
// because it captures a stack trace per reference; tests turn it on. It reports, through FilterManager.VerifierReported:
// - at instance detach and filter unload, every context reference the filter still holds, with where it was taken;
// - at the end of an operation, file-name information taken during it and never released.
using System.Diagnostics;
using System.Reflection;

namespace Altitude;

/// <summary>What the verifier found.</summary>
public enum VerifierReportKind
{
    /// <summary>A context reference was still held at detach or unload.</summary>
    LeakedContextReference,
    /// <summary>File-name information taken during an operation was not released when the operation ended.</summary>
    UnreleasedNameInformation,
}

/// <summary>One verifier finding: the filter, the context type (for contexts) and the stack where the reference was taken.</summary>
public sealed record VerifierReport(VerifierReportKind Kind, string FilterName, string? InstanceName, ContextType ContextType, string Where, string Message)
{
    public override string ToString() => $"verifier: {Kind} by filter {FilterName}" + (InstanceName is null ? "" : $", instance {InstanceName}")
        + (ContextType == ContextType.None ? "" : $", {ContextType} context") + $": {Message}; taken at {Where}";
}

/// <summary>One reference handed to a filter.</summary>
internal sealed class VerifierRecord
{
    public required Filter Filter;
    public required string Where;
    public bool Released;
}

/// <summary>The verifier of one Filter Manager.</summary>
internal sealed class FilterVerifier
{
    private static readonly Assembly Engine = typeof(FilterVerifier).Assembly;
    private readonly FilterManager manager;
    private readonly HashSet<FltContext> held = new();   // contexts with unreleased filter references

    public FilterVerifier(FilterManager manager, bool enabled)
    {
        this.manager = manager;
        Enabled = enabled;
    }

    public bool Enabled { get; }

    /// <summary>The first frame outside the engine: the filter code that took the reference.</summary>
    private static string Caller()
    {
        var trace = new StackTrace(2, fNeedFileInfo: true);
        foreach (StackFrame f in trace.GetFrames())
        {
            MethodBase? m = f.GetMethod();
            if (m?.DeclaringType is null || m.DeclaringType.Assembly == Engine) continue;
            string where = $"{m.DeclaringType.FullName}.{m.Name}";
            return f.GetFileName() is { } file ? $"{where} ({Path.GetFileName(file)}:{f.GetFileLineNumber()})" : where;
        }
        return "(engine)";
    }

    /// <summary>A reference on <paramref name="context"/> was handed to its filter.</summary>
    public void ReferenceTaken(FltContext context, int skip = 1)
    {
        if (!Enabled) return;
        var record = new VerifierRecord { Filter = context.Filter, Where = Caller() };
        lock (held)
        {
            (context.VerifierRecords ??= new()).Add(record);
            held.Add(context);
        }
    }

    /// <summary>The filter released one reference: the most recent one it took is considered given back.</summary>
    public void ReferenceReleased(FltContext context)
    {
        if (!Enabled) return;
        lock (held)
        {
            List<VerifierRecord>? records = context.VerifierRecords;
            if (records is null || records.Count == 0) return;
            records.RemoveAt(records.Count - 1);
            if (records.Count == 0) held.Remove(context);
        }
    }

    public void ContextFreed(FltContext context)
    {
        if (!Enabled) return;
        lock (held) held.Remove(context);
    }

    /// <summary>At detach: references still held on contexts set on this instance's objects.</summary>
    public void CheckInstance(Instance instance) => Check(c => ReferenceEquals(c.Instance, instance), instance.Name);

    /// <summary>At unload: every reference the filter still holds.</summary>
    public void CheckFilter(Filter filter) => Check(c => ReferenceEquals(c.Filter, filter), null);

    private void Check(Func<FltContext, bool> match, string? instanceName)
    {
        if (!Enabled) return;
        var found = new List<VerifierReport>();
        lock (held)
        {
            foreach (FltContext c in held.Where(match).ToArray())
            {
                foreach (VerifierRecord r in c.VerifierRecords!)
                    found.Add(new VerifierReport(VerifierReportKind.LeakedContextReference, c.Filter.Name, instanceName ?? c.Instance?.Name, c.ContextType, r.Where,
                        $"context reference never released (count {c.ReferenceCount})"));
                // Reported once: a later unload does not repeat what the detach found.
                c.VerifierRecords!.Clear();
                held.Remove(c);
            }
        }
        foreach (var report in found) manager.RaiseVerifierReport(report);
    }

    /// <summary>A name was handed to a filter during <paramref name="data"/> (null: the unsafe query, not tracked per operation).</summary>
    public void NameTaken(FileNameInformation name, Filter filter, CallbackData? data)
    {
        if (!Enabled) return;
        var record = new VerifierRecord { Filter = filter, Where = Caller() };
        lock (name)
        {
            (name.VerifierRecords ??= new()).Add(record);
        }
        if (data is not null) lock (data) (data.VerifierNames ??= new()).Add((name, record));
    }

    public void NameReleased(FileNameInformation name)
    {
        if (!Enabled) return;
        lock (name)
        {
            List<VerifierRecord>? records = name.VerifierRecords;
            if (records is null) return;
            for (int i = records.Count - 1; i >= 0; i--)
                if (!records[i].Released) { records[i].Released = true; records.RemoveAt(i); return; }
        }
    }

    /// <summary>At the end of an operation: names taken during it and still held.</summary>
    public void CheckOperation(CallbackData data)
    {
        if (!Enabled || data.VerifierNames is null) return;
        (FileNameInformation, VerifierRecord)[] taken;
        lock (data)
        {
            taken = data.VerifierNames.ToArray();
            data.VerifierNames.Clear();
        }
        foreach (var (name, record) in taken)
        {
            if (record.Released) continue;
            manager.RaiseVerifierReport(new VerifierReport(VerifierReportKind.UnreleasedNameInformation, record.Filter.Name, null, ContextType.None, record.Where,
                $"name '{name.Name}' not released by the end of IRP_MJ_{data.Iopb.MajorFunction}"));
        }
    }
}
