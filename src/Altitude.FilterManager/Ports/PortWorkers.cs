// The threads that run filter code for ports: ConnectNotify, MessageNotify, DisconnectNotify and the
// continuations of SendMessageAsync. Each connection is a lane (ClientPort.Lane.cs) whose work runs one item
// at a time, in order; lanes with work wait here in one FIFO and each worker takes the oldest, runs one turn
// and puts the lane back at the end if it has more. So a connection whose MessageNotify is slow holds at
// most one worker, the others take turns on the rest, and no connection waits behind another's queue.
// Workers start when lanes wait and none is idle (up to a limit) and end after a while without work, so
// idle connections cost no thread.
using Microsoft.Extensions.Logging;

namespace Altitude.Ports;

internal sealed class PortWorkers
{
    private readonly object gate = new();
    private readonly Queue<ClientPort> runnable = new();
    private readonly int limit;
    private readonly TimeSpan idleTimeout;
    private readonly ILogger logger;
    private int total, idle, wakes;
    private bool stopping;
    private long allocated;

    public PortWorkers(int limit, TimeSpan idleTimeout, ILogger logger)
    {
        this.limit = Math.Max(1, limit);
        this.idleTimeout = idleTimeout;
        this.logger = logger;
    }

    /// <summary>Threads alive now (tests and fltmc).</summary>
    public int ThreadCount { get { lock (gate) return total; } }

    /// <summary>Bytes the workers allocated in their turns so far (tests: the steady state allocates nothing).</summary>
    public long AllocatedBytes => Volatile.Read(ref allocated);

    /// <summary>Queues a lane for one turn; wakes an idle worker or starts one.</summary>
    public void Schedule(ClientPort lane)
    {
        bool start = false;
        lock (gate)
        {
            runnable.Enqueue(lane);
            if (idle > wakes)
            {
                wakes++;
                Monitor.Pulse(gate);
            }
            else if (total < limit)
            {
                total++;
                start = true;
            }
        }
        if (start) new Thread(Work) { IsBackground = true, Name = "altitude-port-worker" }.Start();
    }

    private void Work()
    {
        while (true)
        {
            ClientPort lane;
            lock (gate)
            {
                while (runnable.Count == 0)
                {
                    if (stopping) { total--; return; }
                    idle++;
                    bool woken = Monitor.Wait(gate, idleTimeout);
                    idle--;
                    // A pulse may land just as the wait times out (then Wait says false): a wake was
                    // promised to the idle workers either way, and this one takes it.
                    if (wakes > 0) wakes--;
                    else if (!woken && runnable.Count == 0) { total--; return; }
                }
                lane = runnable.Dequeue();
            }
            bool more = false;
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                more = lane.RunTurn();
            }
            catch (Exception e)
            {
                // RunTurn contains each item's exceptions; this is a bug in the lane itself.
                logger.LogError(e, "Port worker: a turn of connection {Connection} failed", lane.ToString());
            }
            Interlocked.Add(ref allocated, GC.GetAllocatedBytesForCurrentThread() - before);
            // Back to the end of the queue; this worker takes the oldest next (itself if it is alone), so
            // no other thread needs waking for it.
            if (more) lock (gate) runnable.Enqueue(lane);
        }
    }

    /// <summary>Lets idle workers end (manager dispose); lanes still queued are run first.</summary>
    public void Stop()
    {
        lock (gate)
        {
            stopping = true;
            Monitor.PulseAll(gate);
        }
    }
}
