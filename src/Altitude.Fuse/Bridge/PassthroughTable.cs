// FUSE passthrough bookkeeping per node. The kernel allows one backing file per inode and refuses a passthrough
// open while a cached open of the inode exists (and the reverse), so the backing id is shared by every passthrough
// open of a node, reference-counted, and released with the last one (as passthrough_hp and go-fuse do).
namespace Altitude.Fuse.Bridge;

internal sealed class PassthroughTable
{
    private struct Entry
    {
        public int BackingId;
        public int PassthroughOpens;
        public int CachedOpens;
    }

    private readonly object gate = new();
    private readonly Dictionary<ulong, Entry> nodes = new();
    private readonly FuseServer server;

    public PassthroughTable(FuseServer server) => this.server = server;

    private long failures, backingOpens;

    /// <summary>BACKING_OPEN calls that succeeded (diagnostics and tests).</summary>
    public long BackingOpens => Interlocked.Read(ref backingOpens);

    /// <summary>
    /// BACKING_OPEN calls that failed (a backing file the kernel refuses: a FUSE file below, a stacking depth exceeded,
    /// ENOMEM). Each failure falls back to the daemon path for that open only; the next open tries again.
    /// </summary>
    public long Failures => Interlocked.Read(ref failures);

    /// <summary>The errno of the last failure (diagnostics).</summary>
    public int LastFailure { get; private set; }

    /// <summary>
    /// Registers an open of a regular file. Returns the backing id to reply with FOPEN_PASSTHROUGH, or 0 for a cached
    /// open. A node already in passthrough stays in passthrough (the kernel would fail a cached open with EIO).
    /// </summary>
    public int Open(ulong node, int fd, bool wanted, OpenHandle handle)
    {
        lock (gate)
        {
            nodes.TryGetValue(node, out Entry e);
            int id = 0;
            if (e.PassthroughOpens > 0) id = e.BackingId;
            else if (wanted && e.CachedOpens == 0 && fd >= 0)
            {
                int r = BackingOpen(fd);
                if (r > 0) { id = r; e.BackingId = r; Interlocked.Increment(ref backingOpens); }
                else
                {
                    // This open goes through the daemon; one refusal says nothing about the next file.
                    Interlocked.Increment(ref failures);
                    LastFailure = -r;
                }
            }
            if (id > 0) { e.PassthroughOpens++; handle.Passthrough = true; }
            else { e.CachedOpens++; handle.CountedCached = true; }
            nodes[node] = e;
            return id;
        }
    }

    /// <summary>FUSE_DEV_IOC_BACKING_OPEN, or a failure injected by a test.</summary>
    private int BackingOpen(int fd)
    {
        Func<int, int>? inject = FailureInjection;
        if (inject is not null)
        {
            int injected = inject(fd);
            if (injected != 0) return injected;
        }
        return server.Device.BackingOpen(fd);
    }

    /// <summary>Tests only: returns -errno to fail a BACKING_OPEN, 0 to let it through.</summary>
    internal Func<int, int>? FailureInjection { get; set; }

    /// <summary>Forgets an open registered by <see cref="Open"/>; the last passthrough open closes the backing id.</summary>
    public void Release(ulong node, OpenHandle handle)
    {
        if (!handle.Passthrough && !handle.CountedCached) return;
        int close = 0;
        lock (gate)
        {
            if (!nodes.TryGetValue(node, out Entry e)) return;
            if (handle.Passthrough && --e.PassthroughOpens == 0) { close = e.BackingId; e.BackingId = 0; }
            if (handle.CountedCached) e.CachedOpens--;
            if (e.PassthroughOpens <= 0 && e.CachedOpens <= 0) nodes.Remove(node); else nodes[node] = e;
        }
        handle.Passthrough = handle.CountedCached = false;
        if (close > 0) server.Device.BackingClose(close);
    }
}
