// scanuser: the Scanner sample's user-mode service. Connects to \ScannerPort, keeps threads x requests asynchronous gets
// outstanding, and lets that many worker threads take the completions: each message is searched for "foul" and answered
// with SafeToOpen. Exit codes as the WDK's: 1 bad arguments, 2 no connection; 0 when the port goes away (filter unloaded).
using System.Globalization;
using Altitude.FilterLib;
using Altitude.Samples.Scanner;
using Altitude.Samples.Scanner.User;

const int DefaultRequestCount = 5, DefaultThreadCount = 2, MaxThreadCount = 64;
// The port closes a client with more gets outstanding than this (ClientPort.MaxOutstandingGets).
const int MaxOutstandingGets = 4096;

int requestCount = DefaultRequestCount, threadCount = DefaultThreadCount;
if (args.Length > 2 || (args.Length >= 1 && !TryCount(args[0], out requestCount)) || (args.Length == 2 && !TryCount(args[1], out threadCount))
    || threadCount > MaxThreadCount || (long)requestCount * threadCount > MaxOutstandingGets)
{
    Console.WriteLine("Connects to the scanner filter and scans buffers ");
    Console.WriteLine("Usage: scanuser [requests per thread] [number of threads(1-64)]");
    return 1;
}
// Test mode (README): receive and print, never reply, so a test can catch a scan in the middle.
bool replies = Environment.GetEnvironmentVariable("ALTITUDE_SCANUSER_NO_REPLY") != "1";

Console.WriteLine("Scanner: Connecting to the filter ...");
int hr = FltLib.TryFilterConnectCommunicationPort(ScannerProtocol.PortName, 0, default, out FilterPortHandle? port);
if (hr < 0)
{
    Console.WriteLine($"ERROR: Connecting to filter port: 0x{(uint)hr:x8}");
    return 2;
}

using (port)
{
    var queue = new CompletionQueue();
    var workers = new ScanWorker[threadCount];
    var threads = new Thread[threadCount];
    for (int i = 0; i < threadCount; i++)
    {
        workers[i] = new ScanWorker(port!, queue, replies);
        threads[i] = new Thread(workers[i].Run) { Name = $"scanuser worker {i}" };
        threads[i].Start();
        for (int j = 0; j < requestCount; j++) new MessageSlot(queue).Post(port!);
    }
    Console.WriteLine($"Scanner: Port = {ScannerProtocol.PortName}, {threadCount} threads, {requestCount * threadCount} messages posted");
    hr = HResults.S_OK;
    foreach (var t in threads) t.Join();
}
Console.WriteLine($"Scanner:  All done. Result = 0x{(uint)hr:x8}");
return 0;

// atoi's role, strictly: a whole number above 0.
static bool TryCount(string text, out int value) =>
    int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0;
