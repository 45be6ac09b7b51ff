// The one I/O thread of a Filter Manager's ports ("altitude-ports"): an epoll set holding every listener
// and every connection that nobody else is reading. It accepts (the security check comes first, from
// SO_PEERCRED, before any other cost), reads hellos, reads connections whose frames nobody is waiting for,
// flushes output that clients were slow to take, and ends handshakes that never said hello. It never runs
// filter code: that goes to the connection's lane on the port workers (PortWorkers.cs). A connection costs
// no thread and no buffer while it is idle: the two receive buffers here are the I/O thread's.
//
// Connections are one-shot: an event disarms the descriptor until whoever handled it arms it again
// (ClientPort.Rearm). A synchronous FltSendMessage that read its own reply does not re-arm at once: the
// connection goes on a grace list and is re-armed once a whole tick (1 ms) passed without send activity,
// so a busy request/reply pair does not wake this thread for every frame (ClientPort.Receive.cs).
using System.Runtime.InteropServices;
using Altitude.Ports.Interop;
using Altitude.Ports.Wire;
using Microsoft.Extensions.Logging;

namespace Altitude.Ports;

internal sealed unsafe class PortDispatcher : IDisposable
{
    private const int GraceTickMilliseconds = 1;
    /// <summary>A grace tick in Stopwatch units: a connection is re-armed once this passed without send activity.</summary>
    public static readonly long GraceTicks = System.Diagnostics.Stopwatch.Frequency * GraceTickMilliseconds / 1000;
    private const int EventCapacity = 64;
    private const ulong WakeData = ulong.MaxValue;
    // Frames one connection may have read from it per event before the others get their turn.
    public const int ReadBatch = 32;

    [ThreadStatic] private static bool onIoThread;

    private readonly int epoll, wakeFd;
    private readonly Thread thread;
    private readonly ILogger logger;
    private readonly object gate = new();
    // Registered listeners and connections by slot; an event's data is (generation << 32 | slot), so an
    // event for a slot that was reused meanwhile is recognised and dropped.
    private object?[] entries = new object?[64];
    private uint[] generations = new uint[64];
    private readonly Stack<int> freeSlots = new();
    private int nextSlot;
    // Connections waiting for their hello, oldest first (one timeout for all, so also soonest deadline first).
    private readonly Queue<ClientPort> handshakes = new();
    private readonly List<ClientPort> grace = new();
    private ClientPort[] graceScratch = new ClientPort[16];
    private readonly List<ServerPort> delayedListeners = new();
    private long listenerRetryAt;
    private volatile bool stopping;
    private readonly byte* events;
    private long ioAllocated;

    public PortDispatcher(FilterManagerOptions options, ILogger logger)
    {
        this.logger = logger;
        HelloTimeout = options.PortHelloTimeout;
        HandshakeLimit = options.PortHandshakeLimit;
        Workers = new PortWorkers(options.PortWorkerLimit, options.WorkerIdleTimeout, logger);
        IoBuffers = new ReadBuffers();
        epoll = PortInterop.CreateEpoll();
        wakeFd = PortInterop.CreateEventFd();
        PortInterop.Control(epoll, wakeFd, PortInterop.EpollIn, WakeData, add: true);
        events = (byte*)NativeMemory.Alloc((nuint)(EventCapacity * PortInterop.EpollEventSize));
        thread = new Thread(Run) { IsBackground = true, Name = "altitude-ports" };
        thread.Start();
    }

    public PortWorkers Workers { get; }
    public TimeSpan HelloTimeout { get; }
    public int HandshakeLimit { get; }
    /// <summary>The I/O thread's receive buffers (used on that thread only).</summary>
    public ReadBuffers IoBuffers { get; }
    /// <summary>Bytes the I/O thread allocated handling events so far (tests: the steady state allocates nothing).</summary>
    public long IoAllocatedBytes => Volatile.Read(ref ioAllocated);

    /// <summary>True on the I/O thread, where filter code must not run (it goes to a lane instead).</summary>
    public static bool OnIoThread => onIoThread;

    /// <summary>Adds a descriptor to the epoll set (armed with <paramref name="interest"/>, or disarmed for 0); returns its key.</summary>
    public ulong Register(object entry, int fd, uint interest)
    {
        ulong key;
        lock (gate)
        {
            int slot;
            if (freeSlots.Count > 0) slot = freeSlots.Pop();
            else
            {
                slot = nextSlot++;
                if (slot == entries.Length)
                {
                    Array.Resize(ref entries, slot * 2);
                    Array.Resize(ref generations, slot * 2);
                }
            }
            entries[slot] = entry;
            key = (ulong)generations[slot] << 32 | (uint)slot;
        }
        int r = PortInterop.Control(epoll, fd, interest, key, add: true);
        if (r != 0) logger.LogError("Ports: epoll_ctl ADD of descriptor {Fd} failed: {Error}", fd, Marshal.GetPInvokeErrorMessage(-r));
        return key;
    }

    /// <summary>Arms a registered descriptor for one event of <paramref name="interest"/> (0 leaves it disarmed).</summary>
    public void Arm(int fd, ulong key, uint interest) => PortInterop.Control(epoll, fd, interest | PortInterop.EpollOneShot, key);

    /// <summary>Takes a descriptor out of the set before it is closed; a late event for its key is dropped.</summary>
    public void Unregister(int fd, ulong key)
    {
        PortInterop.Control(epoll, fd, null, 0);
        lock (gate)
        {
            int slot = (int)(uint)key;
            if (generations[slot] != (uint)(key >> 32)) return;
            generations[slot]++;
            entries[slot] = null;
            freeSlots.Push(slot);
        }
    }

    /// <summary>A connection waiting for its hello; it is closed if none came within <see cref="HelloTimeout"/>.</summary>
    public void AddHandshake(ClientPort c)
    {
        bool first;
        lock (gate)
        {
            first = handshakes.Count == 0;
            handshakes.Enqueue(c);
        }
        if (first) Wake();
    }

    /// <summary>Re-arms <paramref name="c"/> once a tick passed with no send activity on it (ClientPort.ProcessGrace).</summary>
    public void AddGrace(ClientPort c)
    {
        bool first;
        lock (gate)
        {
            first = grace.Count == 0;
            grace.Add(c);
        }
        if (first) Wake();
    }

    /// <summary>accept4 failed for lack of descriptors or memory: retry that listener after a pause instead of spinning.</summary>
    public void DelayListener(ServerPort p)
    {
        lock (gate)
        {
            delayedListeners.Add(p);
            listenerRetryAt = Environment.TickCount64 + 100;
        }
        Wake();
    }

    private void Wake() => PortInterop.Signal(wakeFd);

    private void Run()
    {
        onIoThread = true;
        while (!stopping)
        {
            int n = PortInterop.Wait(epoll, events, EventCapacity, Timeout());
            if (stopping) break;
            long before = PoolGrowth.SteadyStateBytes;
            for (int i = 0; i < n; i++)
            {
                PortInterop.ReadEvent(events, i, out uint ev, out ulong key);
                if (key == WakeData) { PortInterop.DrainEventFd(wakeFd); continue; }
                Handle(ev, key);
            }
            ProcessTimers();
            Volatile.Write(ref ioAllocated, ioAllocated + PoolGrowth.SteadyStateBytes - before);
        }
    }

    /// <summary>
    /// One event. The entry lives only in this frame, so the thread waiting in epoll keeps no reference to the last
    /// connection it served (a closed port's filter, from a collectible load context, must be able to go).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void Handle(uint ev, ulong key)
    {
        object? entry;
        lock (gate)
        {
            int slot = (int)(uint)key;
            entry = slot < entries.Length && generations[slot] == (uint)(key >> 32) ? entries[slot] : null;
        }
        try
        {
            if (entry is ClientPort c) c.OnEvent(ev);
            else if (entry is ServerPort p) p.OnAcceptable();
        }
        catch (Exception e)
        {
            // Nothing a peer does may stop this thread: drop that connection only.
            logger.LogError(e, "Ports: handling an event of {Entry} failed", entry?.ToString());
            (entry as ClientPort)?.Close("internal error: " + e.GetType().Name);
        }
    }

    /// <summary>Milliseconds until the next timer: a grace tick, a hello deadline, a delayed listener; −1 for none.</summary>
    private int Timeout()
    {
        lock (gate)
        {
            long wait = long.MaxValue;
            if (grace.Count > 0) wait = GraceTickMilliseconds;
            long now = Environment.TickCount64;
            if (handshakes.Count > 0) wait = Math.Min(wait, Math.Max(0, handshakes.Peek().HelloDeadline - now));
            if (delayedListeners.Count > 0) wait = Math.Min(wait, Math.Max(0, listenerRetryAt - now));
            return wait == long.MaxValue ? -1 : (int)Math.Min(wait, int.MaxValue);
        }
    }

    private void ProcessTimers()
    {
        long now = Environment.TickCount64;
        ClientPort? expired = null;
        while (true)
        {
            lock (gate)
            {
                // Hellos that came, or connections already closed, leave the queue here, in order.
                while (handshakes.Count > 0 && !handshakes.Peek().AwaitingHello) handshakes.Dequeue();
                if (handshakes.Count == 0 || handshakes.Peek().HelloDeadline > now) break;
                expired = handshakes.Dequeue();
            }
            expired.HelloTimedOut();
        }
        // ProcessGrace takes the connection's lock, which is never held while this one is taken: copy first.
        int count;
        lock (gate)
        {
            count = grace.Count;
            if (graceScratch.Length < count) graceScratch = new ClientPort[Math.Max(count, graceScratch.Length * 2)];
            grace.CopyTo(graceScratch);
        }
        int done = 0;
        for (int i = 0; i < count; i++)
            if (graceScratch[i].ProcessGrace()) graceScratch[done++] = graceScratch[i];
        if (done > 0)
        {
            lock (gate)
                for (int i = 0; i < done; i++) grace.Remove(graceScratch[i]);
        }
        Array.Clear(graceScratch, 0, count);
        ServerPort[]? retry = null;
        lock (gate)
        {
            if (delayedListeners.Count > 0 && now >= listenerRetryAt)
            {
                retry = delayedListeners.ToArray();
                delayedListeners.Clear();
            }
        }
        if (retry is not null) foreach (var p in retry) p.ArmListener();
    }

    public void Dispose()
    {
        stopping = true;
        Wake();
        if (Thread.CurrentThread != thread) thread.Join();
        Workers.Stop();
        PortInterop.Close(epoll);
        PortInterop.Close(wakeFd);
        NativeMemory.Free(events);
    }
}

/// <summary>
/// The two receive buffers of one reading thread: recvmmsg takes a second record when it is already there,
/// which the same reader handles before it gives up reading. One byte more than the largest frame, so a full
/// read means a record was cut.
/// </summary>
internal sealed class ReadBuffers
{
    private static readonly System.Collections.Concurrent.ConcurrentQueue<ReadBuffers> Pool = new();
    private static int pooled;
    private static int created;
    public readonly byte[] First = GC.AllocateUninitializedArray<byte>(FrameHeader.MaxFrame + 1);
    public readonly byte[] Second = GC.AllocateUninitializedArray<byte>(FrameHeader.MaxFrame + 1);
    /// <summary>Length of the record waiting in <see cref="Second"/> (0: EOF), or −1 for none.</summary>
    public int ReadAhead = -1;

    /// <summary>Pairs created so far in the process (tests: the pool's growth).</summary>
    public static int Created => Volatile.Read(ref created);
    /// <summary>Pairs in the pool now (tests).</summary>
    public static int Pooled => Volatile.Read(ref pooled);

    public static ReadBuffers Rent()
    {
        if (Pool.TryDequeue(out var b))
        {
            Interlocked.Decrement(ref pooled);
            return b;
        }
        // More readers at once than the pool held (the pool is process-wide: another port's readers count too).
        long mark = PoolGrowth.Begin();
        b = new ReadBuffers();
        PoolGrowth.End(mark);
        Interlocked.Increment(ref created);
        return b;
    }

    public static void Return(ReadBuffers b)
    {
        b.ReadAhead = -1;
        if (Interlocked.Increment(ref pooled) <= 64) Pool.Enqueue(b);
        else Interlocked.Decrement(ref pooled);
    }
}
