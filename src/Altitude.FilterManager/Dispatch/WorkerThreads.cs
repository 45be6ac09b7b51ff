// A bounded set of threads started on demand and ended when idle, taking items from one FIFO: the shape of both the
// system worker threads (SystemWorkerQueue) and the port workers (Ports/PortWorkers.cs). A thread is started when an
// item arrives and no idle one is left to wake, up to the limit; past it, items wait in order. Idle threads end after
// the idle timeout, so a burst leaves nothing behind.
namespace Altitude;

internal sealed class WorkerThreads<T>
{
    private readonly Queue<T> queue = new();
    private readonly object gate = new();
    private readonly int maxThreads;
    private readonly int idleMilliseconds;
    private readonly string name;
    // Runs one item; true puts it back at the end of the queue (this thread then takes the oldest, itself if alone).
    private readonly Func<T, bool> run;
    private readonly Action<T, Exception> fault;
    private int threads, idle, wakes;
    private bool stopping;

    [ThreadStatic] private static bool onWorker;

    public WorkerThreads(string name, int maxThreads, TimeSpan idleTimeout, Func<T, bool> run, Action<T, Exception> fault)
    {
        this.name = name;
        this.maxThreads = Math.Max(1, maxThreads);
        idleMilliseconds = (int)Math.Clamp(idleTimeout.TotalMilliseconds, 1, int.MaxValue);
        this.run = run;
        this.fault = fault;
    }

    /// <summary>True on one of this kind of worker thread.</summary>
    public static bool IsWorkerThread => onWorker;

    public int Threads { get { lock (gate) return threads; } }

    public int Queued { get { lock (gate) return queue.Count; } }

    /// <summary>Queues an item; false once stopped (the caller then runs it itself or drops it).</summary>
    public bool Post(T item)
    {
        bool start = false;
        lock (gate)
        {
            if (stopping) return false;
            queue.Enqueue(item);
            if (idle > wakes)
            {
                wakes++;
                Monitor.Pulse(gate);
            }
            else if (threads < maxThreads)
            {
                threads++;
                start = true;
            }
        }
        if (start) new Thread(Loop) { IsBackground = true, Name = name }.Start();
        return true;
    }

    private void Loop()
    {
        onWorker = true;
        while (RunOne()) { }
    }

    /// <summary>
    /// Waits for an item and runs it; false when the thread ends. The item lives only in this frame, so a thread that
    /// waits for work keeps no reference to the last one (a filter's collectible load context must be able to go).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private bool RunOne()
    {
        T item;
        lock (gate)
        {
            while (queue.Count == 0)
            {
                if (stopping) { threads--; return false; }
                idle++;
                bool woken = Monitor.Wait(gate, idleMilliseconds);
                idle--;
                // A pulse may land just as the wait times out (then Wait says false): a wake was promised to the
                // idle threads either way, and this one takes it.
                if (wakes > 0) wakes--;
                else if (!woken && queue.Count == 0) { threads--; return false; }
            }
            item = queue.Dequeue();
        }
        bool again = false;
        try { again = run(item); }
        catch (Exception e) { fault(item, e); }
        if (again) lock (gate) queue.Enqueue(item);
        return true;
    }

    /// <summary>No more items are taken in; queued ones still run, then the threads end.</summary>
    public void Stop()
    {
        lock (gate)
        {
            stopping = true;
            Monitor.PulseAll(gate);
        }
    }
}
