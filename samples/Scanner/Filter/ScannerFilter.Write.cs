// Pre-write and pre-cleanup on handles that carry the stream-handle context (opened with write access and found safe):
// writes are scanned before they reach the file, and the file is scanned again when the handle goes.
namespace Altitude.Samples.Scanner;

public sealed partial class ScannerFilter
{
    /// <summary>The rescans at cleanup that found the file unsafe (the WDK only prints a debug message).</summary>
    public int CleanupHits => cleanupHits;
    private int cleanupHits;

    // Cleanup may come when asking the file system is no longer safe: the cache answers then.
    private const NameOptions CleanupNameQuery = NameOptions.Normalized | NameOptions.QueryAlwaysAllowCacheLookup;

    /// <summary>
    /// ScannerPreWrite: the first min(Length, 1024) bytes of the data go to the scanner. Unsafe data fails the write
    /// with STATUS_ACCESS_DENIED (EACCES), except paging I/O (here the kernel writing back cached pages), which has
    /// no caller to refuse.
    /// </summary>
    private PreOperationStatus PreWrite(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        if (objects.FileObject is not { } fo) return PreOperationStatus.SuccessNoCallback;
        // The WDK scans only while a scanner is connected; Closed mode refuses without one as well.
        if (Volatile.Read(ref clientPort) is null && settings.FailMode == ScannerFailMode.Open) return PreOperationStatus.SuccessNoCallback;
        if (!objects.Instance!.GetStreamHandleContext(fo, out ScannerStreamHandleContext? context).IsSuccess()) return PreOperationStatus.SuccessNoCallback;
        context!.Release();   // only its presence matters

        ref WriteParameters write = ref data.Iopb.Parameters.Write;
        int length = (int)Math.Min(write.Length, (uint)write.WriteBuffer.Length);
        if (length == 0) return PreOperationStatus.SuccessNoCallback;
        // Paging I/O is never refused, so it is not scanned either (no round trip whose verdict would be ignored).
        bool paging = (data.Iopb.IrpFlags & IoParameterBlock.IrpPagingIo) != 0;
        if (paging) return PreOperationStatus.SuccessNoCallback;
        if (Allows(ScanBytes(write.WriteBuffer.Span[..length]))) return PreOperationStatus.SuccessNoCallback;
        data.IoStatus = new IoStatusBlock(NtStatus.AccessDenied, 0);
        return PreOperationStatus.Complete;
    }

    /// <summary>ScannerPreCleanup: a handle that could write is scanned once more; a hit is only reported (the file stays).</summary>
    private PreOperationStatus PreCleanup(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        if (objects.FileObject is not { } fo) return PreOperationStatus.SuccessNoCallback;
        Instance instance = objects.Instance!;
        if (!instance.GetStreamHandleContext(fo, out ScannerStreamHandleContext? context).IsSuccess()) return PreOperationStatus.SuccessNoCallback;
        using var held = ContextReference.Of(context);
        if (!context!.RescanRequired) return PreOperationStatus.SuccessNoCallback;
        if (ScanFile(instance, fo) == ScanVerdict.Unsafe)
        {
            Interlocked.Increment(ref cleanupHits);
            // DbgPrint's role; the name is asked for only to say which file.
            if (data.GetFileNameInformation(CleanupNameQuery, out FileNameInformation? name).IsSuccess())
            {
                Console.Error.WriteLine($"Scanner: found bad data in {name!.Name} on cleanup");
                name.Release();
            }
        }
        return PreOperationStatus.SuccessNoCallback;
    }
}
