// Streams of a volume for contexts: stream = file = node (Linux has no alternate data streams). A stream's state
// is made only when a filter sets a stream or file context on it, so opening files allocates nothing here.
// Lifetime (spec section 3, "automatic deletion"): the stream ends when the file system reports its node freed (FUSE
// FORGET with no lookups left, or the last close of an in-process open) and no file object that found it is still
// open; then its stream contexts, then its file contexts, are deleted. A node id the file system reuses gets a new
// state, because the old one leaves the table at the moment the node is freed.
namespace Altitude;

/// <summary>The contexts of one stream (node).</summary>
internal sealed class StreamState
{
    public StreamState(ulong node) => Node = node;

    public readonly ulong Node;
    public readonly ContextSlots Stream = new();
    public readonly ContextSlots File = new();
    /// <summary>Open file objects that reference this state (guarded by the table's lock).</summary>
    public int Opens;
    /// <summary>The node was freed; the state ends with its last open.</summary>
    public bool NodeGone;
}

/// <summary>node id → stream state, for one volume.</summary>
internal sealed class StreamTable
{
    private readonly Dictionary<ulong, StreamState> byNode = new();
    private readonly HashSet<StreamState> orphans = new();   // node freed, still open
    private readonly Lock gate = new();

    /// <summary>The state of a file object's stream, or null when none was made (no allocation).</summary>
    public StreamState? Find(FileObject fo)
    {
        StreamState? s = fo.Stream;
        if (s is not null) return s;
        if (fo.NodeId == 0) return null;
        lock (gate)
        {
            if (!byNode.TryGetValue(fo.NodeId, out s)) return null;
            Attach(fo, s);
            return s;
        }
    }

    /// <summary>The state of a file object's stream, made if needed (for a Set).</summary>
    public StreamState? FindOrCreate(FileObject fo)
    {
        StreamState? s = fo.Stream;
        if (s is not null) return s;
        if (fo.NodeId == 0) return null;
        lock (gate)
        {
            if (!byNode.TryGetValue(fo.NodeId, out s))
            {
                s = new StreamState(fo.NodeId);
                byNode.Add(fo.NodeId, s);
            }
            Attach(fo, s);
            return s;
        }
    }

    // An open file object keeps its stream; a transient one (an operation by node) only looks it up.
    private static void Attach(FileObject fo, StreamState s)
    {
        if (fo.ContextState != FileObjectContextState.Opened) return;
        fo.Stream = s;
        s.Opens++;
    }

    /// <summary>A file object closed (or was abandoned): its stream may end.</summary>
    public void Closed(FileObject fo)
    {
        StreamState? s = fo.Stream;
        if (s is null) return;
        fo.Stream = null;
        bool end;
        lock (gate)
        {
            s.Opens--;
            end = s.NodeGone && s.Opens == 0 && orphans.Remove(s);
        }
        if (end) End(s);
    }

    /// <summary>
    /// The file system freed <paramref name="node"/>. Called under the file system's node lock: it only unlinks the
    /// state (so a reused id starts fresh); <see cref="EndFreed"/> deletes the contexts once that lock is released.
    /// </summary>
    public void NodeFreed(ulong node)
    {
        lock (gate)
        {
            if (!byNode.Remove(node, out StreamState? s)) return;
            s.NodeGone = true;
            if (s.Opens == 0) pendingEnd.Enqueue(s);
            else orphans.Add(s);
        }
    }

    private readonly Queue<StreamState> pendingEnd = new();

    /// <summary>Deletes the contexts of streams whose nodes were freed (outside the file system's locks).</summary>
    public void EndFreed()
    {
        while (true)
        {
            StreamState? s;
            lock (gate)
            {
                if (!pendingEnd.TryDequeue(out s)) return;
            }
            End(s);
        }
    }

    /// <summary>Stream contexts first, then file contexts (spec order).</summary>
    private static void End(StreamState s)
    {
        s.Stream.DeleteAll();
        s.File.DeleteAll();
    }

    /// <summary>Every live state (for detach: delete one instance's slot everywhere).</summary>
    public StreamState[] Snapshot()
    {
        lock (gate)
        {
            var all = new StreamState[byNode.Count + orphans.Count];
            byNode.Values.CopyTo(all, 0);
            orphans.CopyTo(all, byNode.Count);
            return all;
        }
    }

    public int Count { get { lock (gate) return byNode.Count + orphans.Count; } }
}
