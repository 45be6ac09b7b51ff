// Who asked, as a filter sees it through a real mount: the process, its executable and its cgroup, looked up on
// demand; a thread id recycled into another process; a requestor asked after the reply; requests nobody made.
using System.Collections.Concurrent;
using System.Diagnostics;

namespace Altitude.Fuse.Tests;

public class RequestorTests : MountTestBase
{
    private static readonly string CatPath = ShOk("readlink -f \"$(command -v cat)\"").Trim();

    [MountFact]
    public void PreCreateSeesTheImagePathAndCgroupOfCat()
    {
        File.WriteAllText(B("note.txt"), "hello\n");
        var seen = new ConcurrentDictionary<int, (string? Image, string? Cgroup)>();
        AddFilter("Who", "320000", new OperationRegistration(MajorFunction.Create, 0,
            (CallbackData d, in RelatedObjects o, out object? c) =>
            {
                c = null;
                int pid = d.Requestor.ProcessId;
                d.Requestor.TryGetImagePath(out string? image);
                d.Requestor.TryGetCgroup(out string? cgroup);
                if (pid != 0) seen.TryAdd(pid, (image, cgroup));
                return PreOperationStatus.SuccessNoCallback;
            }, null));
        Mount();
        // cat runs in a cgroup of its own, so that the daemon's (this process's) cgroup would not match by chance.
        string group = CreateCgroup();
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, WorkingDirectory = "/" };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"echo $$ > {group}/cgroup.procs && exec cat {M("note.txt")} - > /dev/null");
        using var p = Process.Start(psi)!;
        try
        {
            WaitUntil(() => seen.ContainsKey(p.Id) || p.HasExited, "cat's open reached the pre-create");
            Assert.True(seen.TryGetValue(p.Id, out var who), $"cat exited ({(p.HasExited ? p.ExitCode : 0)}) before its open was seen");
            // cat now waits on its standard input, so its /proc entries are there to compare with.
            Assert.Equal(CatPath, who.Image);
            Assert.Equal(new FileInfo($"/proc/{p.Id}/exe").LinkTarget, who.Image);
            Assert.Equal(File.ReadAllText($"/proc/{p.Id}/cgroup"), who.Cgroup);
            Assert.Contains(Path.GetFileName(group), who.Cgroup);
            Assert.NotEqual(File.ReadAllText("/proc/self/cgroup"), who.Cgroup);
        }
        finally
        {
            p.StandardInput.Close();
            p.WaitForExit();
            Directory.Delete(group);
        }
    }

    [MountFact]
    public void AThreadIdRecycledIntoAnotherProcessIsSeenAsThatProcess()
    {
        File.WriteAllText(B("a.txt"), "a");
        File.WriteAllText(B("b.txt"), "b");
        var seen = new ConcurrentQueue<(int Thread, int Process, string? Image)>();
        AddFilter("Who", "320000", new OperationRegistration(MajorFunction.Create, 0,
            (CallbackData d, in RelatedObjects o, out object? c) =>
            {
                c = null;
                int pid = d.Requestor.ProcessId;
                d.Requestor.TryGetImagePath(out string? image);
                seen.Enqueue((d.Requestor.ThreadId, pid, image));
                return PreOperationStatus.SuccessNoCallback;
            }, null));
        Mount();
        Run("/bin/true", []);   // the first child a process starts creates the runtime's SIGCHLD thread: not in the loop below

        // A thread of this process opens a file: the table now maps its id to this process.
        int tid = 0;
        var thread = new Thread(() =>
        {
            tid = int.Parse(Path.GetFileName(new DirectoryInfo("/proc/thread-self").LinkTarget!));
            File.ReadAllBytes(M("a.txt"));
        });
        thread.Start();
        thread.Join();
        Assert.Contains((tid, Environment.ProcessId, ImageOfSelf()), seen);
        WaitUntil(() => !Directory.Exists($"/proc/self/task/{tid}"), "the thread ended and gave its id back");

        // The same id becomes a new process (the kernel hands out ns_last_pid + 1 next), which opens another file.
        int child = 0;
        for (int attempt = 0; attempt < 100 && child != tid; attempt++)
        {
            File.WriteAllText("/proc/sys/kernel/ns_last_pid", (tid - 1).ToString());
            var psi = new ProcessStartInfo("/bin/sh") { WorkingDirectory = "/" };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add($"exec cat {M("b.txt")} > /dev/null");
            using var p = Process.Start(psi)!;
            p.WaitForExit();
            child = p.Id;
        }
        Assert.True(child == tid, $"thread id {tid} could not be given to a new process (another process took it first)");
        Assert.Equal((tid, tid, CatPath), seen.Last(e => e.Thread == tid));
    }

    [MountFact]
    public void ARequestorAskedFirstAfterTheReplyAnswersUnknown()
    {
        File.WriteAllText(B("note.txt"), "hello\n");
        Requestor kept = default;
        int askedDuring = 0, taken = 0;
        var closes = new ConcurrentQueue<(bool Known, int Process, bool Image)>();
        AddFilter("Who", "320000",
            new OperationRegistration(MajorFunction.Create, 0,
                (CallbackData d, in RelatedObjects o, out object? c) =>
                {
                    c = null;
                    if (Interlocked.Exchange(ref taken, 1) == 0)
                    {
                        kept = d.Requestor;                         // a copy, not asked yet
                        askedDuring = d.Requestor.ProcessId;
                    }
                    return PreOperationStatus.SuccessNoCallback;
                }, null),
            // RELEASE: the kernel's own request after the last close, made for no process.
            new OperationRegistration(MajorFunction.Close, 0,
                (CallbackData d, in RelatedObjects o, out object? c) =>
                {
                    c = null;
                    closes.Enqueue((d.Requestor.IsKnown, d.Requestor.ProcessId, d.Requestor.TryGetImagePath(out _)));
                    return PreOperationStatus.SuccessNoCallback;
                }, null));
        Mount();
        ShOk($"cat {M("note.txt")}");
        WaitUntil(() => !closes.IsEmpty, "the release reached the filter");
        Assert.NotEqual(0, askedDuring);
        Assert.True(kept.IsKnown);
        Assert.Equal(askedDuring, kept.ThreadId);          // cat has one thread
        Assert.Equal(0, kept.ProcessId);                   // answered: the id may be someone else's by now
        Assert.False(kept.TryGetImagePath(out _));
        Assert.False(kept.TryGetCgroup(out _));
        Assert.All(closes, c => Assert.Equal((false, 0, false), c));
    }

    [MountFact]
    public void AskingForTheProcessIdAllocatesNothingPerLookupOnTheReaders()
    {
        File.WriteAllText(B("note.txt"), "hello\n");
        long found = 0;
        AddFilter("Who", "320000", new OperationRegistration(MajorFunction.Create, 0,
            (CallbackData d, in RelatedObjects o, out object? c) =>
            {
                c = null;
                if (d.Requestor.ProcessId != 0) Interlocked.Increment(ref found);
                return PreOperationStatus.SuccessNoCallback;
            }, null));
        var volume = Mount();
        // Each cat is a new thread id (a miss: pidfd_open, PIDFD_GET_INFO, a slot replaced); the shell's opens are hits.
        string workload = $"for i in $(seq 1 200); do cat {M("note.txt")} > /dev/null; done";
        ShOk(workload);   // warm-up
        long allocated = -1, asked = 0;
        for (int attempt = 0; attempt < 5; attempt++)   // as AllocationTests: a window in which no reader was started
        {
            int started = volume.Server.ReadersStarted;
            long before = volume.Server.ReaderAllocatedBytes, foundBefore = Interlocked.Read(ref found);
            ShOk(workload);
            if (volume.Server.ReadersStarted != started) continue;
            allocated = volume.Server.ReaderAllocatedBytes - before;
            asked = Interlocked.Read(ref found) - foundBefore;
            break;
        }
        Assert.True(allocated >= 0, "five windows in a row each started a reader");
        Assert.True(asked >= 200, $"the lookups found a process ({asked} times)");
        // Fewer bytes than lookups: one object per lookup (24 bytes at least) would be thousands. A one-off 32 bytes was
        // seen once in a loaded run (not identified; the stripe locks inflating under contention are the suspect).
        Assert.True(allocated < asked, $"the readers allocated {allocated} bytes for {asked} lookups");
    }

    private static string ImageOfSelf() => new FileInfo("/proc/self/exe").LinkTarget!;

    /// <summary>A new, empty cgroup (the v1 pids hierarchy where there is one, else the v2 root); the caller removes it.</summary>
    private static string CreateCgroup()
    {
        string root = Directory.Exists("/sys/fs/cgroup/pids") ? "/sys/fs/cgroup/pids" : "/sys/fs/cgroup";
        string path = Path.Combine(root, "altitude-test-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        return path;
    }
}
