// UserScanWorker: one thread, one get outstanding on the scan port at a time (the WDK's six overlapped gets on an IOCP
// with six threads). Per StartScanning: reply with the thread id, CreateSectionForDataScan, search, CloseSectionForDataScan.
using System.Buffers.Binary;
using Altitude.FilterLib;
using Microsoft.Win32.SafeHandles;

namespace Altitude.Samples.AvScan.User;

internal sealed class ScanWorker
{
    private const int ChunkSize = 64 * 1024;
    private const int MaxConsecutiveFailures = 16;
    private readonly FilterPortHandle port;
    private readonly string? gate;
    private readonly object gateLock = new();   // Aborted and ScanId, as the WDK's per-thread lock
    private long scanId;
    private bool aborted;
    private volatile bool finalized;

    public ScanWorker(FilterPortHandle port, string? gate)
    {
        this.port = port;
        this.gate = gate;
    }

    /// <summary>The thread id the worker replies with (what AbortScanning names).</summary>
    public uint ThreadId { get; private set; }

    /// <summary>Aborts the scan this worker runs if it is <paramref name="id"/>; <paramref name="current"/> is the one it runs.</summary>
    public bool TryAbort(long id, out long current)
    {
        lock (gateLock)
        {
            current = scanId;
            if (scanId != id) return false;
            aborted = true;
            return true;
        }
    }

    /// <summary>Finalized and aborted: the worker stops after its current scan (which ends Undetermined).</summary>
    public void Cancel()
    {
        finalized = true;
        lock (gateLock) aborted = true;
    }

    private bool Aborted
    {
        get { lock (gateLock) return aborted; }
    }

    public void Run()
    {
        ThreadId = (uint)Environment.CurrentManagedThreadId;
        Console.WriteLine($"Current thread id:{ThreadId}");
        var buffer = new byte[FilterMessageHeader.Size + AvScannerNotification.Size];
        var reply = new byte[FilterReplyHeader.Size + 4];
        int failures = 0;
        while (!finalized)
        {
            int hr = FltLib.TryFilterGetMessage(port, buffer, out _);
            if (hr == HResults.OperationAborted || hr == HResults.InvalidHandle) break;   // closed by Shutdown, or the filter went away
            if (hr < 0)
            {
                Console.WriteLine($"UNEXPECTED ERROR: 0x{(uint)hr:X8}");
                if (++failures == MaxConsecutiveFailures) break;   // a lasting error: stop rather than spin
                continue;
            }
            failures = 0;
            var header = FilterMessageHeader.Read(buffer);
            var note = AvScannerNotification.Read(buffer.AsSpan(FilterMessageHeader.Size));
            if (note.Message != AvScanMessage.StartScanning) continue;
            lock (gateLock)
            {
                aborted = false;
                scanId = note.ScanId;
            }
            new FilterReplyHeader { Status = 0, MessageId = header.MessageId }.Write(reply);
            BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(FilterReplyHeader.Size), ThreadId);
            if (FltLib.TryFilterReplyMessage(port, reply) < 0) continue;   // the filter gave up on this scan
            Console.WriteLine($"scan {note.ScanId} thread {ThreadId} reason {note.Reason}");
            AvScanResult result = Scan(note.ScanId);
            var close = new byte[AvCommandMessage.Size];
            new AvCommandMessage { Command = AvCommand.CloseSectionForDataScan, ScanId = note.ScanId, ScanThreadId = ThreadId, Result = result }.Write(close);
            hr = FltLib.TryFilterSendMessage(port, close, Memory<byte>.Empty, out _);
            Console.WriteLine($"scan {note.ScanId} result {result} close 0x{(uint)hr:X8}");
        }
        Console.WriteLine($"***Thread id {ThreadId} exiting");
    }

    /// <summary>The section's descriptor, searched in chunks (overlapping by the signature's length) with an abort check between them.</summary>
    private AvScanResult Scan(long id)
    {
        var command = new byte[AvCommandMessage.Size];
        new AvCommandMessage { Command = AvCommand.CreateSectionForDataScan, ScanId = id, ScanThreadId = ThreadId }.Write(command);
        var output = new byte[8];
        int hr = FltLib.TryFilterSendMessage(port, command, output, out int n);
        if (hr < 0 || n < 8)
        {
            Console.WriteLine($"scan {id} section 0x{(uint)hr:X8}");
            return AvScanResult.Undetermined;
        }
        long fd = BinaryPrimitives.ReadInt64LittleEndian(output);
        if (fd < 0) return AvScanResult.Undetermined;
        using var section = new SafeFileHandle((nint)fd, ownsHandle: true);
        if (gate is not null)
        {
            Console.WriteLine($"scan {id} waiting");
            using (File.OpenRead(gate)) { }   // blocks until the test opens the FIFO for writing
        }
        ReadOnlySpan<byte> signature = Signature.Bytes;
        var chunk = new byte[ChunkSize + signature.Length - 1];
        long offset = 0;
        int carried = 0;
        while (true)
        {
            if (Aborted) return AvScanResult.Undetermined;
            int read;
            try { read = RandomAccess.Read(section, chunk.AsSpan(carried, ChunkSize), offset); }
            catch (IOException) { return AvScanResult.Undetermined; }
            if (read <= 0) break;
            int valid = carried + read;
            if (chunk.AsSpan(0, valid).IndexOf(signature) >= 0) return AvScanResult.Infected;
            offset += read;
            carried = Math.Min(signature.Length - 1, valid);
            chunk.AsSpan(valid - carried, carried).CopyTo(chunk);
        }
        return Aborted ? AvScanResult.Undetermined : AvScanResult.Clean;
    }
}
