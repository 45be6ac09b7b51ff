// Filters that block, pend and fail, through a real mount (issue: the FUSE boundary under real filters). A filter may
// block in a callback for as many requests as it likes, up to the reader bound, and unrelated requests are still served;
// a pended operation holds no reader at all; a failure status is never a "never ask again" for the whole mount.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace Altitude.Fuse.Tests;

public class BlockingFilterTests : MountTestBase
{
    private string PortDirectory => Path.Combine(Top, "ports");
    private readonly List<Action> unblock = new();

    /// <summary>Lets go of whatever a failed test left blocked or pended, so that the unmount is not held up.</summary>
    public override void Dispose()
    {
        foreach (Action a in unblock) a();
        base.Dispose();
    }

    protected override FilterManagerOptions CreateManagerOptions(string top)
    {
        Directory.CreateDirectory(Path.Combine(top, "ports"));
        return new FilterManagerOptions { PortDirectory = Path.Combine(top, "ports"), PortAdminGroup = null };
    }


    /// <summary>
    /// A filter whose pre-create, for names starting with "blocked", runs <paramref name="wait"/>: what the WDK scanner
    /// does while its user-mode service scans (a synchronous wait in the callback). Returns how many have started waiting.
    /// </summary>
    private Func<int> AddWaiter(Action wait)
    {
        int blocked = 0;
        AddFilter("Waiter", "265000", new OperationRegistration(MajorFunction.Create, 0,
            (CallbackData d, in RelatedObjects o, out object? c) =>
            {
                c = null;
                if (!NameOf(d).StartsWith("blocked", StringComparison.Ordinal)) return PreOperationStatus.SuccessNoCallback;
                Interlocked.Increment(ref blocked);
                wait();
                return PreOperationStatus.SuccessNoCallback;
            }, null));
        return () => Volatile.Read(ref blocked);
    }

    /// <summary>
    /// Creates <c>dN/PREFIXN</c> for N in [0, count), each in a directory of its own: the kernel holds the parent
    /// directory's lock for the whole of a create, so creates in one directory never run side by side.
    /// </summary>
    private List<Process> StartCreates(string prefix, int count, List<string>? events = null, string? tag = null)
    {
        var list = new List<Process>();
        for (int i = 0; i < count; i++)
        {
            Directory.CreateDirectory(B($"d{i}"));
            list.Add(StartProgram($"echo {i} > {M($"d{i}/{prefix}{i}")}", events, tag));
        }
        return list;
    }

    private static void Finish(Process p, string what)
    {
        Assert.True(p.WaitForExit(120_000), what + " finished");
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{what} exited {p.ExitCode}");
        p.Dispose();
    }

    [MountFact]
    public void EightOpensBlockedInPreCreateLeaveAStatAndACatOfAnotherFileServed()
    {
        var release = new ManualResetEventSlim(false);
        unblock.Add(release.Set);
        Func<int> blockedNow = AddWaiter(() => release.Wait());
        File.WriteAllText(B("other.txt"), "other\n");
        var v = Mount();
        var events = new List<string>();
        var creates = StartCreates("blocked", 8, events, "blocked");
        WaitUntil(() => blockedNow() == 8, "eight creates wait in the filter");

        Assert.Equal("other\n", ShOk($"stat {M("other.txt")} > /dev/null && cat {M("other.txt")}"));
        lock (events) events.Add("unrelated");
        release.Set();
        for (int i = 0; i < creates.Count; i++) Finish(creates[i], $"create {i}");

        // The unrelated stat and cat finished while every blocked open still waited.
        lock (events)
        {
            Assert.Equal(9, events.Count);
            Assert.Equal("unrelated", events[0]);
        }
        Assert.Equal("3\n", File.ReadAllText(B("d3/blocked3")));
        Assert.InRange(v.Server.PeakReaderCount, 9, v.Server.Options.MaxReaders);   // eight blocked readers, and one free
    }

    [MountFact]
    public void CreatesPendedBelowAnUpperPostCreateHoldNoReaderAndThePostCreateRunsOnASystemWorker()
    {
        var tokens = new ConcurrentQueue<PendedOperation>();
        unblock.Add(() => { foreach (var op in tokens) op.CompletePreOperation(PreOperationStatus.SuccessNoCallback); });
        var postThreads = new ConcurrentDictionary<string, string>();
        AddFilter("Upper", "300000", new OperationRegistration(MajorFunction.Create, 0, null,
            (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
            {
                string name = NameOf(d);
                if (name.StartsWith("pended", StringComparison.Ordinal)) postThreads[name] = Thread.CurrentThread.Name ?? "?";
                return PostOperationStatus.FinishedProcessing;
            }));
        AddFilter("Lower", "100000", new OperationRegistration(MajorFunction.Create, 0,
            (CallbackData d, in RelatedObjects o, out object? c) =>
            {
                c = null;
                if (!NameOf(d).StartsWith("pended", StringComparison.Ordinal)) return PreOperationStatus.SuccessNoCallback;
                tokens.Enqueue(d.PendedOperation);
                return PreOperationStatus.Pending;
            }, null));
        File.WriteAllText(B("other.txt"), "other\n");
        // Two readers and no more: if a pended operation held one, the stat below could never be served.
        var v = Mount(new FuseVolumeOptions { Server = new FuseServerOptions { MinReaders = 2, MaxReaders = 2 } });
        var creates = StartCreates("pended", 8);
        WaitUntil(() => tokens.Count == 8, "eight creates pended in the lower filter");

        Assert.Equal("other\n", ShOk($"stat {M("other.txt")} > /dev/null && cat {M("other.txt")}"));
        Assert.Equal(2, v.Server.ReaderCount);

        foreach (PendedOperation op in tokens) Assert.Equal(NtStatus.Success, op.CompletePreOperation(PreOperationStatus.SuccessNoCallback));
        for (int i = 0; i < creates.Count; i++) Finish(creates[i], $"create {i}");
        Assert.Equal(8, postThreads.Count);
        // Completed from this test thread, continued below it, and the post-create (which may block) ran on a system worker.
        Assert.All(postThreads.Values, name => Assert.Equal("fltmgr-worker", name));
        // A token is good once.
        Assert.All(tokens, op => Assert.Equal(NtStatus.RequestAborted, op.CompletePreOperation(PreOperationStatus.SuccessNoCallback)));
    }

    [MountFact]
    public void APreCreateBlockedInSendMessageToASlowUserModeProgramLeavesTheMountServed()
    {
        ClientPort? client = null;
        int sent = 0;
        Filter? filter = null;
        filter = AddFilter("Scanner", "265000", new OperationRegistration(MajorFunction.Create, 0,
            (CallbackData d, in RelatedObjects o, out object? c) =>
            {
                c = null;
                string name = NameOf(d);
                if (!name.StartsWith("scan", StringComparison.Ordinal)) return PreOperationStatus.SuccessNoCallback;
                Interlocked.Increment(ref sent);
                Span<byte> reply = stackalloc byte[64];
                // No timeout: the callback waits for as long as the scanner takes.
                NtStatus st = filter!.SendMessage(ref client, Encoding.UTF8.GetBytes(name), reply, out int n);
                if (st != NtStatus.Success) { d.IoStatus = new IoStatusBlock(st, 0); return PreOperationStatus.Complete; }
                return PreOperationStatus.SuccessNoCallback;
            }, null));
        Assert.Equal(NtStatus.Success, filter.CreateCommunicationPort(new ObjectAttributes(@"\SlowScanner", ObjectAttributes.PortDefaults, "D:(A;;GA;;;WD)"), null,
            (ClientPort port, object? cookie, ReadOnlySpan<byte> context, out object? connectionCookie) => { connectionCookie = null; Volatile.Write(ref client, port); return NtStatus.Success; },
            _ => { }, null, 1, out ServerPort? serverPort));
        File.WriteAllText(B("other.txt"), "other\n");
        Mount();

        using var scanner = new UserModeProgram(PortDirectory, @"\SlowScanner", "serve-when-told", "4");
        Assert.Equal("connect 0x00000000", scanner.WaitForLine("connect"));
        var creates = StartCreates("scan", 4);
        Assert.StartsWith("message scan", scanner.WaitForLine("message"));
        WaitUntil(() => Volatile.Read(ref sent) == 4, "four creates wait in SendMessage");

        // The scanner holds its first message and the other three wait behind it; the mount still serves.
        Assert.Equal("other\n", ShOk($"stat {M("other.txt")} > /dev/null && cat {M("other.txt")}"));

        for (int i = 0; i < 4; i++)
        {
            if (i > 0) Assert.StartsWith("message scan", scanner.WaitForLine("message", skip: i));
            scanner.Tell();
        }
        for (int i = 0; i < creates.Count; i++) Finish(creates[i], $"create {i}");
        // The program prints its reply line after FilterReplyMessage returns, which can be after the create finished.
        Assert.StartsWith("reply 0x00000000", scanner.WaitForLine("reply", skip: 3));
        Assert.Equal(4, scanner.Count("reply 0x00000000"));
        filter.CloseCommunicationPort(serverPort!);
    }

    [MountFact]
    public void ReadersGrowToTheirBoundCallersPastItWaitAndIdleExtrasRetire()
    {
        var gate = new SemaphoreSlim(0);
        unblock.Add(() => gate.Release(100));
        Func<int> blocked = AddWaiter(() => gate.Wait());
        File.WriteAllText(B("unrelated.txt"), "u\n");
        var v = Mount(new FuseVolumeOptions { Server = new FuseServerOptions { MinReaders = 2, MaxReaders = 4, ReaderIdleTimeout = TimeSpan.FromMilliseconds(200) } });
        var events = new List<string>();
        var creates = StartCreates("blocked", 6, events, "create");
        WaitUntil(() => blocked() == 4, "every reader is blocked in the filter");
        var stat = StartProgram($"stat {M("unrelated.txt")}", events, "stat");

        // Four readers, all blocked: the fifth and sixth creates and the stat wait in the kernel's queue, nothing fails.
        Assert.Equal(4, v.Server.ReaderCount);
        Assert.Equal(4, blocked());
        lock (events) Assert.Empty(events);

        lock (events) events.Add("release");
        gate.Release(6);
        for (int i = 0; i < creates.Count; i++) Finish(creates[i], $"create {i}");
        Finish(stat, "stat");
        Assert.Equal(6, blocked());
        Assert.True(v.Server.PeakReaderCount <= 4, $"at most MaxReaders readers ({v.Server.PeakReaderCount})");
        lock (events)
        {
            Assert.Equal("release", events[0]);   // nobody got through while every reader was blocked
            Assert.Equal(8, events.Count);
        }
        // Idle extras retire after ReaderIdleTimeout; the two permanent readers stay.
        WaitUntil(() => v.Server.ReaderCount == 2, "the extra readers retired");
        Assert.Equal("u\n", ShOk($"cat {M("unrelated.txt")}"));
    }

    [MountFact]
    public void FsyncXattrAndFallocateFailedOnceByAFilterAreAskedAgainOnTheNextFile()
    {
        int fsyncs = 0, fsyncsDone = 0, setEas = 0, allocations = 0;
        AddFilter("FailOnce", "320000",
            new OperationRegistration(MajorFunction.FlushBuffers, 0,
                (CallbackData d, in RelatedObjects o, out object? c) =>
                {
                    c = null;
                    if (Interlocked.Increment(ref fsyncs) > 1) return PreOperationStatus.SuccessWithCallback;
                    d.IoStatus = new IoStatusBlock(NtStatus.InvalidDeviceRequest, 0);
                    return PreOperationStatus.Complete;
                },
                (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
                {
                    if (d.IoStatus.Status == NtStatus.Success) Interlocked.Increment(ref fsyncsDone);   // the file system synced it
                    return PostOperationStatus.FinishedProcessing;
                }),
            new OperationRegistration(MajorFunction.SetEa, 0,
                (CallbackData d, in RelatedObjects o, out object? c) =>
                {
                    c = null;
                    if (Interlocked.Increment(ref setEas) > 1) return PreOperationStatus.SuccessNoCallback;
                    d.IoStatus = new IoStatusBlock(NtStatus.NotImplemented, 0);
                    return PreOperationStatus.Complete;
                }, null),
            new OperationRegistration(MajorFunction.SetInformation, 0,
                (CallbackData d, in RelatedObjects o, out object? c) =>
                {
                    c = null;
                    if (d.Iopb.Parameters.SetFileInformation.FileInformationClass != FileInformationClass.FileAllocationInformation
                        || Interlocked.Increment(ref allocations) > 1) return PreOperationStatus.SuccessNoCallback;
                    d.IoStatus = new IoStatusBlock(NtStatus.InvalidDeviceRequest, 0);
                    return PreOperationStatus.Complete;
                }, null));
        File.WriteAllText(B("a"), "a");
        File.WriteAllText(B("b"), "b");
        Mount();

        var first = Sh($"sync {M("a")}");
        Assert.NotEqual(0, first.Exit);
        Assert.Contains("not supported", first.Err);   // EOPNOTSUPP, not a silent success
        ShOk($"sync {M("b")}");
        Assert.Equal(2, Volatile.Read(ref fsyncs));       // the second fsync reached the filter...
        Assert.Equal(1, Volatile.Read(ref fsyncsDone));   // ...and the disk

        Assert.NotEqual(0, Sh($"setfattr -n user.k -v 1 {M("a")}").Exit);
        ShOk($"setfattr -n user.k -v 2 {M("b")}");
        Assert.Equal(2, Volatile.Read(ref setEas));
        Assert.Contains("user.k=\"2\"", ShOk($"getfattr -n user.k {B("b")}"));

        Assert.NotEqual(0, Sh($"fallocate -l 8192 {M("a")}").Exit);
        ShOk($"fallocate -l 8192 {M("b")}");
        Assert.Equal(2, Volatile.Read(ref allocations));
        Assert.Equal(8192, new FileInfo(B("b")).Length);
    }

    [MountFact]
    public void ForwardedLockWaitersHoldNoReaderThatTheHoldersUnlockNeeds()
    {
        File.WriteAllText(B("lockf"), "");
        File.WriteAllText(B("other.txt"), "other\n");
        // Two readers only: two SETLKW waiters holding them would leave nobody to read the holder's unlock.
        var v = Mount(new FuseVolumeOptions { ForwardLocks = true, Server = new FuseServerOptions { MinReaders = 2, MaxReaders = 2 } });
        var holder = StartProgram($"flock -x {M("lockf")} -c 'touch {B("held")}; while [ ! -e {B("go")} ]; do sleep 0.05; done'");
        WaitUntil(() => File.Exists(B("held")), "the holder has the lock");
        var waiters = Enumerable.Range(0, 2).Select(i => StartProgram($"flock -x {M("lockf")} -c 'echo w{i} >> {B("log")}'")).ToList();
        WaitUntil(() => v.Bridge.LockWaiters == 2, "both waiters wait in SETLKW");
        Assert.Equal("other\n", ShOk($"cat {M("other.txt")}"));   // and the mount serves

        File.WriteAllText(B("go"), "");
        Finish(holder, "holder");
        foreach (var w in waiters) Finish(w, "waiter");
        Assert.Equal(2, File.ReadAllLines(B("log")).Length);
        Assert.Equal(0, v.Bridge.LockWaiters);
    }

    [MountFact]
    public void OneRefusedBackingOpenFallsBackForThatOpenOnly()
    {
        File.WriteAllText(B("f1"), "one\n");
        File.WriteAllText(B("f2"), "two\n");
        var v = Mount();
        Assert.True(v.PassthroughActive, "passthrough is negotiated (root, kernel 6.9+)");
        Bridge.PassthroughTable table = v.Bridge.Passthrough!;
        int failNext = 1;
        table.FailureInjection = _ => Interlocked.Exchange(ref failNext, 0) == 1 ? -12 /* ENOMEM */ : 0;
        Assert.Equal("one\n", ShOk($"cat {M("f1")}"));   // served through the daemon
        Assert.Equal(1, table.Failures);
        long before = table.BackingOpens;
        Assert.Equal("two\n", ShOk($"cat {M("f2")}"));   // the next open is in passthrough again
        Assert.Equal(before + 1, table.BackingOpens);
        Assert.True(v.PassthroughActive);
    }

    [MountFact]
    public void ALateCompletionAfterACancelIsRefusedWhileTheSameCallbackDataServesTheNextRead()
    {
        // One reader: the request objects in flight are then taken in a known order, so the callback data of the
        // cancelled read is the one the third read gets (asserted below).
        File.WriteAllText(B("r1"), new string('1', 4096));
        File.WriteAllText(B("r2"), new string('2', 4096));
        File.WriteAllText(B("r3"), new string('3', 4096));
        var tokens = new ConcurrentQueue<PendedOperation>();
        unblock.Add(() => { foreach (var op in tokens) op.CompletePreOperation(PreOperationStatus.SuccessNoCallback); });
        AddFilter("Pender", "320000", new OperationRegistration(MajorFunction.Read, 0,
            (CallbackData d, in RelatedObjects o, out object? c) =>
            {
                c = null;
                tokens.Enqueue(d.PendedOperation);
                d.SetCancelCompletion(op => op.Complete(NtStatus.Cancelled));
                return PreOperationStatus.Pending;
            }, null));
        Mount(new FuseVolumeOptions { Server = new FuseServerOptions { MinReaders = 1, MaxReaders = 1 } });

        // O_DIRECT: a synchronous READ, which the kernel interrupts when the caller gets SIGINT. env restores SIGINT's
        // default action, which a test run started in the background by a non-interactive shell inherits as ignored.
        var first = Sh($"timeout -s INT 1 env --default-signal=INT dd if={M("r1")} of=/dev/null bs=4096 count=1 iflag=direct", 60);
        Assert.NotEqual(0, first.Exit);
        Assert.True(tokens.TryDequeue(out PendedOperation cancelled));
        Assert.False(cancelled.IsCurrent);

        var second = StartProgram($"dd if={M("r2")} bs=4096 count=1 iflag=direct 2>/dev/null | cmp - {B("r2")}");
        WaitUntil(() => tokens.Count == 1, "the second read pended");
        var third = StartProgram($"dd if={M("r3")} bs=4096 count=1 iflag=direct 2>/dev/null | cmp - {B("r3")}");
        WaitUntil(() => tokens.Count == 2, "the third read pended");
        Assert.True(tokens.TryDequeue(out PendedOperation secondOp));
        Assert.True(tokens.TryDequeue(out PendedOperation thirdOp));
        Assert.Same(cancelled.Data, thirdOp.Data);   // the pooled callback data serves another read now

        // The late completion of the cancelled read fails, and the read that reuses its data is untouched.
        Assert.Equal(NtStatus.RequestAborted, cancelled.Complete(NtStatus.AccessDenied));
        Assert.Equal(NtStatus.RequestAborted, cancelled.CompletePreOperation(PreOperationStatus.SuccessNoCallback));
        Assert.False(cancelled.Cancel());
        Assert.True(thirdOp.IsCurrent);
        Assert.False(thirdOp.Data.IsCanceled);

        Assert.Equal(NtStatus.Success, thirdOp.CompletePreOperation(PreOperationStatus.SuccessNoCallback));
        Assert.Equal(NtStatus.Success, secondOp.CompletePreOperation(PreOperationStatus.SuccessNoCallback));
        Assert.True(third.WaitForExit(60_000) && second.WaitForExit(60_000));
        third.WaitForExit();
        second.WaitForExit();
        // Each read returned its own file, byte for byte (cmp).
        Assert.Equal(0, third.ExitCode);
        Assert.Equal(0, second.ExitCode);
    }

    [MountFact]
    public void AnInterruptThatArrivesBeforeItsRequestIsRegisteredIsNotLost()
    {
        var seen = new ConcurrentDictionary<uint, bool>();
        AddFilter("Watcher", "320000", new OperationRegistration(MajorFunction.QueryInformation, 0,
            (CallbackData d, in RelatedObjects o, out object? c) =>
            {
                c = null;
                if (d.Requestor.Uid == 4242) seen[d.Requestor.Gid] = d.IsCanceled;
                return PreOperationStatus.SuccessNoCallback;
            }, null));
        var v = Mount();
        // Two GETATTRs of the root as a reader would read them (uid 4242 marks them, the gid tells them apart); the kernel has never seen
        // their unique ids and drops the replies. The first one's INTERRUPT is read first, as another reader could.
        const ulong interrupted = 1UL << 40, plain = (1UL << 40) + 2;
        v.Bridge.Interrupt(interrupted);
        v.Bridge.GetAttr(v.Server.RequestForTest(GetAttrRequest(interrupted, gid: 1)));
        v.Bridge.GetAttr(v.Server.RequestForTest(GetAttrRequest(plain, gid: 2)));
        Assert.True(seen[1], "the pre-op of the interrupted request saw IsCanceled");
        Assert.False(seen[2], "another request is not cancelled");
    }

    /// <summary>fuse_in_header (40 bytes) + fuse_getattr_in (16 bytes) for the root node.</summary>
    private static byte[] GetAttrRequest(ulong unique, uint gid)
    {
        var b = new byte[56];
        var w = b.AsSpan();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(w, 56);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(w[4..], 3);           // GETATTR
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(w[8..], unique);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(w[16..], 1);          // FUSE_ROOT_ID
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(w[24..], 4242);       // uid
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(w[28..], gid);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(w[32..], (uint)Environment.ProcessId);   // pid
        return b;
    }

    /// <summary>tests/PortTestClient in its own process (as root): a user-mode scanner that answers when the test says so.</summary>
    private sealed class UserModeProgram : IDisposable
    {
        private readonly Process process;
        private readonly List<string> lines = new();

        public UserModeProgram(string directory, string port, params string[] command)
        {
            string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } p ? p : "dotnet";
            var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardInput = true, RedirectStandardError = true, WorkingDirectory = "/" };
            psi.ArgumentList.Add(ProjectOutput("PortTestClient", "PortTestClient.dll"));
            psi.ArgumentList.Add(directory);
            psi.ArgumentList.Add(port);
            foreach (var a in command) psi.ArgumentList.Add(a);
            psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            process = Process.Start(psi)!;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lines) { lines.Add(e.Data); Monitor.PulseAll(lines); } };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (lines) { lines.Add("stderr: " + e.Data); Monitor.PulseAll(lines); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        /// <summary>The (<paramref name="skip"/>+1)-th line starting with <paramref name="prefix"/>, waiting for it.</summary>
        public string WaitForLine(string prefix, int skip = 0)
        {
            var deadline = Environment.TickCount64 + 60_000;
            lock (lines)
            {
                while (true)
                {
                    int seen = 0;
                    foreach (var l in lines)
                        if (l.StartsWith(prefix, StringComparison.Ordinal) && seen++ == skip) return l;
                    long left = deadline - Environment.TickCount64;
                    Assert.True(left > 0, $"no line '{prefix}' from the user-mode program; it printed: {string.Join(" | ", lines)}");
                    Monitor.Wait(lines, (int)Math.Min(left, 1000));
                }
            }
        }

        public int Count(string prefix)
        {
            lock (lines) return lines.Count(l => l.StartsWith(prefix, StringComparison.Ordinal));
        }

        /// <summary>Lets the program reply to the message it holds.</summary>
        public void Tell()
        {
            process.StandardInput.WriteLine();
            process.StandardInput.Flush();
        }

        public void Dispose()
        {
            try { process.StandardInput.Close(); } catch (IOException) { }
            if (!process.WaitForExit(10_000)) process.Kill(entireProcessTree: true);
            process.Dispose();
        }
    }
}
