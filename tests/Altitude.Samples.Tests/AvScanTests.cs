// The WDK avscan sample end to end (spec section 7): fltmgrd loads the AvScan package on a real mount, avscan runs as
// its own process and scans through the section descriptors the filter hands it over SCM_RIGHTS; cat and sh use the
// mount. avscan's lines come through one stdout pipe, in which a line written earlier always arrives earlier.
using Altitude.FilterLib;
using static Altitude.Samples.Tests.AvScanSetup;

namespace Altitude.Samples.Tests;

public class AvScanTests
{
    private const string Signature = "message to be found";
    // Long enough that only a verdict, an abort or a disconnect can end a scan in these tests, never the timeout.
    private const string NoTimeout = "\"LocalScanTimeout\": \"600000\"";

    [MountFact]
    public void AnInfectedFileIsRefusedWithEaccesACleanOneIsReadAndAKnownVerdictIsNotScannedAgain()
    {
        using var d = new DaemonProcess();
        File.WriteAllText(d.B("infected.txt"), $"some text, {Signature}, more text\n");
        File.WriteAllText(d.B("clean.txt"), "nothing to see here\n");
        File.WriteAllText(d.B("third.bin"), "also clean\n");
        Serve(d);
        using var avscan = StartAvScan(d);

        var infected = Tool.Run("cat", d.M("infected.txt"));
        Assert.True(infected.ExitCode == 1, infected.ToString());
        Assert.Contains($"{d.M("infected.txt")}: Permission denied", infected.Error);   // STATUS_VIRUS_INFECTED
        long first = ScanId(avscan.WaitForOutput(ScanLine("OnOpen"), "the infected file's scan"));
        avscan.WaitForOutput(Result(first, "Infected"), "the infected verdict");

        var clean = Tool.Run("cat", d.M("clean.txt"));
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.Equal("nothing to see here\n", clean.Output);
        avscan.WaitForOutputCount(l => l.Contains(" result Clean ", StringComparison.Ordinal), 1, "the clean verdict");

        // Refused again from the stream's state: no second scan. The third file's scan is the marker that every
        // line the second open could have caused is already read.
        var again = Tool.Run("cat", d.M("infected.txt"));
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Equal(0, Tool.Run("cat", d.M("third.bin")).ExitCode);
        avscan.WaitForOutputCount(l => l.Contains(" result Clean ", StringComparison.Ordinal), 2, "the third file's verdict");
        Assert.Equal(3, avscan.CountOutput(ScanLine("OnOpen")));
        Assert.Equal($"some text, {Signature}, more text\n", File.ReadAllText(d.B("infected.txt")));   // refused, not harmed
    }

    [MountFact]
    public void AFileModifiedToCarryTheSignatureIsScannedAtCleanupAndRefusedAtItsNextOpen()
    {
        using var d = new DaemonProcess();
        File.WriteAllText(d.B("later.txt"), "clean for now\n");
        Serve(d);
        using var avscan = StartAvScan(d);

        Assert.Equal(0, Tool.Run("cat", d.M("later.txt")).ExitCode);
        // The open was clean and the write goes through; the writer's cleanup scans what it wrote.
        var write = Tool.Shell($"echo '{Signature}' >> '{d.M("later.txt")}'");
        Assert.True(write.ExitCode == 0, write.ToString());
        long cleanup = ScanId(avscan.WaitForOutput(ScanLine("OnCleanup"), "the cleanup scan"));
        // FUSE's RELEASE is asynchronous: this open may come while the cleanup scan runs, and then waits for its verdict.
        var again = Tool.Run("cat", d.M("later.txt"));
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Contains("Permission denied", again.Error);
        avscan.WaitForOutput(Result(cleanup, "Infected"), "the cleanup verdict");
    }

    [MountFact]
    public void ASecondOpenDuringAScanWaitsForThatScansVerdictInsteadOfPassing()
    {
        using var d = new DaemonProcess();
        string gate = MakeGate(d);
        File.WriteAllText(d.B("bad.txt"), Signature + "\n");
        Serve(d);
        // avscan goes first in a failure: its disconnect answers the opens, which a killed cat cannot leave while the daemon holds them.
        var avscan = StartAvScan(d, gate);
        Tool? first = null, second = null;
        try
        {
            first = Tool.Start("cat", d.M("bad.txt"));
            long scan = ScanId(avscan.WaitForOutput(ScanLine("OnOpen"), "the first open's scan"));
            avscan.WaitForOutput(Waiting(scan), "the scan held at the gate");
            second = Tool.Start("cat", d.M("bad.txt"));
            // The second open is in the kernel's open until the scan it waits for ends (it would pass if it did not wait).
            WaitUntilInFuseRequest(second);
            Release(gate);
            var a = first.Wait();
            var b = second.Wait();
            Assert.True(a.ExitCode == 1, a.ToString());
            Assert.True(b.ExitCode == 1, b.ToString());
            avscan.WaitForOutput(Result(scan, "Infected"), "the verdict");
            Assert.Equal(1, avscan.CountOutput(ScanLine("OnOpen")));   // the second open took the first one's verdict
        }
        finally
        {
            avscan.Dispose();
            first?.Dispose();
            second?.Dispose();
        }
    }

    [MountFact]
    public void AWriteDuringACleanupScanAbortsItAndTheQueryPortSeesTheFileModified()
    {
        using var d = new DaemonProcess();
        string gate = MakeGate(d);
        File.WriteAllText(d.B("busy.txt"), "clean data\n");
        Serve(d);
        using var avscan = StartAvScan(d, gate);
        Assert.Equal(0, TryConnect(d, @"\MicrosoftAvSampleFilterQueryPort", 3, out var query));
        using var queryPort = query!;

        // A handle opened (and scanned clean) before the modification, to write with during the cleanup scan.
        var opening = Task.Run(() => new FileStream(d.M("busy.txt"), FileMode.Append, FileAccess.Write));
        long openScan = ScanId(avscan.WaitForOutput(ScanLine("OnOpen"), "the open's scan"));
        avscan.WaitForOutput(Waiting(openScan), "the open's scan at the gate");
        Release(gate);
        Assert.True(opening.Wait(ProgramProcess.TimeoutMilliseconds));
        using var writer = opening.Result;
        avscan.WaitForOutput(Result(openScan, "Clean"), "the open's verdict");

        var append = Tool.Shell($"echo x >> '{d.M("busy.txt")}'");
        Assert.True(append.ExitCode == 0, append.ToString());
        long cleanup = ScanId(avscan.WaitForOutput(ScanLine("OnCleanup"), "the appender's cleanup scan"));
        avscan.WaitForOutput(Waiting(cleanup), "the cleanup scan at the gate");
        Assert.Equal(0, IsFileModified(queryPort, cleanup));   // Scanning: nothing changed since it started

        writer.Seek(0, SeekOrigin.End);   // after the appender's line (FileMode.Append is not O_APPEND)
        writer.Write("more\n"u8);
        writer.Flush();   // a WRITE through the mount: the conflicting I/O
        avscan.WaitForOutput(l => l == $"[UserScanListenAbortProc]: {cleanup} aborted", "the abort of the cleanup scan");
        Assert.Equal(1, IsFileModified(queryPort, cleanup));
        Release(gate);
        avscan.WaitForOutput(Result(cleanup, "Undetermined"), "the aborted scan's verdict");

        // The writer's own cleanup scans the file it modified (the aborted verdict was not kept).
        writer.Dispose();
        long last = ScanId(avscan.WaitForOutputCount(ScanLine("OnCleanup"), 2, "the writer's cleanup scan")[1]);
        avscan.WaitForOutput(Waiting(last), "the writer's cleanup scan at the gate");
        Release(gate);
        avscan.WaitForOutput(Result(last, "Clean"), "the final verdict");
        Assert.Equal("clean data\nx\nmore\n", File.ReadAllText(d.B("busy.txt")));
    }

    [MountFact]
    public void KillingAvscanDuringAScanLetsTheWaitingOpenThroughAtOnce()
    {
        using var d = new DaemonProcess();
        string gate = MakeGate(d);
        File.WriteAllText(d.B("bad.txt"), Signature + "\n");
        Serve(d);
        var avscan = StartAvScan(d, gate);
        Tool? cat = null;
        try
        {
            cat = Tool.Start("cat", d.M("bad.txt"));
            long scan = ScanId(avscan.WaitForOutput(ScanLine("OnOpen"), "the scan"));
            avscan.WaitForOutput(Waiting(scan), "the scan at the gate");
            avscan.Signal("KILL");
            avscan.WaitForExit();
            // The scanner's disconnect ends the scan Undetermined (the timeout is 10 minutes): the WDK lets the open succeed.
            var r = cat.Wait();
            Assert.True(r.ExitCode == 0, r.ToString());
        }
        finally
        {
            avscan.Dispose();
            cat?.Dispose();
        }

        // The stream stayed Modified: a new avscan scans it at the next open, which is refused.
        using var again = StartAvScan(d);
        var refused = Tool.Run("cat", d.M("bad.txt"));
        Assert.True(refused.ExitCode == 1, refused.ToString());
        again.WaitForOutput(l => l.Contains(" result Infected ", StringComparison.Ordinal), "the new scanner's verdict");
    }

    [MountFact]
    public void AFileOpenedWithNoScannerConnectedIsAllowedAndScannedAtItsNextOpen()
    {
        using var d = new DaemonProcess();
        File.WriteAllText(d.B("bad.txt"), Signature + "\n");
        Serve(d);
        var before = Tool.Run("cat", d.M("bad.txt"));
        Assert.True(before.ExitCode == 0, before.ToString());   // no scanner: Undetermined, the open goes on (the WDK)
        using var avscan = StartAvScan(d);
        var after = Tool.Run("cat", d.M("bad.txt"));
        Assert.True(after.ExitCode == 1, after.ToString());
    }

    [MountFact]
    public void UnloadingTheFilterTellsAvscanWhichStopsItsWorkersRepliesAndExits()
    {
        using var d = new DaemonProcess();
        Serve(d);
        using var avscan = StartAvScan(d);
        using var fltmc = new Fltmc(d.ControlSocket);
        Assert.Equal([""], fltmc.Ok("unload", "AvScan"));
        avscan.WaitForOutput(l => l == Unloading, "the unloading message");
        Assert.Equal(0, avscan.WaitForExit());
        Assert.Equal(UserScanWorkers, avscan.CountOutput(l => l.StartsWith("***Thread id ", StringComparison.Ordinal)));
        var lines = avscan.Output;
        int lastWorker = -1;
        for (int i = 0; i < lines.Count; i++) if (lines[i].StartsWith("***Thread id ", StringComparison.Ordinal)) lastWorker = i;
        Assert.True(lastWorker < IndexOf(lines, Unloading), avscan.Transcript);   // workers stopped before the reply
    }

    [MountFact]
    public void ConnectsWithoutAKnownConnectionTypeAreRefusedAndEachPortTakesOneClient()
    {
        using var d = new DaemonProcess();
        Serve(d);
        const int InvalidParameter = unchecked((int)0x80070057);   // STATUS_INVALID_PARAMETER_3
        Assert.Equal(InvalidParameter, TryConnect(d, @"\MicrosoftAvSampleFilterQueryPort", 7, out var h7));
        Assert.Equal(InvalidParameter, TryConnect(d, @"\MicrosoftAvSampleFilterScanPort", 0, out var h0));
        Assert.Equal(InvalidParameter, FltLib.TryFilterConnectCommunicationPort(@"\MicrosoftAvSampleFilterAbortPort", 0, default, out var hNone, d.PortDirectory));
        Assert.Null(h7);
        Assert.Null(h0);
        Assert.Null(hNone);
        Assert.Equal(0, TryConnect(d, @"\MicrosoftAvSampleFilterQueryPort", 3, out var q1));
        using var first = q1!;
        Assert.Equal(unchecked((int)0x800704D6), TryConnect(d, @"\MicrosoftAvSampleFilterQueryPort", 3, out var q2));   // MaxConnections 1
        Assert.Null(q2);
    }

    [MountFact]
    public void TheCommandsRefuseShortMessagesUnknownCommandsUnknownScansBadResultsAndSectionCommandsFromAnyoneButTheScanner()
    {
        using var d = new DaemonProcess();
        Serve(d);
        Assert.Equal(0, TryConnect(d, @"\MicrosoftAvSampleFilterQueryPort", 3, out var q));
        using var port = q!;
        const int InvalidParameter = unchecked((int)0x80070057), NotFound = unchecked((int)0x80070490), AccessDenied = unchecked((int)0x80070005);
        var output = new byte[8];
        Assert.Equal(InvalidParameter, FltLib.TryFilterSendMessage(port, Command(0, 1).AsSpan(0, 31), output, out _));
        Assert.Equal(InvalidParameter, FltLib.TryFilterSendMessage(port, Command(9, 1), output, out _));
        Assert.Equal(NotFound, FltLib.TryFilterSendMessage(port, Command(0, 12345), output, out _));
        Assert.Equal(InvalidParameter, FltLib.TryFilterSendMessage(port, Command(0, 12345), Memory<byte>.Empty, out _));   // no room for the BOOLEAN
        // The section commands are the scanner's: refused on the query port before anything else is looked at.
        Assert.Equal(AccessDenied, FltLib.TryFilterSendMessage(port, Command(1, 12345), output, out _));
        Assert.Equal(AccessDenied, FltLib.TryFilterSendMessage(port, Command(2, 12345, result: 2), output, out _));
        // On the scan port (this test is its client: no avscan runs).
        Assert.Equal(0, TryConnect(d, @"\MicrosoftAvSampleFilterScanPort", 1, out var s));
        using var scanPort = s!;
        Assert.Equal(NotFound, FltLib.TryFilterSendMessage(scanPort, Command(1, 12345), output, out _));
        Assert.Equal(InvalidParameter, FltLib.TryFilterSendMessage(scanPort, Command(1, 12345), new byte[4], out _));   // no room for the HANDLE
        Assert.Equal(InvalidParameter, FltLib.TryFilterSendMessage(scanPort, Command(2, 12345, result: 7), output, out _));
        Assert.Equal(NotFound, FltLib.TryFilterSendMessage(scanPort, Command(2, 12345, result: 2), output, out _));
    }

    private const int UserScanWorkers = 6;

    /// <summary>The shipped package with the long timeout, the main volume, and the daemon serving it.</summary>
    private static void Serve(DaemonProcess d)
    {
        Configure(d, parameters: NoTimeout);
        d.StartServing();
    }

    private static int IsFileModified(FilterPortHandle port, long scanId)
    {
        var output = new byte[1];
        int hr = FltLib.TryFilterSendMessage(port, Command(0, scanId), output, out int n);
        Assert.Equal(0, hr);
        Assert.Equal(1, n);
        return output[0];
    }

    private static int IndexOf(IReadOnlyList<string> lines, string line)
    {
        for (int i = 0; i < lines.Count; i++) if (lines[i] == line) return i;
        return -1;
    }

    /// <summary>
    /// Waits until <paramref name="tool"/> waits for the daemon's answer to a FUSE request (its kernel stack, root
    /// only, shows request_wait_answer): the open of the mount, not one of the loader's opens before it. A process's
    /// kernel state has no notification, so the condition is spun on (SpinWait.SpinUntil, as MountTestBase.WaitUntil);
    /// the bound only turns a condition that never holds into a failure.
    /// </summary>
    private static void WaitUntilInFuseRequest(Tool tool)
    {
        string stack = "";
        bool waiting = SpinWait.SpinUntil(() => tool.HasExited || (stack = KernelStack(tool.Id)).Contains("request_wait_answer", StringComparison.Ordinal),
            ProgramProcess.TimeoutMilliseconds);
        if (tool.HasExited) Assert.Fail($"process {tool.Id} ended before it waited in a FUSE request: {tool.Wait()}");
        Assert.True(waiting, $"process {tool.Id} never waited in a FUSE request: {stack}");
    }

    private static string KernelStack(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stack"); }
        catch (IOException) { return ""; }
    }
}
