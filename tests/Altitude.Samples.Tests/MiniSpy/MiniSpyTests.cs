// MiniSpy end to end: fltmgrd loads the MiniSpy package, minispy runs as its own process and attaches through FilterAttach,
// and real programs (sh, cat, mv, rm) use the mount. Every wait is on a line, a file or an exit.
using System.Text.Json;
using Altitude.FilterLib;
using Altitude.Samples.MiniSpy;
using static Altitude.Samples.Tests.MiniSpy.MiniSpyRig;

namespace Altitude.Samples.Tests.MiniSpy;

public class MiniSpyTests
{
    private const string HitEnter = "Hit [Enter] to begin command mode...";
    private const string BackToScreen = "Should be logging to screen...";

    /// <summary>
    /// /a on the command line attaches the default instance; a shell's redirection, cat, mv and rm appear in order with
    /// their normalized names, the shell's own create and write carry its pid, cat's carry another one.
    /// </summary>
    [MountFact]
    public void ShellOperationsAreLoggedInOrderWithNamesAndCaller()
    {
        using var rig = new MiniSpyRig();
        var spy = rig.StartMinispy("/a", rig.Daemon.MountPoint);
        spy.WaitForOutput(l => l.Contains("Instance name: Minispy - Top Instance"), "attached at the default instance");
        spy.WaitForOutput(l => l == HitEnter, "startup done");

        int sh = rig.Shell("echo hi > f; cat f; mv f g; rm g");
        // The last operation: the delete of g (a SET_INFORMATION on g with no rename arrow).
        spy.WaitForOutput(l => IsRecord(l, "IRP_MJ_SET_INFORMATION", V("g")), "the delete of g");
        var records = Records(spy.Output);

        // The index of the first record after <after> with this major and name (and property); fails if there is none.
        // A null name: any name <also> accepts.
        int Find(int after, string major, string? name, Func<ScreenRecord, bool>? also = null)
        {
            for (int i = after + 1; i < records.Count; i++)
                if (records[i].Major == major && (name is null || records[i].Name == name) && (also is null || also(records[i]))) return i;
            Assert.Fail($"{major} {name} not found after record {after}\n{spy.Transcript}");
            return -1;
        }

        int c1 = Find(-1, "IRP_MJ_CREATE", V("f"));
        var create = records[c1];
        Assert.Equal((ulong)sh, create.ProcessId);   // the redirection is the shell's own open
        Assert.Equal("00000000", create.Status);
        Assert.Equal(2ul, create.Information);        // FILE_CREATED
        int w1 = Find(c1, "IRP_MJ_WRITE", V("f"));
        var write = records[w1];
        Assert.Equal((ulong)sh, write.ProcessId);
        Assert.Equal(3ul, write.Information);         // "hi\n"
        Assert.Equal(3ul, write.Args[0]);             // Arg1: the length
        // The kernel sends the release of the shell's open on its own (FUSE RELEASE is asynchronous), so its CLEANUP and
        // CLOSE follow the write but need not precede cat's open, nor even the rename (then they carry the name g).
        bool FOrG(ScreenRecord r) => r.Name == V("f") || r.Name == V("g");
        int cleanup = Find(w1, "IRP_MJ_CLEANUP", null, FOrG);
        Find(cleanup, "IRP_MJ_CLOSE", null, FOrG);
        int c2 = Find(w1, "IRP_MJ_CREATE", V("f"));
        var catOpen = records[c2];
        Assert.NotEqual((ulong)sh, catOpen.ProcessId);   // cat is a child of the shell
        Assert.NotEqual(0ul, catOpen.ProcessId);
        Assert.Equal(1ul, catOpen.Information);          // FILE_OPENED
        int r1 = Find(c2, "IRP_MJ_READ", V("f"), r => r.Information == 3);
        Assert.Equal(catOpen.ProcessId, records[r1].ProcessId);
        int mv = Find(r1, "IRP_MJ_SET_INFORMATION", V("f") + " -> " + V("g"));
        var rename = records[mv];
        Assert.NotEqual((ulong)sh, rename.ProcessId);
        var delete = records[Find(mv, "IRP_MJ_SET_INFORMATION", V("g"))];
        Assert.True(delete.Sequence > rename.Sequence && rename.Sequence > create.Sequence, spy.Transcript);
        // Read and write lines carry their minor on the next line.
        int writeLine = spy.Output.ToList().FindIndex(l => ParseScreen(l) is { } r && r.Sequence == write.Sequence);
        Assert.Equal(new string(' ', 69) + "IRP_MN_NORMAL".PadRight(35), spy.Output[writeLine + 1]);
    }

    /// <summary>/d detaches: an operation after it is not logged, one after attaching again is (the file log shows both sides).</summary>
    [MountFact]
    public void DetachStopsLoggingUntilAttachedAgain()
    {
        using var rig = new MiniSpyRig();
        foreach (string f in new[] { "before", "after-detach", "marker" }) File.WriteAllText(rig.Daemon.B(f), "x");
        string log = Path.Combine(rig.Daemon.Top, "detach.log");
        var spy = rig.StartMinispy("/f", log, "/a", rig.Daemon.MountPoint);
        spy.WaitForOutput(l => l == HitEnter, "startup done");

        rig.Shell("cat before");
        spy.WaitForOutput(l => IsRecord(l, "IRP_MJ_READ", V("before")), "the read of before");

        spy.WriteLine("");
        spy.WriteLine("/d " + rig.Daemon.MountPoint);
        spy.WriteLine("go");
        spy.WaitForOutput(l => l.EndsWith(BackToScreen, StringComparison.Ordinal), "command mode left");
        Assert.Equal(0, spy.CountOutput(l => l.Contains("Could not detach")));
        rig.Shell("cat after-detach");

        spy.WriteLine("");
        spy.WriteLine("/a " + rig.Daemon.MountPoint);
        spy.WriteLine("go");
        spy.WaitForOutputCount(l => l.EndsWith(BackToScreen, StringComparison.Ordinal), 2, "command mode left again");
        rig.Shell("cat marker");
        // Records are queued in completion order and the file line is written before the screen line: once the marker
        // is on the screen, anything logged for after-detach is in the file already.
        spy.WaitForOutput(l => IsRecord(l, "IRP_MJ_READ", V("marker")), "the read of marker");

        // cat's open and read of after-detach came while detached. Its release is asynchronous (FUSE RELEASE), so the
        // CLEANUP and CLOSE may reach the volume after the attach: those two may be logged.
        static bool OpenOrRead(string l) => l.Contains("after-detach", StringComparison.Ordinal)
            && (l.Contains("IRP_MJ_CREATE", StringComparison.Ordinal) || l.Contains("IRP_MJ_READ", StringComparison.Ordinal));
        string text = ReadShared(log);
        Assert.Contains(V("before"), text);
        Assert.Contains(V("marker"), text);
        Assert.DoesNotContain(text.Split('\n'), OpenOrRead);
        Assert.Equal(0, spy.CountOutput(OpenOrRead));
    }

    /// <summary>/f writes the header and one tab-separated line per record with the fields of FileDump (0x%08X sequence).</summary>
    [MountFact]
    public void FileOutputIsTabSeparatedAsFileDump()
    {
        using var rig = new MiniSpyRig();
        string log = Path.Combine(rig.Daemon.Top, "spy.log");
        var spy = rig.StartMinispy("/f", log, "/a", rig.Daemon.MountPoint);
        spy.WaitForOutput(l => l.Trim() == "Log to file " + log, "file logging on");
        spy.WaitForOutput(l => l == HitEnter, "startup done");
        rig.Shell("echo hi > f");
        string screen = spy.WaitForOutput(l => IsRecord(l, "IRP_MJ_WRITE", V("f")), "the write of f");
        var onScreen = ParseScreen(screen)!;

        string[] lines = ReadShared(log).Split('\n');
        Assert.StartsWith("Opr\t  SeqNum  \t PreOp Time \tPostOp Time \t Process.Thrd\t", lines[0]);
        Assert.StartsWith("---\t----------\t------------\t", lines[1]);
        string line = Assert.Single(lines, l => l.Contains("\tIRP_MJ_WRITE ") && l.EndsWith("\t" + V("f"), StringComparison.Ordinal));
        string[] f = line.Split('\t');
        Assert.Equal(19, f.Length);
        Assert.Equal("IRP", f[0]);
        Assert.Equal($"0x{onScreen.Sequence:X8}", f[1]);
        Assert.Matches(@"^\d\d:\d\d:\d\d:\d\d\d$", f[2]);   // HH:MM:SS:mmm fills %-12s
        Assert.Matches(@"^\d\d:\d\d:\d\d:\d\d\d$", f[3]);
        Assert.Equal($"{onScreen.ProcessId,8:x}.{onScreen.ThreadId,-4:x} ", f[4]);
        Assert.Equal("IRP_MJ_WRITE".PadRight(35), f[5]);
        Assert.Equal("IRP_MN_NORMAL".PadRight(35), f[6]);
        Assert.Matches(@"^0x[0-9a-f]{8} [N-][P-][S-][Y-]$", f[7]);
        for (int i = 8; i <= 10; i++) Assert.Matches(@"^0x[0-9A-F]{16}$", f[i]);
        Assert.Equal("0x00000000:0x0000000000000003", f[11]);
        Assert.Equal("0x0000000000000003", f[12]);   // Arg1: the length
        for (int i = 13; i <= 16; i++) Assert.Matches(@"^0x[0-9A-F]{16}$", f[i]);
        Assert.Matches(@"^0x[0-9a-f]{8,16}$", f[17]);
        Assert.Equal(V("f"), f[18]);
    }

    /// <summary>
    /// MaxRecords 20 and nobody reading: the pool runs out, one static record flagged EXCEED_MEMORY_ALLOWANCE is handed out
    /// and the rest go unlogged; minispy prints the memory note; the filter and the daemon go on logging afterwards.
    /// </summary>
    [MountFact]
    public void ExhaustedPoolGivesTheMemoryNoteAndLoggingGoesOn()
    {
        using var rig = new MiniSpyRig(maxRecords: 20);   // more than one cat needs (the marker below), far fewer than ten
        File.WriteAllText(rig.Daemon.B("f"), "x");
        File.WriteAllText(rig.Daemon.B("marker"), "x");
        Assert.Contains("Attach successful.  Instance name: Minispy - Top Instance", string.Join('\n', rig.Fltmc.Ok("attach", "MiniSpy", rig.Daemon.MountPoint)));
        rig.Shell("for i in 1 2 3 4 5 6 7 8 9 10; do cat f; done");   // far more than 20 records, nobody draining

        // The queue is drained before the screen output starts (as in the WDK), so the file log shows the backlog.
        string log = Path.Combine(rig.Daemon.Top, "pool.log");
        var spy = rig.StartMinispy("/f", log);
        spy.WaitForOutput(l => l == HitEnter, "startup done");
        rig.Shell("cat marker");
        spy.WaitForOutput(l => IsRecord(l, "IRP_MJ_READ", V("marker")), "logging after the pool drained");
        string[] lines = ReadShared(log).Split('\n');
        int noteAt = Array.FindIndex(lines, l => l.StartsWith("M:", StringComparison.Ordinal));
        Assert.True(noteAt > 0, ReadShared(log));
        Assert.Matches(@"^M:\t0x[0-9A-F]{8}\tExceeded Mamimum Allowed Memory Buffers$", lines[noteAt]);
        // The static record's line comes just before the note. Sequence numbers are given only to records: the twenty
        // pooled ones and the static one are 1..21, every one logged; what came while the pool was out has none.
        string noteSequence = lines[noteAt].Split('\t')[1];
        Assert.Equal(noteSequence, lines[noteAt - 1].Split('\t')[1]);
        uint[] sequences = lines.Where(l => l.StartsWith("IRP\t", StringComparison.Ordinal))
            .Select(l => Convert.ToUInt32(l.Split('\t')[1], 16)).ToArray();
        Assert.Equal(Enumerable.Range(1, 21).Select(i => (uint)i), sequences.Where(q => q <= 21).Order());
        Assert.InRange(Convert.ToUInt32(noteSequence, 16), 20u, 21u);
        Assert.Single(lines, l => l.StartsWith("M:", StringComparison.Ordinal));
        Assert.False(rig.Daemon.Process.HasExited);
        Assert.Contains(rig.Fltmc.Ok("filters"), l => l.StartsWith("MiniSpy ", StringComparison.Ordinal));
    }

    /// <summary>--json: each record is one JSON object on a line; --op and --path choose the records shown.</summary>
    [MountFact]
    public void JsonLinesParseAndOperationAndPathFiltersSelect()
    {
        using var rig = new MiniSpyRig();
        var spy = rig.StartMinispy("--json", "--op", "IRP_MJ_CREATE,WRITE", "--path", V("j*"), "/a", rig.Daemon.MountPoint);
        spy.WaitForError(l => l == HitEnter, "startup done (messages on stderr)");
        int sh = rig.Shell("echo hi > j1; echo x > k1; cat j1");
        spy.WaitForOutputCount(l => l.Contains("\"major\":\"IRP_MJ_CREATE\"") && l.Contains($"\"name\":\"{V("j1")}\""), 2, "both creates of j1");

        var seen = new List<JsonElement>();
        foreach (string l in spy.Output)
        {
            using var doc = JsonDocument.Parse(l);
            seen.Add(doc.RootElement.Clone());
        }
        Assert.All(seen, r =>
        {
            Assert.Contains(r.GetProperty("major").GetString(), new[] { "IRP_MJ_CREATE", "IRP_MJ_WRITE" });
            Assert.StartsWith(V("j"), r.GetProperty("name").GetString());
            Assert.Equal("IRP", r.GetProperty("operation").GetString());
            Assert.Equal(6, r.GetProperty("args").GetArrayLength());
            Assert.True(r.GetProperty("sequence").GetUInt32() > 0);
            Assert.Equal(JsonValueKind.Null, r.GetProperty("memory").ValueKind);
            Assert.True(r.GetProperty("postTime").GetDateTime() >= r.GetProperty("preTime").GetDateTime());
        });
        var first = seen[0];
        Assert.Equal("IRP_MJ_CREATE", first.GetProperty("major").GetString());
        Assert.Equal(V("j1"), first.GetProperty("name").GetString());
        Assert.Equal((ulong)sh, first.GetProperty("processId").GetUInt64());
        Assert.Equal("0x00000000", first.GetProperty("status").GetString());
        Assert.Contains(seen, r => r.GetProperty("major").GetString() == "IRP_MJ_WRITE" && r.GetProperty("information").GetInt64() == 3);
        Assert.DoesNotContain(seen, r => r.GetProperty("name").GetString()!.Contains("k1"));
    }

    /// <summary>--pid: only the records of that process (this test process's own I/O, not a shell's).</summary>
    [MountFact]
    public void PidFilterSelectsOneProcess()
    {
        using var rig = new MiniSpyRig();
        File.WriteAllText(rig.Daemon.B("other"), "x");
        var spy = rig.StartMinispy("--json", "--pid", Environment.ProcessId.ToString(), "/a", rig.Daemon.MountPoint);
        spy.WaitForError(l => l == HitEnter, "startup done");
        rig.Shell("cat other");
        File.WriteAllText(rig.Daemon.M("mine"), "mine");
        spy.WaitForOutput(l => l.Contains("\"major\":\"IRP_MJ_WRITE\"") && l.Contains($"\"name\":\"{V("mine")}\""), "this process's write");
        Assert.All(spy.Output, l =>
        {
            using var doc = JsonDocument.Parse(l);
            Assert.Equal((ulong)Environment.ProcessId, doc.RootElement.GetProperty("processId").GetUInt64());
        });
        Assert.Equal(0, spy.CountOutput(l => l.Contains(V("other"))));
    }

    /// <summary>fltmc unload: the port goes away under minispy, which says the kernel component unloaded and exits.</summary>
    [MountFact]
    public void UnloadEndsMinispy()
    {
        using var rig = new MiniSpyRig();
        var spy = rig.StartMinispy("/a", rig.Daemon.MountPoint);
        spy.WaitForOutput(l => l == HitEnter, "startup done");
        Assert.Equal([""], rig.Fltmc.Ok("unload", "MiniSpy"));
        spy.WaitForOutput(l => l == "The kernel component of minispy has unloaded. Exiting", "the unload message");
        Assert.Equal(0, spy.WaitForExit());
    }

    /// <summary>
    /// The port itself, from this process: short input, unknown command and empty output are E_INVALIDARG; the version is
    /// 2.0; an empty queue is ERROR_NO_MORE_ITEMS; a buffer smaller than the oldest record is ERROR_INSUFFICIENT_BUFFER (the
    /// record stays queued); whole records come back 8-aligned; a second connection is refused (MaxConnections 1).
    /// </summary>
    [MountFact]
    public void PortAnswersAsSpyMessage()
    {
        using var rig = new MiniSpyRig();
        File.WriteAllText(rig.Daemon.B("f"), "x");
        using var port = FltLib.FilterConnectCommunicationPort(MiniSpyProtocol.PortName, portDirectory: rig.PortDirectory);
        var output = new byte[MiniSpyProtocol.LogBufferSize];
        byte[] Command(uint c) { var b = new byte[MiniSpyProtocol.CommandMessageSize]; MiniSpyProtocol.WriteCommand(b, c); return b; }

        Assert.Equal(HResults.InvalidArgument, FltLib.TryFilterSendMessage(port, new byte[2], output, out _));
        Assert.Equal(HResults.InvalidArgument, FltLib.TryFilterSendMessage(port, Command(7), output, out _));
        Assert.Equal(HResults.InvalidArgument, FltLib.TryFilterSendMessage(port, Command(MiniSpyProtocol.GetMiniSpyLog), Memory<byte>.Empty, out _));

        Assert.Equal(HResults.S_OK, FltLib.TryFilterSendMessage(port, Command(MiniSpyProtocol.GetMiniSpyVersion), output, out int n));
        Assert.Equal(4, n);
        Assert.Equal((ushort)2, BitConverter.ToUInt16(output, 0));
        Assert.Equal((ushort)0, BitConverter.ToUInt16(output, 2));

        Assert.Equal(HResults.NoMoreItems, FltLib.TryFilterSendMessage(port, Command(MiniSpyProtocol.GetMiniSpyLog), output, out _));

        Assert.Equal(HResults.ConnectionCountLimit,
            FltLib.TryFilterConnectCommunicationPort(MiniSpyProtocol.PortName, 0, default, out _, rig.PortDirectory));

        rig.Fltmc.Ok("attach", "MiniSpy", rig.Daemon.MountPoint);
        rig.Shell("cat f");
        Assert.Equal(HResults.InsufficientBuffer, FltLib.TryFilterSendMessage(port, Command(MiniSpyProtocol.GetMiniSpyLog), new byte[LogRecordLayout.Name], out _));
        Assert.Equal(HResults.S_OK, FltLib.TryFilterSendMessage(port, Command(MiniSpyProtocol.GetMiniSpyLog), output, out n));
        Assert.True(n > 0);
        int at = 0;
        var sequences = new HashSet<uint>();   // whole records, each once: no sequence number twice
        while (at < n)
        {
            int length = BitConverter.ToInt32(output, at);
            Assert.True(length % 8 == 0 && length >= LogRecordLayout.Name + 2 && length <= LogRecordLayout.MaxRecordLength, $"record length {length}");
            uint seq = BitConverter.ToUInt32(output, at + LogRecordLayout.SequenceNumber);
            if (at == 0) Assert.Equal(1u, seq);   // the record the too-small call left queued is the first one
            Assert.True(sequences.Add(seq), $"sequence {seq} twice");
            at += length;
        }
        Assert.Equal(n, at);
    }

    /// <summary>Reads a file minispy keeps open for writing.</summary>
    private static string ReadShared(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
