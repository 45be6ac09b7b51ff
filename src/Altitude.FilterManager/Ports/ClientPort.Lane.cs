// The connection's lane: its filter callbacks (ConnectNotify, each MessageNotify, the continuations of
// SendMessageAsync, DisconnectNotify) run here one at a time, in the order they arrived, on the port
// workers (PortWorkers.cs). A turn runs one MessageNotify, or up to a handful of the short items, and the
// lane then goes to the back of the workers' queue: connections take turns. FilterSendMessage requests
// that have not started when the connection closes are dropped, never run (the client sees the close:
// 0x80070006 for each). While the client does not read its answers, MessageNotify waits (ClientPort.Output.cs);
// while many are queued, the I/O thread reads no more of this connection's requests.
using Altitude.Ports;
using Microsoft.Extensions.Logging;

namespace Altitude;

public sealed partial class ClientPort
{
    // Queued FilterSendMessage requests at which the I/O thread stops reading this connection.
    internal const int PauseReadingAtSends = 64;
    // Short items (completions) per turn before the lane lets another connection run.
    private const int TurnBudget = 16;

    // The lane whose turn this worker thread is running (a DisconnectNotify must not wait for itself).
    [ThreadStatic] private static ClientPort? runningLane;

    private readonly PortWorkers workers;
    private readonly Queue<ILaneWork> lane = new();
    private bool laneScheduled;
    private bool laneDropping;
    private int laneSends;   // queued sends not started (under the lane's lock; read without it as a hint)

    /// <summary>Queues work for this connection's lane and schedules the lane if it is not already.</summary>
    private void Post(ILaneWork work)
    {
        bool schedule = false;
        lock (lane)
        {
            if (work.IsSend)
            {
                if (laneDropping) { work.Drop(); return; }
                laneSends++;
            }
            lane.Enqueue(work);
            if (!laneScheduled && Runnable())
            {
                laneScheduled = true;
                schedule = true;
            }
        }
        if (schedule) workers.Schedule(this);
    }

    /// <summary>Under the lane's lock: the head item may run now (a send waits while the client does not read).</summary>
    private bool Runnable() => lane.Count > 0 && !(lane.Peek().IsSend && OutputBlocked && !laneDropping);

    /// <summary>
    /// A worker's turn: one MessageNotify, or up to <see cref="TurnBudget"/> short items. True when the lane
    /// has more to run: the worker then puts it at the back of the queue itself (PortWorkers.Work).
    /// </summary>
    internal bool RunTurn()
    {
        var outer = runningLane;
        runningLane = this;
        try
        {
            for (int budget = TurnBudget; ; budget--)
            {
                ILaneWork work;
                bool resumeReading = false;
                lock (lane)
                {
                    if (!Runnable()) { laneScheduled = false; return false; }
                    if (budget == 0) break;
                    work = lane.Dequeue();
                    if (work.IsSend) resumeReading = laneSends-- == PauseReadingAtSends;
                }
                if (resumeReading) lock (gate) RearmLocked();
                bool wasSend = work.IsSend;
                try
                {
                    work.Run();
                }
                catch (Exception e)
                {
                    // Each item contains the filter's exceptions itself; this is a bug in the item.
                    ServerPort.Manager.ReportFault(null, null, $"port {ServerPort.Name}: a callback of connection ({Credentials}) failed", e, ServerPort.Filter);
                }
                if (wasSend) break;   // one MessageNotify per turn: then the others' turn
            }
        }
        finally
        {
            runningLane = outer;
        }
        lock (lane)
        {
            if (Runnable()) return true;
            laneScheduled = false;
            return false;
        }
    }

    /// <summary>The client reads again: a lane paused on its output may go on.</summary>
    private void ResumeLane()
    {
        bool schedule = false;
        lock (lane)
        {
            if (!laneScheduled && Runnable())
            {
                laneScheduled = true;
                schedule = true;
            }
        }
        if (schedule) workers.Schedule(this);
    }

    /// <summary>Closed: queued sends that did not start are released without running; later ones too.</summary>
    private void DropQueuedSends()
    {
        ILaneWork[]? dropped = null;
        int count = 0;
        lock (lane)
        {
            laneDropping = true;
            if (laneSends == 0) return;
            int n = lane.Count;
            for (int i = 0; i < n; i++)
            {
                var w = lane.Dequeue();
                if (!w.IsSend) { lane.Enqueue(w); continue; }
                (dropped ??= new ILaneWork[laneSends])[count++] = w;
            }
            laneSends = 0;
        }
        for (int i = 0; i < count; i++) dropped![i].Drop();
        if (count > 0) logger.LogDebug("Port {Port}: connection ({Peer}) closed with {Count} FilterSendMessage requests not started; dropped", ServerPort.Name, Credentials.ToString(), count);
    }
}
