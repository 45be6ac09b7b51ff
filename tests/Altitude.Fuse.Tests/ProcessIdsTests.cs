// The thread → process table with a fake probe: thread ids that the "kernel" recycles, without waiting for a real
// pid_max wrap-around (RequestorTests recycles a real one).
using Altitude.Fuse.Bridge;

namespace Altitude.Fuse.Tests;

public class ProcessIdsTests
{
    /// <summary>Threads by id; each gets a new start time when its id is given out again, as the kernel's would.</summary>
    private sealed class FakeProbe : IThreadProbe
    {
        private readonly Dictionary<int, (int Process, long Start)> running = new();
        private readonly List<(int Thread, long Start, bool Open)> handles = new();
        private long clock;

        public int Opens { get; private set; }
        public int OpenHandles => handles.Count(h => h.Open);

        public void Start(int thread, int process) => running[thread] = (process, ++clock);
        public void End(int thread) => running.Remove(thread);

        public bool TryOpen(int threadId, out int handle, out int processId)
        {
            handle = -1;
            processId = 0;
            if (!running.TryGetValue(threadId, out var t)) return false;
            Opens++;
            handles.Add((threadId, t.Start, true));
            handle = handles.Count - 1;
            processId = t.Process;
            return true;
        }

        public bool IsAlive(int handle)
        {
            var h = handles[handle];
            Assert.True(h.Open, "polled a closed handle");
            return running.TryGetValue(h.Thread, out var t) && t.Start == h.Start;
        }

        public void Close(int handle) => handles[handle] = handles[handle] with { Open = false };
    }

    [Fact]
    public void ARecycledThreadIdMapsToTheProcessThatNowHasIt()
    {
        var probe = new FakeProbe();
        var table = new ProcessIds(probe);
        probe.Start(100, 10);
        Assert.True(table.TryGetProcess(100, out int first));
        Assert.Equal(10, first);
        Assert.True(table.TryGetProcess(100, out int again));
        Assert.Equal(10, again);
        Assert.Equal(1, probe.Opens);   // a hit is checked on the held handle, not looked up again

        probe.End(100);
        probe.Start(100, 20);           // the id is given to a thread of another process
        Assert.True(table.TryGetProcess(100, out int recycled));
        Assert.Equal(20, recycled);
        Assert.Equal(1, probe.OpenHandles);   // the stale handle was closed when replaced
    }

    [Fact]
    public void AThreadThatEndedHasNoProcess()
    {
        var probe = new FakeProbe();
        var table = new ProcessIds(probe);
        probe.Start(7, 7);
        Assert.True(table.TryGetProcess(7, out _));
        probe.End(7);
        Assert.False(table.TryGetProcess(7, out int pid));
        Assert.Equal(0, pid);
    }

    [Fact]
    public void IdsSharingASlotDoNotAnswerForEachOther()
    {
        var probe = new FakeProbe();
        var table = new ProcessIds(probe);
        probe.Start(5, 50);
        probe.Start(5 + 512, 60);   // same slot of the 512-entry table
        Assert.True(table.TryGetProcess(5, out int a));
        Assert.True(table.TryGetProcess(5 + 512, out int b));
        Assert.True(table.TryGetProcess(5, out int c));
        Assert.Equal((50, 60, 50), (a, b, c));
    }

    [Fact]
    public unsafe void PidfdInfoIsTheFirstPublishedLayout()
    {
        Assert.Equal(64, sizeof(Altitude.Fuse.Interop.Libc.PidfdInfo));                   // PIDFD_INFO_SIZE_VER0
        Assert.Equal(64ul, (Altitude.Fuse.Interop.Libc.PIDFD_GET_INFO >> 16) & 0x3FFF);   // the size _IOWR encodes
    }

    [Fact]
    public void TheKernelProbeFindsThisThreadsProcessAndSeesItEnd()
    {
        var probe = new PidfdProbe();
        int tid = 0, handle = -1, pid = 0;
        bool opened = false, aliveWhileRunning = false;
        var thread = new Thread(() =>
        {
            tid = int.Parse(Path.GetFileName(new DirectoryInfo("/proc/thread-self").LinkTarget!));
            opened = probe.TryOpen(tid, out handle, out pid);
            aliveWhileRunning = handle >= 0 && probe.IsAlive(handle);
        });
        thread.Start();
        thread.Join();
        Assert.True(opened);
        Assert.Equal(Environment.ProcessId, pid);
        Assert.True(handle >= 0, "no pidfd for the thread (kernel before 6.9?)");
        Assert.True(aliveWhileRunning);
        Assert.True(SpinWait.SpinUntil(() => !probe.IsAlive(handle), 60_000), "the pidfd never reported the thread's exit");
        probe.Close(handle);
    }

    [Fact]
    public void TheUnknownRequestorAnswersUnknown()
    {
        Requestor r = Requestor.Unknown;
        Assert.False(r.IsKnown);
        Assert.Equal(0, r.ProcessId);
        Assert.False(r.TryGetImagePath(out _));
        Assert.False(r.TryGetCgroup(out _));
    }
}
