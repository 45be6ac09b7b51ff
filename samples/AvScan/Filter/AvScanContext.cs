// AV_SCAN_CONTEXT: one scan in progress, found by its ScanId when avscan's commands come back (MessageNotify). Not a
// Filter Manager context: the filter keeps it in its own table for the length of the scan.
namespace Altitude.Samples.AvScan;

internal sealed class AvScanContext
{
    public required Instance Instance { get; init; }
    public required FileObject FileObject { get; init; }
    public required AvStreamContext Stream { get; init; }
    public required long ScanId { get; init; }
    /// <summary>CancelableOnConflictingIo: only a cleanup scan is aborted by a write (an open scan must decide its open).</summary>
    public required bool Cancelable { get; init; }
    /// <summary>The avscan worker that took it (its reply to StartScanning); 0 until then.</summary>
    public volatile uint ScanThreadId;

    private readonly ManualResetEventSlim done = new();
    private DataScanSection? section;   // under this
    private bool finished;              // under this
    private AvScanResult result;
    private int abortSent;

    public AvScanResult Result => result;

    /// <summary>Waits for the verdict (CloseSectionForDataScan, or the scan ended from outside). False on timeout.</summary>
    public bool Wait(TimeSpan timeout) => done.Wait(timeout);

    /// <summary>
    /// AvHandleCmdCreateSectionForDataScan's core: a section for this scan, unless it already has one or has ended
    /// (STATUS_CANCELLED: the waiting open or cleanup gave up). The section holds its own reference on the context.
    /// </summary>
    public NtStatus CreateSection(Filter filter, out DataScanSection? created)
    {
        created = null;
        lock (this)
        {
            if (finished) return NtStatus.Cancelled;
            if (section is not null) return NtStatus.InvalidParameter;
            NtStatus st = filter.AllocateContext(ContextType.Section, 8, out AvSectionContext? context);
            if (!st.IsSuccess()) return st;
            using var held = ContextReference.Of(context);
            st = Instance.CreateSectionForDataScan(FileObject, context!, out section);
            created = section;
            return st;
        }
    }

    /// <summary>Ends the scan once: closes its section (if any) and wakes the waiter. Later calls do nothing (false).</summary>
    public bool Finish(Filter filter, AvScanResult verdict)
    {
        lock (this)
        {
            if (finished) return false;
            finished = true;
            result = verdict;
            if (section is not null) filter.CloseSectionForDataScan(section.SectionContext);
            section = null;
        }
        done.Set();
        return true;
    }

    /// <summary>True the first time only: one AbortScanning per scan at a time.</summary>
    public bool TakeAbort() => Interlocked.Exchange(ref abortSent, 1) == 0;

    /// <summary>The abort did not reach avscan: the next caller of <see cref="TakeAbort"/> may send it again.</summary>
    public void ReturnAbort() => Volatile.Write(ref abortSent, 0);
}
