// avscan (WDK avscan user/avscan.c, userscan.c): the scanning engine of the AvScan filter. Six worker threads take
// StartScanning from the scan port; an abort thread takes AbortScanning and FilterUnloading from the abort port.
// A scan: reply with the worker's thread id, ask for a section of the file (a read-only descriptor arrives as the
// HANDLE), search it for the signature, close the section with the verdict (Undetermined if aborted meanwhile).
// Quits on 'q' (or SIGTERM), and when the filter unloads. Exit codes: 0, or 255 when the ports cannot be connected.
//
// Test hook: with AVSCAN_SCAN_GATE set to a FIFO's path, each scan prints "scan <id> waiting" and opens the FIFO for
// reading before it searches, so a test decides when the search runs (after making a conflicting write, say).
using System.Runtime.InteropServices;
using Altitude.FilterLib;
using Altitude.Samples.AvScan;
using Altitude.Samples.AvScan.User;

string? gate = Environment.GetEnvironmentVariable("AVSCAN_SCAN_GATE");
UserScan scan;
try
{
    scan = UserScan.Connect(gate);
}
catch (FilterException e)
{
    Console.WriteLine("Failed to initialize user scan data");
    Console.WriteLine($"Error: 0x{(uint)e.HResult:X8}");
    return 255;
}

using var finalizeOnTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    scan.RequestQuit();
});
scan.Start();

// The WDK prompts before every character it reads; here before every line, and stdin's end stops only the prompting.
new Thread(() =>
{
    while (true)
    {
        Console.WriteLine("press 'q' to quit: ");
        string? line = Console.ReadLine();
        if (line is null) return;
        if (line.Trim() == "q") { scan.RequestQuit(); return; }
    }
}) { IsBackground = true, Name = "avscan console" }.Start();

scan.WaitForQuit();
scan.Shutdown();
return 0;
