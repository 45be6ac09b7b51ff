// The Filter Manager's system worker threads (ExQueueWorkItem's role): where the rest of an asynchronous operation's
// completion runs when a SYNCHRONIZE or post-create post-op becomes due on a thread that must not block, because the
// issuer (a FUSE reader) went back to reading. Threads are added when an item arrives and none is idle, up to a maximum;
// past it, items wait in order. Idle threads exit after a while, so a burst leaves nothing behind. Filters' deferred
// I/O work items (FltQueueDeferredIoWorkItem) run here too.
namespace Altitude;

internal sealed class SystemWorkerQueue : IDisposable
{
    // One of the two is set: the rest of an operation's completion, or a filter's deferred work item.
    private readonly Queue<(CallbackData? Data, DeferredIoWorkItem? Item)> queue = new();
    private readonly object gate = new();
    private readonly int maxThreads;
    private readonly int idleMilliseconds;
    private readonly Action<CallbackData, Exception> fault;
    private int threads, idle;
    private bool disposed;

    [ThreadStatic] private static bool onWorker;

    public SystemWorkerQueue(int maxThreads, TimeSpan idleTimeout, Action<CallbackData, Exception> fault)
    {
        this.maxThreads = Math.Max(1, maxThreads);
        idleMilliseconds = (int)Math.Clamp(idleTimeout.TotalMilliseconds, 1, int.MaxValue);
        this.fault = fault;
    }

    /// <summary>True on a system worker thread: a passive-level thread that may block.</summary>
    public static bool IsWorkerThread => onWorker;

    /// <summary>Worker threads alive now (diagnostics and tests).</summary>
    public int Threads { get { lock (gate) return threads; } }

    /// <summary>Items waiting for a worker (diagnostics and tests).</summary>
    public int Queued { get { lock (gate) return queue.Count; } }

    /// <summary>Queues the rest of <paramref name="d"/>'s completion (<see cref="Dispatcher.RunDeferredCompletion"/>).</summary>
    public void Post(CallbackData d) => Post(d, null);

    /// <summary>Queues a filter's deferred I/O work item (<see cref="DeferredIoWorkItem.Run"/>).</summary>
    public void Post(DeferredIoWorkItem item) => Post(null, item);

    private void Post(CallbackData? d, DeferredIoWorkItem? item)
    {
        bool inline;
        lock (gate)
        {
            // After Dispose (the manager is going away, its filters completing what they pended) nobody would take it.
            inline = disposed;
            if (!inline) queue.Enqueue((d, item));
        }
        if (inline)
        {
            Run(d, item);
            return;
        }
        lock (gate)
        {
            // Each idle worker takes one item; start another when the queue outgrows them.
            if (queue.Count > idle && threads < maxThreads && !disposed)
            {
                threads++;
                new Thread(Loop) { IsBackground = true, Name = "fltmgr-worker" }.Start();
            }
            else Monitor.Pulse(gate);
        }
    }

    private void Loop()
    {
        onWorker = true;
        while (true)
        {
            CallbackData? d;
            DeferredIoWorkItem? item;
            lock (gate)
            {
                while (queue.Count == 0)
                {
                    if (disposed) { threads--; return; }
                    idle++;
                    bool woken = Monitor.Wait(gate, idleMilliseconds);
                    idle--;
                    if (!woken && queue.Count == 0) { threads--; return; }
                }
                (d, item) = queue.Dequeue();
            }
            Run(d, item);
        }
    }

    private void Run(CallbackData? d, DeferredIoWorkItem? item)
    {
        if (item is not null)
        {
            item.Run();   // reports its routine's faults itself
            return;
        }
        try { Dispatcher.RunDeferredCompletion(d!); }
        catch (Exception e) { fault(d!, e); }
    }

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            Monitor.PulseAll(gate);
        }
    }
}
