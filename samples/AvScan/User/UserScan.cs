// USER_SCAN_CONTEXT: the two connections, the workers and the abort listener, and the orderly stop (UserScanFinalize,
// UserScanSynchronizedCancel).
using System.Buffers.Binary;
using Altitude.FilterLib;

namespace Altitude.Samples.AvScan.User;

internal sealed class UserScan
{
    public const int WorkerCount = 6;   // USER_SCAN_THREAD_COUNT
    private static readonly TimeSpan WorkerStopTimeout = TimeSpan.FromSeconds(5);

    private readonly FilterPortHandle scanPort, abortPort;
    private readonly ScanWorker[] workers = new ScanWorker[WorkerCount];
    private readonly Thread[] threads = new Thread[WorkerCount];
    private readonly ManualResetEventSlim quit = new();
    private int finalized;

    private UserScan(FilterPortHandle scanPort, FilterPortHandle abortPort, string? gate)
    {
        this.scanPort = scanPort;
        this.abortPort = abortPort;
        for (int i = 0; i < WorkerCount; i++) workers[i] = new ScanWorker(scanPort, gate);
    }

    /// <summary>AvConnectForScan and AvConnectForAbort: the connection context names the port's use.</summary>
    public static UserScan Connect(string? gate)
    {
        var scanPort = FltLib.FilterConnectCommunicationPort(AvScanPorts.Scan, 0, ConnectionContext(AvConnectionType.Scan));
        try
        {
            var abortPort = FltLib.FilterConnectCommunicationPort(AvScanPorts.Abort, 0, ConnectionContext(AvConnectionType.Abort));
            return new UserScan(scanPort, abortPort, gate);
        }
        catch
        {
            scanPort.Dispose();
            throw;
        }
    }

    public static byte[] ConnectionContext(AvConnectionType type)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)type);
        return b;
    }

    public void Start()
    {
        for (int i = 0; i < WorkerCount; i++)
        {
            threads[i] = new Thread(workers[i].Run) { IsBackground = true, Name = $"avscan worker {i}" };
            threads[i].Start();
        }
        new Thread(ListenAbort) { IsBackground = true, Name = "avscan abort" }.Start();
    }

    public void RequestQuit() => quit.Set();

    public void WaitForQuit() => quit.Wait();

    /// <summary>UserScanFinalize: stop the workers (their gets fail once the port is closed), then close both ports.</summary>
    public void Shutdown()
    {
        if (Interlocked.Exchange(ref finalized, 1) != 0) return;   // once: q, SIGTERM, or after FilterUnloading
        Console.WriteLine("=================finalize");
        CancelWorkers();
        Console.WriteLine("[UserScanFinalize]: Closing connection port");
        abortPort.Dispose();
    }

    /// <summary>UserScanSynchronizedCancel: every worker aborted and finalized, the scan port closed, the workers joined.</summary>
    private void CancelWorkers()
    {
        foreach (var w in workers) w.Cancel();
        scanPort.Dispose();
        // A worker stuck in a scan (a hung read) must not keep the program from exiting: one bound for all joins.
        var deadline = DateTime.UtcNow + WorkerStopTimeout;
        foreach (var t in threads)
        {
            var left = deadline - DateTime.UtcNow;
            t?.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }
    }

    /// <summary>
    /// UserScanListenAbortProc: AbortScanning sets Aborted on the worker with that thread id, if it still runs that
    /// scan; FilterUnloading stops the workers, replies, and ends the program.
    /// </summary>
    private void ListenAbort()
    {
        var buffer = new byte[FilterMessageHeader.Size + AvScannerNotification.Size];
        while (true)
        {
            int hr = FltLib.TryFilterGetMessage(abortPort, buffer, out _);
            if (hr < 0)
            {
                // The filter went away without FilterUnloading; or Shutdown closed the port (nothing to say then).
                if (hr == HResults.InvalidHandle && Volatile.Read(ref finalized) == 0)
                    Console.WriteLine("Port is disconnected, probably due to scanner filter unloading.");
                quit.Set();
                return;
            }
            var header = FilterMessageHeader.Read(buffer);
            var note = AvScannerNotification.Read(buffer.AsSpan(FilterMessageHeader.Size));
            Console.WriteLine($"[UserScanListenAbortProc]: Got message {header.MessageId}. ");
            if (note.Message == AvScanMessage.AbortScanning)
            {
                Console.WriteLine("[UserScanListenAbortProc]: User Set AvMsgAbortScanning");
                foreach (var w in workers)
                {
                    if (w.ThreadId != note.ScanThreadId) continue;
                    if (w.TryAbort(note.ScanId, out long current)) Console.WriteLine($"[UserScanListenAbortProc]: {note.ScanId} aborted");
                    else Console.WriteLine($"[UserScanListenAbortProc]: tried to abort {note.ScanId}, but current scan in this thread is {current}");
                }
            }
            else if (note.Message == AvScanMessage.FilterUnloading)
            {
                Interlocked.Exchange(ref finalized, 1);
                CancelWorkers();
                Console.WriteLine("The filter is unloading, exit!");
                var reply = new byte[FilterReplyHeader.Size + 4];
                new FilterReplyHeader { Status = 0, MessageId = header.MessageId }.Write(reply);
                BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(FilterReplyHeader.Size), (uint)Environment.CurrentManagedThreadId);
                FltLib.TryFilterReplyMessage(abortPort, reply);
                abortPort.Dispose();
                quit.Set();
                return;
            }
        }
    }
}
