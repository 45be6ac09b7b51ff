// avscan (WDK avscan user/avscan.c): six workers take scan requests from the scan port, an abort thread takes
// AbortScanning from the abort port. Per request: reply with the worker's thread id, ask for a section of the
// file (a read-only descriptor arrives as the HANDLE), search it for the signature, and close the section with
// the verdict (Undetermined if the scan was aborted meanwhile). Quits on 'q' from stdin, or when the filter unloads.
//
// Test hook: with AVSCAN_SCAN_GATE set to a FIFO path, each worker prints "scan <id> waiting" and opens that FIFO
// for reading before it searches, so a test decides when the search runs (after it made a conflicting write).
using System.Buffers.Binary;
using System.Text;
using Altitude.FilterLib;
using Altitude.Samples.AvScan;

const int Workers = 6;
// "message to be found", stored XOR-encoded with 90 so this program never contains the signature itself.
byte[] encoded = { 0x37, 0x3F, 0x29, 0x29, 0x3B, 0x3D, 0x3F, 0x7A, 0x2E, 0x35, 0x7A, 0x38, 0x3F, 0x7A, 0x3C, 0x35, 0x2F, 0x34, 0x3E };
byte[] signature = new byte[encoded.Length];
for (int i = 0; i < encoded.Length; i++) signature[i] = (byte)(encoded[i] ^ 90);
string? gate = Environment.GetEnvironmentVariable("AVSCAN_SCAN_GATE");

FilterPortHandle scanPort, abortPort;
try
{
    scanPort = FltLib.FilterConnectCommunicationPort(AvScanPorts.Scan, 0, Context(AvConnectionType.Scan));
    abortPort = FltLib.FilterConnectCommunicationPort(AvScanPorts.Abort, 0, Context(AvConnectionType.Abort));
}
catch (FilterException e)
{
    Console.WriteLine($"Failed to connect to filter: 0x{(uint)e.HResult:X8}");
    return 1;
}

var aborted = new bool[Workers];
var threadIds = new uint[Workers];
using var quit = new CancellationTokenSource();
var tasks = new Task[Workers + 1];
for (int w = 0; w < Workers; w++)
{
    int worker = w;
    threadIds[worker] = (uint)(worker + 1);
    tasks[worker] = Task.Run(() => WorkerAsync(worker));
}
tasks[Workers] = Task.Run(AbortLoopAsync);

// A whole line (the WDK prompt has none), so line readers see it.
Console.WriteLine("press 'q' to quit: ");
Console.Out.Flush();
_ = Task.Run(() =>
{
    int c;
    while ((c = Console.In.Read()) >= 0 && c != 'q') { }
    quit.Cancel();
});
quit.Token.WaitHandle.WaitOne();   // 'q', or the filter unloaded
scanPort.Dispose();
abortPort.Dispose();
return 0;

static byte[] Context(AvConnectionType type)
{
    var b = new byte[4];
    BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)type);
    return b;
}

async Task WorkerAsync(int worker)
{
    var buffer = new byte[FilterMessageHeader.Size + AvScannerNotification.Size];
    while (!quit.IsCancellationRequested)
    {
        int hr;
        int bytes = 0;
        try { bytes = await FltLib.FilterGetMessageAsync(scanPort, buffer, quit.Token); hr = 0; }
        catch (FilterException e) { hr = e.HResult; }
        catch (OperationCanceledException) { return; }
        if (hr == HResults.InvalidHandle)
        {
            Console.WriteLine("Port is disconnected, probably due to scanner filter unloading.");
            quit.Cancel();
            return;
        }
        if (hr != 0) { Console.WriteLine($"UNEXPECTED ERROR: 0x{(uint)hr:X8}"); continue; }
        var header = FilterMessageHeader.Read(buffer);
        var note = AvScannerNotification.Read(buffer.AsSpan(FilterMessageHeader.Size));
        if (note.Message == AvScanMessage.FilterUnloading) { quit.Cancel(); return; }
        aborted[worker] = false;
        var reply = new byte[FilterReplyHeader.Size + 4];
        new FilterReplyHeader { Status = 0, MessageId = header.MessageId }.Write(reply);
        BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(FilterReplyHeader.Size), threadIds[worker]);
        if (FltLib.TryFilterReplyMessage(scanPort, reply) < 0) continue;
        Console.WriteLine($"scan {note.ScanId} thread {threadIds[worker]} reason {note.Reason}");
        AvScanResult result = ScanFile(worker, note.ScanId);
        var close = new byte[AvCommandMessage.Size];
        new AvCommandMessage { Command = AvCommand.CloseSectionForDataScan, ScanId = note.ScanId, ScanThreadId = threadIds[worker], Result = result }.Write(close);
        hr = FltLib.TryFilterSendMessage(scanPort, close, Memory<byte>.Empty, out _);
        Console.WriteLine($"scan {note.ScanId} result {result} close 0x{(uint)hr:X8}");
    }
}

AvScanResult ScanFile(int worker, long scanId)
{
    var command = new byte[AvCommandMessage.Size];
    new AvCommandMessage { Command = AvCommand.CreateSectionForDataScan, ScanId = scanId, ScanThreadId = threadIds[worker] }.Write(command);
    var output = new byte[8];
    int hr = FltLib.TryFilterSendMessage(scanPort, command, output, out int n);
    if (hr < 0 || n < 8) { Console.WriteLine($"scan {scanId} section 0x{(uint)hr:X8}"); return AvScanResult.Undetermined; }
    long fd = BinaryPrimitives.ReadInt64LittleEndian(output);
    if (fd < 0) return AvScanResult.Undetermined;
    using var section = new Microsoft.Win32.SafeHandles.SafeFileHandle((nint)fd, ownsHandle: true);
    if (gate is not null)
    {
        Console.WriteLine($"scan {scanId} waiting");
        Console.Out.Flush();
        using (File.OpenRead(gate)) { }   // blocks until the test opens the FIFO for writing
    }
    long length = RandomAccess.GetLength(section);
    var data = new byte[length];
    int read = 0;
    while (read < length)
    {
        int r = RandomAccess.Read(section, data.AsSpan(read), read);
        if (r <= 0) break;
        read += r;
    }
    if (Volatile.Read(ref aborted[worker])) return AvScanResult.Undetermined;
    return data.AsSpan(0, read).IndexOf(signature) >= 0 ? AvScanResult.Infected : AvScanResult.Clean;
}

async Task AbortLoopAsync()
{
    var buffer = new byte[FilterMessageHeader.Size + AvScannerNotification.Size];
    while (!quit.IsCancellationRequested)
    {
        try { await FltLib.FilterGetMessageAsync(abortPort, buffer, quit.Token); }
        catch (FilterException) { return; }
        catch (OperationCanceledException) { return; }
        var note = AvScannerNotification.Read(buffer.AsSpan(FilterMessageHeader.Size));
        if (note.Message != AvScanMessage.AbortScanning) continue;
        for (int w = 0; w < Workers; w++)
            if (threadIds[w] == note.ScanThreadId) Volatile.Write(ref aborted[w], true);
        Console.WriteLine($"abort {note.ScanId} thread {note.ScanThreadId}");
    }
}
