// The Filter Manager's system worker threads (ExQueueWorkItem's role): where the rest of an asynchronous operation's
// completion runs when a SYNCHRONIZE or post-create post-op becomes due on a thread that must not block, because the
// issuer (a FUSE reader) went back to reading. Filters' deferred I/O work items (FltQueueDeferredIoWorkItem) run here
// too. The threads come and go as WorkerThreads does.
namespace Altitude;

internal sealed class SystemWorkerQueue : IDisposable
{
    // One of the two is set: the rest of an operation's completion, or a filter's deferred work item.
    private readonly WorkerThreads<(CallbackData? Data, DeferredIoWorkItem? Item)> pool;
    private readonly Action<CallbackData, Exception> fault;

    public SystemWorkerQueue(int maxThreads, TimeSpan idleTimeout, Action<CallbackData, Exception> fault)
    {
        this.fault = fault;
        pool = new("fltmgr-worker", maxThreads, idleTimeout, w => { Run(w.Data, w.Item); return false; }, (w, e) => fault(w.Data!, e));
    }

    /// <summary>True on a system worker thread: a passive-level thread that may block.</summary>
    public static bool IsWorkerThread => WorkerThreads<(CallbackData? Data, DeferredIoWorkItem? Item)>.IsWorkerThread;

    /// <summary>Worker threads alive now (diagnostics and tests).</summary>
    public int Threads => pool.Threads;

    /// <summary>Items waiting for a worker (diagnostics and tests).</summary>
    public int Queued => pool.Queued;

    /// <summary>Queues the rest of <paramref name="d"/>'s completion (<see cref="Dispatcher.RunDeferredCompletion"/>).</summary>
    public void Post(CallbackData d) => Post(d, null);

    /// <summary>Queues a filter's deferred I/O work item (<see cref="DeferredIoWorkItem.Run"/>).</summary>
    public void Post(DeferredIoWorkItem item) => Post(null, item);

    // After Dispose (the manager is going away, its filters completing what they pended) nobody would take it: run it here.
    private void Post(CallbackData? d, DeferredIoWorkItem? item)
    {
        if (!pool.Post((d, item))) Run(d, item);
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

    public void Dispose() => pool.Stop();
}
