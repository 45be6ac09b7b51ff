// The threads that run filter code for ports: ConnectNotify, MessageNotify, DisconnectNotify and the continuations of
// SendMessageAsync. Each connection is a lane (ClientPort.Lane.cs) whose work runs one item at a time, in order;
// lanes with work wait in one FIFO and each worker takes the oldest, runs one turn and puts the lane back at the end
// if it has more. So a connection whose MessageNotify is slow holds at most one worker, the others take turns on the
// rest, and no connection waits behind another's queue. The threads themselves come and go as WorkerThreads does,
// so idle connections cost no thread.
using Microsoft.Extensions.Logging;

namespace Altitude.Ports;

internal sealed class PortWorkers
{
    private readonly WorkerThreads<ClientPort> pool;
    private long allocated;

    public PortWorkers(int limit, TimeSpan idleTimeout, ILogger logger) =>
        pool = new("altitude-port-worker", limit, idleTimeout, Turn,
            // RunTurn contains each item's exceptions; this is a bug in the lane itself.
            (lane, e) => logger.LogError(e, "Port worker: a turn of connection {Connection} failed", lane.ToString()));

    /// <summary>Bytes the workers allocated in their turns so far, pool growth left out (tests: the steady state allocates nothing).</summary>
    public long AllocatedBytes => Volatile.Read(ref allocated);

    /// <summary>Queues a lane for one turn; wakes an idle worker or starts one.</summary>
    public void Schedule(ClientPort lane)
    {
        // Stopped (the manager is gone, every connection finished): whatever still comes runs here.
        if (!pool.Post(lane)) while (Turn(lane)) { }
    }

    private bool Turn(ClientPort lane)
    {
        long before = PoolGrowth.SteadyStateBytes;
        try { return lane.RunTurn(); }
        finally { Interlocked.Add(ref allocated, PoolGrowth.SteadyStateBytes - before); }
    }

    /// <summary>Lets idle workers end (manager dispose); lanes still queued are run first.</summary>
    public void Stop() => pool.Stop();
}
