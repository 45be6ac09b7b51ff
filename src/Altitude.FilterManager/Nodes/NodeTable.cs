// The volume's node table: the one owner of node identity. One slot per backing object known to a caller (the FUSE
// kernel, an open), keyed by the file system's NodeKey so that hard links share a node. Node ids are slot indexes;
// a slot's generation is bumped each time it is reused, so (id, generation) never repeats. Every side table (stream
// contexts, the name cache, the front-end's passthrough ids) is purged through NodeFreeing before an id can be reused.
// The file system below fills the table (it knows the root and what a backing object is) and keeps one handle per
// node in it (the loopback's O_PATH fd); the table gives the handle back to it when the node is freed.
namespace Altitude;

/// <summary>What identifies a backing object to its file system (the loopback: st_dev and st_ino).</summary>
public readonly record struct NodeKey(ulong Device, ulong Inode);

/// <summary>
/// Node ids, generations, lookup counts and recorded names of one volume. Thread-safe.
/// Locking: one lock guards every slot; it is held only for bookkeeping, never across a system call (handles to close
/// are closed after it is released) and never while calling anything but the <see cref="NodeFreeing"/> subscribers.
/// Lifetime: a slot is freed when its lookup count (entry replies and open references minus forgets) and its use count
/// (operations running on its handle, <see cref="TryAcquire"/>) are both zero; until then its handle stays valid, so a
/// handle given to a running operation is never closed and reused underneath it. The root is pinned.
/// </summary>
public sealed class NodeTable : IDisposable
{
    /// <summary>Node id of the volume root (FUSE_ROOT_ID).</summary>
    public const ulong RootId = 1;

    private struct Slot
    {
        public nint Handle;       // the file system's handle; -1 when free
        public uint FileType;     // S_IFMT bits, fixed for the life of a backing object
        public NodeKey Key;
        public ulong Lookups;
        public int Uses;
        public ulong Generation;
        public int NextFree;      // free list link, -1 = end
        public bool InUse;
        // The name the node was last seen under (lookup, create, rename): parent node, its generation, the component.
        public ulong Parent;
        public ulong ParentGeneration;
        public byte[]? NameBuffer;   // kept across renames and slot reuse, so recording a name does not allocate
        public int NameLength;       // -1: no name known

        public readonly ReadOnlySpan<byte> Name => NameLength < 0 || NameBuffer is null ? default : NameBuffer.AsSpan(0, NameLength);
        public readonly bool HasName => NameLength >= 0 && NameBuffer is not null;
    }

    private readonly Lock gate = new();
    private readonly Dictionary<NodeKey, int> byKey = new();
    private readonly Action<nint> closeHandle;
    private Slot[] slots = new Slot[256];
    private int highWater = (int)RootId + 1;   // slots below this have been used at least once; 0 is never used
    private int freeHead = -1;
    private int live;
    private long underflows;
    private bool disposed;

    /// <summary>Creates the table with the root node, taking ownership of <paramref name="rootHandle"/>.</summary>
    public NodeTable(nint rootHandle, NodeKey rootKey, uint rootFileType, Action<nint> closeHandle)
    {
        this.closeHandle = closeHandle;
        ref Slot s = ref slots[RootId];
        s.Handle = rootHandle;
        s.FileType = rootFileType;
        s.Key = rootKey;
        s.Lookups = 1;
        s.InUse = true;
        s.NextFree = -1;
        s.NameLength = -1;
        byKey.Add(rootKey, (int)RootId);
        live = 1;
    }

    /// <summary>
    /// Called under the table's lock when a node is freed, before its id can be reused: side tables drop what they keyed
    /// by it. Must be quick and must not call back into the table or the file system.
    /// </summary>
    public event Action<ulong>? NodeFreeing;

    /// <summary>Called after the table's lock is released by a call that freed nodes (deferred cleanup runs here).</summary>
    public event Action? NodesFreed;

    /// <summary>
    /// A forget for more lookups than the node had (node, lookups it had, lookups forgotten): a bookkeeping bug in a
    /// front-end or the file system. The count is set to zero, and the event says so.
    /// </summary>
    public event Action<ulong, ulong, ulong>? LookupUnderflow;

    /// <summary>Number of live nodes, root included.</summary>
    public int Count { get { lock (gate) return live; } }

    /// <summary>Forgets that asked for more than the node had (see <see cref="LookupUnderflow"/>).</summary>
    public long LookupUnderflows => Interlocked.Read(ref underflows);

    /// <summary>Marks a node in use and returns its handle and file type; false if the id is unknown or freed. Pair with <see cref="Release"/>.</summary>
    public bool TryAcquire(ulong nodeId, out nint handle, out uint fileType)
    {
        lock (gate)
        {
            if (!disposed && IsLive(nodeId))
            {
                ref Slot s = ref slots[nodeId];
                s.Uses++;
                handle = s.Handle;
                fileType = s.FileType;
                return true;
            }
        }
        handle = -1;
        fileType = 0;
        return false;
    }

    /// <summary>Ends a use begun by <see cref="TryAcquire"/>; frees the node if it was forgotten meanwhile.</summary>
    public void Release(ulong nodeId)
    {
        nint toClose = -1;
        lock (gate)
        {
            if (!IsLive(nodeId)) return;
            ref Slot s = ref slots[nodeId];
            s.Uses--;
            if (disposed && s.Uses == 0)
            {
                // Disposed while this operation ran: its handle is given back now that nothing uses it.
                toClose = s.Handle;
                s.InUse = false;
                s.Handle = -1;
            }
            else if (s.Uses == 0 && s.Lookups == 0 && nodeId != RootId) toClose = FreeLocked((int)nodeId);
        }
        AfterFree(toClose);
    }

    /// <summary>
    /// Adds one lookup reference for the backing object <paramref name="key"/>. Takes ownership of
    /// <paramref name="handle"/>: it becomes the node's handle for a new node, or is given back to the file system if
    /// the object is already known (hard links, a second lookup).
    /// </summary>
    public ulong Insert(nint handle, NodeKey key, uint fileType, out ulong generation)
    {
        nint duplicate = -1;
        ulong id;
        lock (gate)
        {
            if (disposed)
            {
                // A lookup that raced the volume's end: nothing will ever forget it.
                generation = 0;
                id = 0;
                duplicate = handle;
            }
            else if (byKey.TryGetValue(key, out int existing))
            {
                ref Slot s = ref slots[existing];
                s.Lookups++;
                generation = s.Generation;
                id = (ulong)existing;
                duplicate = handle;
            }
            else
            {
                int index;
                if (freeHead >= 0)
                {
                    index = freeHead;
                    freeHead = slots[index].NextFree;
                    slots[index].Generation++;
                }
                else
                {
                    if (highWater == slots.Length) Array.Resize(ref slots, slots.Length * 2);
                    index = highWater++;
                    slots[index].Generation = 1;
                }
                ref Slot s = ref slots[index];
                s.Handle = handle;
                s.FileType = fileType;
                s.Key = key;
                s.Lookups = 1;
                s.Uses = 0;
                s.NextFree = -1;
                s.InUse = true;
                s.NameLength = -1;
                s.Parent = 0;
                byKey.Add(key, index);
                live++;
                generation = s.Generation;
                id = (ulong)index;
            }
        }
        if (duplicate >= 0) closeHandle(duplicate);
        return id;
    }

    /// <summary>Adds one lookup reference to a live node (hard link creation, lookups of the root); false if it is not live.</summary>
    public bool AddLookup(ulong nodeId, out ulong generation)
    {
        lock (gate)
        {
            if (!IsLive(nodeId)) { generation = 0; return false; }
            ref Slot s = ref slots[nodeId];
            s.Lookups++;
            generation = s.Generation;
            return true;
        }
    }

    /// <summary>Drops <paramref name="count"/> lookup references (FUSE FORGET, a CLOSE); the node is freed once nothing references it.</summary>
    public void Forget(ulong nodeId, ulong count)
    {
        nint toClose = -1;
        ulong had = 0;
        bool underflow = false;
        lock (gate)
        {
            if (disposed || !IsLive(nodeId)) return;
            ref Slot s = ref slots[nodeId];
            had = s.Lookups;
            if (count > s.Lookups) { underflow = true; s.Lookups = 0; }
            else s.Lookups -= count;
            // The root's reference is the volume's own: it stays however the caller counts.
            if (nodeId == RootId && s.Lookups == 0) s.Lookups = 1;
            else if (s.Lookups == 0 && s.Uses == 0) toClose = FreeLocked((int)nodeId);
        }
        if (underflow && nodeId != RootId)
        {
            Interlocked.Increment(ref underflows);
            LookupUnderflow?.Invoke(nodeId, had, count);
        }
        AfterFree(toClose);
    }

    /// <summary>Records the name of a live node: <paramref name="name"/> in <paramref name="parent"/> (allocates only when the buffer must grow).</summary>
    public void SetName(ulong nodeId, ulong parent, ReadOnlySpan<byte> name)
    {
        lock (gate)
        {
            if (!IsLive(nodeId) || !IsLive(parent) || nodeId == RootId) return;
            ref Slot s = ref slots[nodeId];
            ulong parentGeneration = slots[parent].Generation;
            if (s.Parent == parent && s.ParentGeneration == parentGeneration && s.HasName && name.SequenceEqual(s.Name)) return;
            s.Parent = parent;
            s.ParentGeneration = parentGeneration;
            if (s.NameBuffer is null || s.NameBuffer.Length < name.Length) s.NameBuffer = new byte[Math.Max(name.Length, 32)];
            name.CopyTo(s.NameBuffer);
            s.NameLength = name.Length;
        }
    }

    /// <summary>Forgets the recorded name of a node when it is <paramref name="name"/> in <paramref name="parent"/> (that name was removed).</summary>
    public void ClearName(ulong nodeId, ulong parent, ReadOnlySpan<byte> name)
    {
        lock (gate)
        {
            if (!IsLive(nodeId)) return;
            ref Slot s = ref slots[nodeId];
            if (s.Parent == parent && s.HasName && name.SequenceEqual(s.Name)) { s.NameLength = -1; s.Parent = 0; }
        }
    }

    /// <summary>
    /// The recorded name of a live node, copied into <paramref name="destination"/>, and its parent; false when no name is
    /// known (the root, an unlinked node, a parent freed and reused) or it does not fit.
    /// </summary>
    public bool TryGetName(ulong nodeId, Span<byte> destination, out int length, out ulong parent)
    {
        lock (gate)
        {
            length = 0;
            parent = 0;
            if (!IsLive(nodeId)) return false;
            ref Slot s = ref slots[nodeId];
            if (!s.HasName || !IsLive(s.Parent) || slots[s.Parent].Generation != s.ParentGeneration || s.NameLength > destination.Length) return false;
            s.Name.CopyTo(destination);
            length = s.NameLength;
            parent = s.Parent;
            return true;
        }
    }

    /// <summary>The live node of a backing object, or 0.</summary>
    public ulong Find(NodeKey key)
    {
        lock (gate) return byKey.TryGetValue(key, out int id) ? (ulong)id : 0;
    }

    /// <summary>
    /// The path of a node from the root ("/" for the root) through the recorded names, or null when a link of the chain is
    /// unknown (never looked up by name, unlinked, or a parent already forgotten or reused). Allocates the string.
    /// </summary>
    public string? PathOf(ulong nodeId)
    {
        if (nodeId == RootId) return "/";
        Span<ulong> chain = stackalloc ulong[64];
        int depth = 0;
        int bytes = 0;
        lock (gate)
        {
            ulong n = nodeId;
            while (n != RootId)
            {
                if (depth == chain.Length || !IsLive(n)) return null;
                ref Slot s = ref slots[n];
                if (!s.HasName || !IsLive(s.Parent) || slots[s.Parent].Generation != s.ParentGeneration) return null;
                chain[depth++] = n;
                bytes += s.NameLength + 1;
                n = s.Parent;
            }
            byte[] path = new byte[bytes];
            int at = 0;
            for (int i = depth - 1; i >= 0; i--)
            {
                ReadOnlySpan<byte> name = slots[chain[i]].Name;
                path[at++] = (byte)'/';
                name.CopyTo(path.AsSpan(at));
                at += name.Length;
            }
            return System.Text.Encoding.UTF8.GetString(path);
        }
    }

    /// <summary>Generation of a live node (0 if it is not live): FUSE entry replies must repeat it exactly.</summary>
    public ulong Generation(ulong nodeId)
    {
        lock (gate) return IsLive(nodeId) ? slots[nodeId].Generation : 0;
    }

    /// <summary>Current lookup count of a node, or 0 if it is not live.</summary>
    public ulong LookupCount(ulong nodeId)
    {
        lock (gate) return IsLive(nodeId) ? slots[nodeId].Lookups : 0;
    }

    /// <summary>Sum of the lookup counts of every live node but the root (leak checks).</summary>
    public ulong TotalLookups
    {
        get
        {
            lock (gate)
            {
                ulong sum = 0;
                for (int i = (int)RootId + 1; i < highWater; i++) if (slots[i].InUse) sum += slots[i].Lookups;
                return sum;
            }
        }
    }

    private bool IsLive(ulong nodeId) => nodeId != 0 && nodeId < (ulong)highWater && slots[nodeId].InUse;

    private nint FreeLocked(int index)
    {
        ref Slot s = ref slots[index];
        nint handle = s.Handle;
        s.NameLength = -1;
        s.Parent = 0;
        NodeFreeing?.Invoke((ulong)index);
        byKey.Remove(s.Key);
        s.InUse = false;
        s.Handle = -1;
        s.NextFree = freeHead;
        freeHead = index;
        live--;
        return handle;
    }

    private void AfterFree(nint handle)
    {
        if (handle < 0) return;
        closeHandle(handle);
        NodesFreed?.Invoke();
    }

    /// <summary>
    /// The caller of every lookup reference is gone (a FUSE connection ended: no FORGET will come). Every reference is
    /// dropped, and nodes that nothing uses are freed; the root stays. Returns the number of nodes freed.
    /// </summary>
    public int ForgetAll()
    {
        int freed = 0;
        for (int i = (int)RootId + 1; ; i++)
        {
            nint toClose = -1;
            lock (gate)
            {
                if (i >= highWater) break;
                ref Slot s = ref slots[i];
                if (!s.InUse || s.Lookups == 0) continue;
                s.Lookups = 0;
                if (s.Uses == 0) { toClose = FreeLocked(i); freed++; }
            }
            AfterFree(toClose);
        }
        return freed;
    }

    /// <summary>
    /// Gives every handle back to the file system, the root's included. A handle an operation still uses is given back
    /// when that operation releases it, never underneath it.
    /// </summary>
    public void Dispose()
    {
        var close = new List<nint>();
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            for (int i = 1; i < highWater; i++)
            {
                ref Slot s = ref slots[i];
                if (!s.InUse) continue;
                if (s.Uses > 0) continue;   // Release closes it
                if (s.Handle >= 0) close.Add(s.Handle);
                s.InUse = false;
                s.Handle = -1;
            }
            byKey.Clear();
            live = 0;
        }
        foreach (nint h in close) closeHandle(h);
    }
}
