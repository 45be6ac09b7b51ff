// Assertions a filter author needs most, framework-agnostic: each throws FilterAssertionException with what was
// expected and what happened.
namespace Altitude.Testing;

public sealed class FilterAssertionException : Exception
{
    public FilterAssertionException(string message, NtStatus status = NtStatus.Success) : base(message) => Status = status;

    /// <summary>The status of the operation that failed the assertion (STATUS_SUCCESS when there was none).</summary>
    public NtStatus Status { get; }
}

public static class FilterAssert
{
    /// <summary>
    /// The open was denied: it failed with <paramref name="expected"/> (default STATUS_ACCESS_DENIED, what a filter's
    /// pre-create or FltCancelFileOpen returns; EACCES to a program on the mount).
    /// </summary>
    public static void OpenDenied(FilterTestVolume volume, string path, int openFlags = OpenFlags.O_RDONLY, NtStatus expected = NtStatus.AccessDenied)
    {
        NtStatus st = volume.TryOpen(path, openFlags, out TestHandle? handle);
        if (st.IsSuccess())
        {
            handle!.Dispose();
            throw new FilterAssertionException($"open {path} was expected to fail with {expected.Describe()}, but it succeeded");
        }
        if (st != expected) throw new FilterAssertionException($"open {path} was expected to fail with {expected.Describe()}, but it failed with {st.Describe()}", st);
    }

    /// <summary>The open succeeded (and is closed again).</summary>
    public static void OpenAllowed(FilterTestVolume volume, string path, int openFlags = OpenFlags.O_RDONLY)
    {
        NtStatus st = volume.TryOpen(path, openFlags, out TestHandle? handle);
        if (!st.IsSuccess()) throw new FilterAssertionException($"open {path} was expected to succeed, but it failed with {st.Describe()}", st);
        handle!.Dispose();
    }

    /// <summary>The recorder saw a rename from <paramref name="from"/> to <paramref name="to"/> (names from the volume root), that succeeded.</summary>
    public static RecordedOperation RenameSeen(OperationRecorder recorder, string from, string to)
    {
        from = "/" + from.TrimStart('/');
        to = "/" + to.TrimStart('/');
        foreach (RecordedOperation op in recorder.Operations)
            if (op.MajorFunction == MajorFunction.SetInformation && op.DestinationName == to && op.Status.IsSuccess()
                && (op.Name == from || op.Name == to))   // the post-op's name may already be the new one
                return op;
        var seen = string.Join("; ", recorder.Operations.Where(o => o.DestinationName is not null).Select(o => $"{o.Name} -> {o.DestinationName} ({o.Status.Describe()})"));
        throw new FilterAssertionException($"no successful rename {from} -> {to} was recorded; renames seen: {(seen.Length == 0 ? "none" : seen)}");
    }

    /// <summary>
    /// Every context <paramref name="filter"/> allocated has been freed (call it once the handles are closed), and the
    /// verifier found no leaked reference.
    /// </summary>
    public static void ContextsFreed(FilterTestVolume volume, Filter filter)
    {
        int live = filter.ContextCount;
        if (live != 0) throw new FilterAssertionException($"filter {filter.Name} still has {live} context(s) allocated and not freed");
        var leaks = volume.VerifierReports.Where(r => r.Kind == VerifierReportKind.LeakedContextReference && r.FilterName == filter.Name).ToArray();
        if (leaks.Length > 0) throw new FilterAssertionException("the verifier reported leaked context references: " + string.Join("; ", leaks.Select(r => r.ToString())));
    }

    /// <summary>The verifier reported nothing at all.</summary>
    public static void NoVerifierReports(FilterTestVolume volume)
    {
        var reports = volume.VerifierReports;
        if (reports.Count > 0) throw new FilterAssertionException("the verifier reported: " + string.Join("; ", reports.Select(r => r.ToString())));
    }
}
