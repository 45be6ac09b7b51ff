// The one thread that writes the front-end's cache notifications to /dev/fuse: INVAL_ENTRY and DELETE for names,
// INVAL_INODE for attributes and data, and the policy's "take back everything" (epoch + every node). Never a reader:
// the kernel applies a notification under the directory's inode lock (INVAL_ENTRY, DELETE) or the file's page locks
// (INVAL_INODE with data), and a request a reader is serving may hold exactly those while it waits for its reply (a
// filter writing a file during a CREATE in the same directory). Producers never wait for this thread either: the
// queue is a fixed ring, a full ring is coalesced into "everything", so nothing here can stall a request.
namespace Altitude.Fuse.Bridge;

/// <summary>Writes one notification; returns 0 or the kernel's error. Runs on the notifier thread only.</summary>
internal delegate int NotificationWriter(in KernelCacheNotifier.Work work);

internal sealed class KernelCacheNotifier
{
    internal enum Kind : byte { Entry, Delete, Inode, Everything }

    /// <summary>One queued notification. Names are copied into the slot's own buffer (kept, grown only for long paths).</summary>
    private struct Item
    {
        public Kind Kind;
        public ulong Parent;      // 0: Name is a path from the volume root, resolved on this thread
        public ulong Node;
        public long Offset, Length;
        public byte[]? Name;
        public int NameLength;
        public long Seq;
        public bool Names, Pages;   // Everything
    }

    /// <summary>A copy of one item, taken out under the lock so a producer may reuse the slot at once.</summary>
    internal ref struct Work
    {
        public Kind Kind;
        public ulong Parent, Node;
        public long Offset, Length;
        public ReadOnlySpan<byte> Name;
        public bool Names, Pages;
    }

    private const int Capacity = 1024;

    private readonly NotificationWriter write;
    private readonly object gate = new();
    private readonly Item[] ring = new Item[Capacity];
    private readonly Thread thread;
    private int head, count;
    private long queued, done;            // sequence numbers: last accepted, last finished (written or refused by the kernel)
    private long overflowSeq;             // a full ring became "everything" (0: none pending)
    private bool stopped;
    private long written, refused, overflows;

    public KernelCacheNotifier(NotificationWriter write)
    {
        this.write = write;
        thread = new Thread(Loop) { IsBackground = true, Name = "altitude-notify" };
        thread.Start();
    }

    /// <summary>Notifications written (diagnostics and tests).</summary>
    public long Written => Interlocked.Read(ref written);
    /// <summary>Notifications the kernel refused, mostly ENOENT: it did not cache that name or node.</summary>
    public long Refused => Interlocked.Read(ref refused);
    /// <summary>Times the ring was full and its contents were coalesced into "invalidate everything".</summary>
    public long Overflows => Interlocked.Read(ref overflows);

    /// <summary>Queues a name notification: <paramref name="name"/> in <paramref name="parent"/>, or a root path when parent is 0.</summary>
    public long EnqueueName(Kind kind, ulong parent, ReadOnlySpan<byte> name, ulong child)
    {
        if (name.IsEmpty) return Volatile.Read(ref queued);
        lock (gate)
        {
            if (count > 0)
            {
                ref Item last = ref ring[(head + count - 1) % Capacity];
                if (last.Kind == kind && last.Parent == parent && last.Node == child
                    && name.SequenceEqual(last.Name.AsSpan(0, last.NameLength)))
                    return last.Seq;
            }
            return Add(kind, parent, name, child, 0, 0, false, false);
        }
    }

    /// <summary>
    /// Queues INVAL_INODE for <paramref name="node"/>: attributes only (offset -1) or data from offset (length 0 = to the
    /// end). With node 0 the node is found from <paramref name="parent"/> and <paramref name="name"/> on this thread.
    /// Consecutive requests for one node are merged into one range.
    /// </summary>
    public long EnqueueInode(ulong node, long offset, long length, ulong parent = 0, ReadOnlySpan<byte> name = default)
    {
        if (node == 0 && name.IsEmpty) return Volatile.Read(ref queued);
        lock (gate)
        {
            if (node != 0 && count > 0)
            {
                ref Item last = ref ring[(head + count - 1) % Capacity];
                if (last.Kind == Kind.Inode && last.Node == node)
                {
                    Merge(ref last.Offset, ref last.Length, offset, length);
                    return last.Seq;
                }
            }
            return Add(Kind.Inode, parent, name, node, offset, length, false, false);
        }
    }

    /// <summary>Queues the policy's invalidation of every cached name (epoch) and every node's attributes (and pages).</summary>
    public long EnqueueEverything(bool names, bool pages)
    {
        lock (gate) return Add(Kind.Everything, 0, default, 0, 0, 0, names, pages);
    }

    /// <summary>Blocks until the notification numbered <paramref name="seq"/> (and all before it) was written; false on timeout or stop.</summary>
    public bool WaitFor(long seq, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (gate)
        {
            while (done < seq)
            {
                long left = deadline - Environment.TickCount64;
                if (stopped || left <= 0) return false;
                Monitor.Wait(gate, (int)Math.Min(left, int.MaxValue));
            }
            return true;
        }
    }

    /// <summary>Blocks until everything queued so far was written (tests, and callers that must see the kernel up to date).</summary>
    public bool WaitForIdle(TimeSpan timeout) => WaitFor(Volatile.Read(ref queued), timeout);

    /// <summary>Ends the thread; queued notifications are dropped (the session is over) and waiters return false.</summary>
    public void Stop()
    {
        lock (gate)
        {
            stopped = true;
            Monitor.PulseAll(gate);
        }
    }

    /// <summary>Stops the thread and waits for it (teardown: it may hold a node lookup while it resolves a name).</summary>
    public bool StopAndJoin(TimeSpan timeout)
    {
        Stop();
        return thread == Thread.CurrentThread || thread.Join(timeout);
    }

    // Under gate.
    private long Add(Kind kind, ulong parent, ReadOnlySpan<byte> name, ulong node, long offset, long length, bool names, bool pages)
    {
        long seq = ++queued;
        if (stopped) { done = seq; return seq; }
        if (count == Capacity)
        {
            // The kernel cannot keep up (a notification waits for a lock): one "everything" covers what was queued.
            count = 0;
            overflowSeq = seq;
            Interlocked.Increment(ref overflows);
            Monitor.PulseAll(gate);
            return seq;
        }
        ref Item it = ref ring[(head + count) % Capacity];
        it.Kind = kind;
        it.Parent = parent;
        it.Node = node;
        it.Offset = offset;
        it.Length = length;
        it.Names = names;
        it.Pages = pages;
        it.Seq = seq;
        if (!name.IsEmpty && (it.Name is null || it.Name.Length < name.Length)) it.Name = new byte[Math.Max(256, name.Length)];
        name.CopyTo(it.Name);
        it.NameLength = name.Length;
        count++;
        Monitor.PulseAll(gate);
        return seq;
    }

    /// <summary>Union of two INVAL_INODE ranges (offset -1 = attributes only; length 0 = to the end).</summary>
    private static void Merge(ref long offset, ref long length, long otherOffset, long otherLength)
    {
        if (otherOffset < 0) return;
        if (offset < 0) { offset = otherOffset; length = otherLength; return; }
        long start = Math.Min(offset, otherOffset);
        long end = length == 0 || otherLength == 0 ? 0 : Math.Max(offset + length, otherOffset + otherLength);
        offset = start;
        length = end == 0 ? 0 : end - start;
    }

    private void Loop()
    {
        byte[] name = new byte[4096];
        while (true)
        {
            Work w = default;
            long seq;
            lock (gate)
            {
                while (!stopped && count == 0 && overflowSeq == 0) Monitor.Wait(gate);
                if (stopped) return;
                if (overflowSeq != 0)
                {
                    seq = overflowSeq;
                    overflowSeq = 0;
                    w.Kind = Kind.Everything;
                    w.Names = w.Pages = true;
                }
                else
                {
                    ref Item it = ref ring[head];
                    head = (head + 1) % Capacity;
                    count--;
                    seq = it.Seq;
                    if (it.NameLength > name.Length) name = new byte[it.NameLength];
                    it.Name.AsSpan(0, it.NameLength).CopyTo(name);
                    w.Kind = it.Kind;
                    w.Parent = it.Parent;
                    w.Node = it.Node;
                    w.Offset = it.Offset;
                    w.Length = it.Length;
                    w.Names = it.Names;
                    w.Pages = it.Pages;
                    w.Name = name.AsSpan(0, it.NameLength);
                }
            }
            int e;
            try
            {
                e = write(in w);
            }
            catch (Exception)
            {
                e = -1;   // never lose the thread: one failed notification costs only a stale cache entry
            }
            if (e == 0) Interlocked.Increment(ref written); else Interlocked.Increment(ref refused);
            lock (gate)
            {
                done = seq;
                Monitor.PulseAll(gate);
            }
        }
    }
}
