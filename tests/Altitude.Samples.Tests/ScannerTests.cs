// The WDK scanner sample end to end (spec section 7): fltmgrd loads the Scanner package and serves a real mount,
// scanuser runs as its own process connected to \ScannerPort, and cat, sh and dd use the mount. Orders and counts of
// scanuser's lines are read from its one stdout pipe, in which a line written earlier always arrives earlier.
using static Altitude.Samples.Tests.ScannerSetup;

namespace Altitude.Samples.Tests;

public class ScannerTests
{
    [MountFact]
    public void CatOfAFoulTextFileIsDeniedAndACleanOneIsReadWithTheVerdictsScanuserPrinted()
    {
        using var d = new DaemonProcess();
        File.WriteAllText(d.B("good.txt"), "all clean\n");
        File.WriteAllText(d.B("bad.txt"), "this is foul stuff\n");
        Configure(d);
        d.StartServing();
        using var scanuser = StartScanUser(d);

        var good = Tool.Run("cat", d.M("good.txt"));
        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.Equal("all clean\n", good.Output);
        scanuser.WaitForOutputCount(Is(Replied), 1, "the clean file's reply");
        Assert.Equal(0, scanuser.CountOutput(Is(Found)));

        var bad = Tool.Run("cat", d.M("bad.txt"));
        Assert.True(bad.ExitCode == 1, bad.ToString());
        Assert.Equal("", bad.Output);
        Assert.Contains($"{d.M("bad.txt")}: Permission denied", bad.Error);

        // One scan each: received, then (for the foul one) found, the verdict, and the reply.
        scanuser.WaitForOutputCount(Is(Replied), 2, "both replies");
        Assert.Equal(2, scanuser.CountOutput(Is(Received)));
        Assert.Equal(1, scanuser.CountOutput(Is(Found)));
        Assert.Equal(1, scanuser.CountOutput(Is(ReplySafe)));
        Assert.Equal(1, scanuser.CountOutput(Is(ReplyUnsafe)));
        var lines = scanuser.Output;
        int found = IndexOf(lines, Found);
        Assert.True(IndexOf(lines, Received) < found && found < IndexOf(lines, ReplyUnsafe), scanuser.Transcript);
        // Denied, not harmed: the file is still there below.
        Assert.Equal("this is foul stuff\n", File.ReadAllText(d.B("bad.txt")));
    }

    [MountFact]
    public void WritingFoulThroughAHandleWithWriteAccessFailsAndACleanWriteGoesThrough()
    {
        using var d = new DaemonProcess();
        File.WriteAllText(d.B("a.txt"), "start\n");
        Configure(d);
        d.StartServing();
        using var scanuser = StartScanUser(d);

        var foul = Tool.Shell($"printf foul | dd of='{d.M("a.txt")}' oflag=append conv=notrunc status=none");
        Assert.True(foul.ExitCode == 1, foul.ToString());
        Assert.Contains("Permission denied", foul.Error);
        var clean = Tool.Shell($"printf fine | dd of='{d.M("a.txt")}' oflag=append conv=notrunc status=none");
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.Equal("start\nfine", File.ReadAllText(d.B("a.txt")));

        // A new file: nothing to scan at its create, its first write is.
        var created = Tool.Shell($"printf 'a foul start' | dd of='{d.M("new.txt")}' status=none");
        Assert.True(created.ExitCode == 1, created.ToString());
        Assert.Contains("Permission denied", created.Error);
        Assert.Equal("", File.ReadAllText(d.B("new.txt")));
        scanuser.WaitForOutputCount(Is(Found), 2, "the two foul writes");

        // The rescan at cleanup: the file turned foul (below the mount) while a writable handle was open.
        var held = Tool.Shell($"exec 3>>'{d.M("a.txt")}'; printf foul >> '{d.B("a.txt")}'; exec 3>&-");
        Assert.True(held.ExitCode == 0, held.ToString());
        d.WaitForError(l => l == $"Scanner: found bad data in /dev/altitude/volume1/a.txt on cleanup", "the cleanup rescan's report");
    }

    [MountFact]
    public void FilesOfOtherExtensionsAreNeverSentToTheScanner()
    {
        using var d = new DaemonProcess();
        File.WriteAllText(d.B("t1.txt"), "clean\n");
        File.WriteAllText(d.B("x.bin"), "foul\n");
        File.WriteAllText(d.B("y.bin"), "clean\n");
        File.WriteAllText(d.B("s.txt"), "foul\n");
        Configure(d);
        d.StartServing();
        using var scanuser = StartScanUser(d);

        Assert.Equal(0, Tool.Run("cat", d.M("t1.txt")).ExitCode);
        var x = Tool.Run("cat", d.M("x.bin"));
        Assert.True(x.ExitCode == 0, x.ToString());
        Assert.Equal("foul\n", x.Output);
        Assert.Equal(0, Tool.Run("cat", d.M("y.bin")).ExitCode);
        Assert.Equal(1, Tool.Run("cat", d.M("s.txt")).ExitCode);

        // s.txt's "Found a string" follows every line the earlier opens caused: by then only the two .txt were received.
        scanuser.WaitForOutputCount(Is(Found), 1, "s.txt's hit");
        Assert.Equal(2, scanuser.CountOutput(Is(Received)));
    }

    [MountFact]
    public void KillingScanuserMidScanLetsTheOpenThroughWhenFailingOpen() => KillMidScan("Open", expectAllowed: true);

    [MountFact]
    public void KillingScanuserMidScanDeniesTheOpenWhenFailingClosed() => KillMidScan("Closed", expectAllowed: false);

    /// <summary>scanuser holds the message unanswered; SIGKILL after its Received line ends the wait by disconnection, never by a timeout.</summary>
    private static void KillMidScan(string failMode, bool expectAllowed)
    {
        using var d = new DaemonProcess();
        File.WriteAllText(d.B("held.txt"), "clean\n");
        File.WriteAllText(d.B("later.txt"), "foul\n");
        // Closed mode's own bound far above anything the test waits: only the disconnection can decide.
        Configure(d, parameters: failMode == "Closed" ? $$""" "FailMode": "Closed", "ScanTimeoutMs": 3600000 """ : """ "FailMode": "Open" """);
        d.StartServing();
        using var scanuser = StartScanUser(d, replies: false);

        using var cat = Tool.Start("cat", d.M("held.txt"));
        scanuser.WaitForOutput(Is(Received), "the held scan");
        Assert.False(cat.HasExited);   // it waits for the verdict that will not come
        scanuser.Signal("KILL");
        scanuser.WaitForExit();
        var r = cat.Wait();
        if (expectAllowed)
        {
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("clean\n", r.Output);
            // No scanner at all: a foul file opens too (the WDK's rule).
            var later = Tool.Run("cat", d.M("later.txt"));
            Assert.True(later.ExitCode == 0, later.ToString());
        }
        else
        {
            Assert.True(r.ExitCode == 1, r.ToString());
            Assert.Contains("Permission denied", r.Error);
            // No scanner at all: even a clean file is refused.
            var again = Tool.Run("cat", d.M("held.txt"));
            Assert.True(again.ExitCode == 1, again.ToString());
        }
    }

    [MountFact]
    public void AScanThatTimesOutIsDeniedWhenFailingClosed() => TimeOut("Closed", expectAllowed: false);

    [MountFact]
    public void AScanThatTimesOutIsAllowedWhenFailingOpen() => TimeOut("Open", expectAllowed: true);

    /// <summary>A scanner that never answers and a short ScanTimeoutMs: the timeout always fires, so only the outcome is asserted.</summary>
    private static void TimeOut(string failMode, bool expectAllowed)
    {
        using var d = new DaemonProcess();
        File.WriteAllText(d.B("f.txt"), "foul\n");
        Configure(d, parameters: $$""" "FailMode": "{{failMode}}", "ScanTimeoutMs": 500 """);
        d.StartServing();
        using var scanuser = StartScanUser(d, replies: false);

        // Whether the message reached scanuser before the bound is load-dependent (its gets may still be on their way), so
        // only the outcome is asserted: a timeout that did not fire would leave cat waiting, and Wait would fail.
        var r = Tool.Run("cat", d.M("f.txt"));
        if (expectAllowed) Assert.True(r.ExitCode == 0 && r.Output == "foul\n", r.ToString());
        else Assert.True(r.ExitCode == 1 && r.Error.Contains("Permission denied", StringComparison.Ordinal), r.ToString());
    }

    [MountFact]
    public void SixteenParallelReadersGetTheirOwnVerdicts()
    {
        using var d = new DaemonProcess();
        const int Files = 16;
        for (int i = 0; i < Files; i++) File.WriteAllText(d.B($"p{i:D2}.txt"), i % 2 == 1 ? $"file {i} is foul\n" : $"file {i} is clean\n");
        Configure(d);
        d.StartServing();
        using var scanuser = StartScanUser(d, true, "5", "4");

        var cats = new Tool[Files];
        try
        {
            for (int i = 0; i < Files; i++) cats[i] = Tool.Start("cat", d.M($"p{i:D2}.txt"));
            for (int i = 0; i < Files; i++)
            {
                var r = cats[i].Wait();
                if (i % 2 == 1)
                {
                    Assert.True(r.ExitCode == 1, $"p{i:D2}.txt: {r}");
                    Assert.Contains("Permission denied", r.Error);
                }
                else
                {
                    Assert.True(r.ExitCode == 0, $"p{i:D2}.txt: {r}");
                    Assert.Equal($"file {i} is clean\n", r.Output);
                }
            }
        }
        finally
        {
            foreach (var c in cats) c?.Dispose();
        }
        scanuser.WaitForOutputCount(Is(Replied), Files, "every reply");
        Assert.Equal(Files, scanuser.CountOutput(Is(Received)));
        Assert.Equal(Files / 2, scanuser.CountOutput(Is(Found)));
        Assert.Equal(Files / 2, scanuser.CountOutput(Is(ReplyUnsafe)));
    }

    [MountFact]
    public void UnloadingTheFilterDisconnectsScanuserWhichSaysSoAndExits()
    {
        using var d = new DaemonProcess();
        File.WriteAllText(d.B("bad.txt"), "foul\n");
        Configure(d);
        d.StartServing();
        using var scanuser = StartScanUser(d);
        Assert.Equal(1, Tool.Run("cat", d.M("bad.txt")).ExitCode);

        using var fltmc = new Fltmc(d.ControlSocket);
        Assert.Equal([""], fltmc.Ok("unload", "Scanner"));
        // Every worker thread (two by default) sees its pending gets fail with 0x80070006.
        scanuser.WaitForOutputCount(Is(Disconnected), 2, "each worker's disconnect message");
        scanuser.WaitForOutput(Is(AllDone), "the final line");
        Assert.Equal(0, scanuser.WaitForExit());
        var lines = scanuser.Output;
        Assert.Equal(AllDone, lines[^1]);
        // No filter any more: the file opens.
        Assert.Equal(0, Tool.Run("cat", d.M("bad.txt")).ExitCode);
    }

    [MountFact]
    public void WithoutTheFilterScanuserCannotConnectAndAfterFltmcLoadItCan()
    {
        using var d = new DaemonProcess();
        File.WriteAllText(d.B("bad.txt"), "foul\n");
        Configure(d, startType: "Demand");
        d.StartServing();
        using (var early = Start(d.PortDirectory, true))
        {
            Assert.Equal(2, early.WaitForExit());
            Assert.Contains("ERROR: Connecting to filter port: 0x80070002", early.Output);
        }
        using var fltmc = new Fltmc(d.ControlSocket);
        Assert.Equal([""], fltmc.Ok("load", "Scanner"));
        using var scanuser = StartScanUser(d);
        // The loaded filter scans through the connected scanuser.
        var r = Tool.Run("cat", d.M("bad.txt"));
        Assert.True(r.ExitCode == 1 && r.Error.Contains("Permission denied", StringComparison.Ordinal), r.ToString());
        scanuser.WaitForOutput(Is(Found), "bad.txt's scan");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("x")]
    [InlineData("5", "0")]
    [InlineData("5", "65")]
    [InlineData("5", "2", "1")]
    [InlineData("4097", "1")]
    public void BadArgumentsPrintTheUsageAndExitWithOne(params string[] args)
    {
        // No port anywhere: the arguments are refused before any connect.
        using var p = Start("/nonexistent-altitude-ports", true, args);
        Assert.Equal(1, p.WaitForExit());
        Assert.Equal(["Connects to the scanner filter and scans buffers ", "Usage: scanuser [requests per thread] [number of threads(1-64)]"], p.Output);
    }

    private static int IndexOf(IReadOnlyList<string> lines, string line)
    {
        for (int i = 0; i < lines.Count; i++) if (lines[i] == line) return i;
        return -1;
    }
}
