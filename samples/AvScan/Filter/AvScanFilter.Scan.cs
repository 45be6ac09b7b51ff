// One scan (AvScan / AvScanInUser): the stream's scan lock, StartScanning on the scan port, the wait for the verdict
// that CloseSectionForDataScan delivers, and the stream's new state. Failures and timeouts let the file through
// (Undetermined, as the WDK: "we let the create succeed"); the stream stays Modified, so the next open scans again.
using System.Buffers.Binary;

namespace Altitude.Samples.AvScan;

public sealed partial class AvScanFilter
{
    // The scans in progress by ScanId (Globals.ScanCtxListHead); its lock also guards unloading.
    private static readonly TimeSpan AbortTimeout = TimeSpan.FromSeconds(1);
    private readonly Dictionary<long, AvScanContext> scans = new();
    private bool unloading;
    private long nextScanId;

    /// <summary>
    /// Scans the stream if it needs it (Modified), after any scan already running on it: an open never passes while
    /// another thread's verdict on the same stream is pending. An empty file is clean without a scan.
    /// </summary>
    private void ScanIfNeeded(Instance instance, FileObject fo, AvStreamContext stream, AvScanReason reason)
    {
        // Known verdicts need no scan; a running one (Scanning) is waited for.
        if (stream.State is AvFileState.NotInfected or AvFileState.Infected) return;
        TimeSpan timeout = ScanTimeout(instance);
        // Bounded (the WDK waits without one), past the longest a running scan can take: its send and its verdict
        // (a timeout each) and its abort (1 s). Only a scan hung beyond its own bounds lets this open go unscanned.
        if (!stream.ScanLock.Wait(timeout * 2 + AbortTimeout + AbortTimeout)) return;
        try
        {
            if (!stream.TryMove(AvFileState.Modified, AvFileState.Scanning)) return;   // the scan we waited for decided
            // Whatever happens below, the stream leaves Scanning: a verdict, or Modified again (scan at the next open).
            AvFileState next = AvFileState.Modified;
            try
            {
                if (!instance.QueryInformationFile(fo, FileInformationClass.FileStandardInformation, out var info).IsSuccess()) return;
                if (info.EndOfFile == 0)
                {
                    next = AvFileState.NotInfected;
                    return;
                }
                next = RunScan(instance, fo, stream, reason, timeout) switch
                {
                    AvScanResult.Infected => AvFileState.Infected,
                    AvScanResult.Clean => AvFileState.NotInfected,
                    _ => AvFileState.Modified,
                };
            }
            finally
            {
                // A write since Scanning began moved the stream back to Modified: this verdict is then not kept.
                stream.TryMove(AvFileState.Scanning, next);
            }
        }
        finally { stream.ScanLock.Release(); }
    }

    /// <summary>StartScanning, the worker's thread id as the reply, then the verdict; Undetermined on any failure.</summary>
    private AvScanResult RunScan(Instance instance, FileObject fo, AvStreamContext stream, AvScanReason reason, TimeSpan timeout)
    {
        var scan = new AvScanContext
        {
            Instance = instance, FileObject = fo, Stream = stream,
            ScanId = Interlocked.Increment(ref nextScanId), Cancelable = reason == AvScanReason.OnCleanup,
        };
        lock (scans)
        {
            if (unloading) return AvScanResult.Undetermined;
            scans.Add(scan.ScanId, scan);
        }
        stream.RunningScan = scan;
        try
        {
            Span<byte> request = stackalloc byte[AvScannerNotification.Size];
            new AvScannerNotification { Message = AvScanMessage.StartScanning, Reason = reason, ScanId = scan.ScanId }.Write(request);
            Span<byte> reply = stackalloc byte[4];
            // No scanner connected (PORT_DISCONNECTED), a failed send, or none took it in time (STATUS_TIMEOUT, a success code).
            NtStatus st = filter.SendMessage(ref scanClient, request, reply, out int replyLength, timeout);
            if (!st.IsSuccess() || st == NtStatus.Timeout || replyLength < 4) return AvScanResult.Undetermined;
            scan.ScanThreadId = BinaryPrimitives.ReadUInt32LittleEndian(reply);
            if (!scan.Wait(timeout))
            {
                // The worker is stuck: tell it to stop (1 s, no reply), and end the scan here.
                SendAbort(scan);
                return AvScanResult.Undetermined;
            }
            return scan.Result;
        }
        finally
        {
            stream.RunningScan = null;
            lock (scans) scans.Remove(scan.ScanId);
            scan.Finish(filter, AvScanResult.Undetermined);   // closes a section avscan left open
        }
    }

    /// <summary>AvSendAbortToUser: AbortScanning {ScanId, ScanThreadId} on the abort port, 1 s, no reply; once per scan unless it failed.</summary>
    private void SendAbort(AvScanContext scan)
    {
        if (!scan.TakeAbort()) return;
        Span<byte> request = stackalloc byte[AvScannerNotification.Size];
        new AvScannerNotification { Message = AvScanMessage.AbortScanning, ScanId = scan.ScanId, ScanThreadId = scan.ScanThreadId }.Write(request);
        NtStatus st = filter.SendMessage(ref abortClient, request, AbortTimeout);
        if (!st.IsSuccess() || st == NtStatus.Timeout) scan.ReturnAbort();   // a later conflict or timeout may try again
    }

    /// <summary>
    /// Ends the scans of <paramref name="instance"/> (every scan when null) as Undetermined, after an abort to avscan
    /// (unless <paramref name="abort"/> is false: the scanner is gone): the instance's teardown, the filter's unload,
    /// or the scanner's disconnect do not wait for them.
    /// </summary>
    private void FinishScans(Instance? instance, bool abort = true)
    {
        AvScanContext[] running;
        lock (scans)
        {
            running = new AvScanContext[scans.Count];
            scans.Values.CopyTo(running, 0);
        }
        foreach (var scan in running)
        {
            if (instance is not null && scan.Instance != instance) continue;
            if (abort) SendAbort(scan);
            scan.Finish(filter, AvScanResult.Undetermined);
        }
    }

    private static TimeSpan ScanTimeout(Instance instance)
    {
        if (!instance.GetInstanceContext(out AvInstanceContext? context).IsSuccess()) return TimeSpan.FromSeconds(30);
        using var held = ContextReference.Of(context);
        return context!.ScanTimeout;
    }
}
