// The kernel puts the calling *thread's* id in fuse_in_header.pid. Filters want the process too (FltGetRequestorProcessId),
// so the thread group is looked up when a filter first asks, and kept in a small direct-mapped table keyed by thread id.
// Thread ids are recycled (pid_max is 32768 on many hosts), so each entry holds a handle on its thread (a pidfd) and a
// hit counts only while that thread still runs: one poll(2) per hit instead of reading /proc.
namespace Altitude.Fuse.Bridge;

internal sealed class ProcessIds
{
    /// <summary>The one table of the daemon (thread ids are system-wide).</summary>
    public static readonly ProcessIds Shared = new(new PidfdProbe());

    private const int Size = 512, Stripes = 16;   // 512 fds at most; a daemon serves few hundred threads at once

    private struct Slot
    {
        public int ThreadId;
        public int ProcessId;
        public int Handle;
    }

    private readonly IThreadProbe probe;
    private readonly Slot[] slots = new Slot[Size];
    // A handle is used (polled) and replaced under its stripe's lock, so one is never closed while polled.
    private readonly object[] locks = new object[Stripes];

    public ProcessIds(IThreadProbe probe)
    {
        this.probe = probe;
        for (int i = 0; i < Size; i++) slots[i].Handle = -1;
        for (int i = 0; i < Stripes; i++) locks[i] = new object();
    }

    /// <summary>
    /// The process of the thread that now has id <paramref name="threadId"/>; false when there is none. Exact for a
    /// thread that waits for its request's reply (it cannot end meanwhile, so its id is not reused).
    /// </summary>
    public bool TryGetProcess(int threadId, out int processId)
    {
        processId = 0;
        if (threadId <= 0) return false;
        int index = threadId & (Size - 1);
        object gate = locks[index & (Stripes - 1)];
        lock (gate)
        {
            ref Slot s = ref slots[index];
            if (s.ThreadId == threadId && s.Handle >= 0 && probe.IsAlive(s.Handle))
            {
                processId = s.ProcessId;
                return true;
            }
        }
        // Missed, or the thread seen before has ended and the id was given to another: ask again, outside the lock.
        if (!probe.TryOpen(threadId, out int handle, out processId)) return false;
        if (handle < 0) return true;
        int replaced;
        lock (gate)
        {
            ref Slot s = ref slots[index];
            replaced = s.Handle;
            s.ThreadId = threadId;
            s.ProcessId = processId;
            s.Handle = handle;
        }
        if (replaced >= 0) probe.Close(replaced);   // no one polls it any more: polls happen under the lock
        return true;
    }
}
