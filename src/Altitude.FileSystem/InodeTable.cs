// The node table: one slot per backing inode known to the caller, keyed by (st_dev, st_ino) so that
// hard links share a node. Node ids are slot indexes; a slot's generation is bumped each time it is reused.
using Altitude.FileSystem.Interop;

namespace Altitude.FileSystem;

/// <summary>
/// Slab of nodes, each owning one O_PATH fd.
/// Locking: one lock (<see cref="_lock"/>) guards every field below; it is held only for table bookkeeping,
/// never across a system call (fds to close are closed after the lock is released).
/// Lifetime: a slot is freed when its lookup count (Lookup/Create/Link replies minus Forget) and its use count
/// (operations currently running on the fd, see <see cref="TryAcquire"/>) are both zero; until then its fd
/// stays open, so an fd number handed to a running operation is never closed and reused underneath it.
/// The root slot is pinned and freed only by <see cref="Dispose"/>.
/// </summary>
internal sealed class InodeTable : IDisposable
{
    /// <summary>Node id of the backing directory itself.</summary>
    internal const ulong RootId = 1;

    private struct Slot
    {
        public int Fd;            // O_PATH fd; -1 when the slot is free
        public uint FileType;     // st_mode & S_IFMT, fixed for the life of an inode
        public ulong Dev;
        public ulong Ino;
        public ulong Lookups;     // references held by the caller (FUSE nlookup)
        public int Uses;          // operations currently using Fd
        public ulong Generation;  // bumped on each reuse of the slot
        public int NextFree;      // free list link, -1 = end
        public bool InUse;
        // The name the node was last seen under (LOOKUP/CREATE/RENAME): the parent node, its generation, the component.
        public ulong Parent;
        public ulong ParentGeneration;
        public byte[]? NameBuffer;   // kept across renames and slot reuse, so recording a name does not allocate
        public int NameLength;       // -1: no name known

        public readonly ReadOnlySpan<byte> Name => NameLength < 0 || NameBuffer is null ? default : NameBuffer.AsSpan(0, NameLength);
        public readonly bool HasName => NameLength >= 0 && NameBuffer is not null;
    }

    private readonly record struct Key(ulong Dev, ulong Ino);

    private readonly Lock _lock = new();
    private readonly Dictionary<Key, int> _byKey = new();
    private Slot[] _slots = new Slot[256];
    private int _highWater = (int)RootId + 1; // slots below this have been used at least once; 0 is never used
    private int _freeHead = -1;
    private int _live;
    private bool _disposed;

    /// <summary>Called under the table lock when a node is freed, before its id can be reused (see <see cref="LoopbackFileSystem.NodeFreeing"/>).</summary>
    internal Action<ulong>? NodeFreeing;

    /// <summary>Creates the table with the root slot, taking ownership of <paramref name="rootFd"/>.</summary>
    internal InodeTable(int rootFd, in Libc.Statx root)
    {
        ref Slot s = ref _slots[RootId];
        s.Fd = rootFd;
        s.FileType = root.Mode & Libc.S_IFMT;
        s.Dev = Libc.MakeDev(root.DevMajor, root.DevMinor);
        s.Ino = root.Ino;
        s.Lookups = 1;
        s.InUse = true;
        s.NextFree = -1;
        _byKey.Add(new Key(s.Dev, s.Ino), (int)RootId);
        _live = 1;
    }

    /// <summary>Number of live nodes, root included (for tests and diagnostics).</summary>
    internal int Count
    {
        get { lock (_lock) return _live; }
    }

    /// <summary>
    /// Marks the node as in use and returns its O_PATH fd and file type; false if the id is unknown or freed.
    /// Every true result must be paired with one <see cref="Release"/>.
    /// </summary>
    internal bool TryAcquire(ulong nodeId, out int fd, out uint fileType)
    {
        lock (_lock)
        {
            if (!_disposed && nodeId < (ulong)_highWater && nodeId != 0)
            {
                ref Slot s = ref _slots[nodeId];
                if (s.InUse)
                {
                    s.Uses++;
                    fd = s.Fd;
                    fileType = s.FileType;
                    return true;
                }
            }
        }
        fd = -1;
        fileType = 0;
        return false;
    }

    /// <summary>Ends a use begun by <see cref="TryAcquire"/>; frees the node if it was forgotten meanwhile.</summary>
    internal void Release(ulong nodeId)
    {
        int toClose = -1;
        lock (_lock)
        {
            ref Slot s = ref _slots[nodeId];
            s.Uses--;
            if (s.Uses == 0 && s.Lookups == 0 && nodeId != RootId)
                toClose = FreeLocked((int)nodeId);
        }
        if (toClose >= 0)
            Libc.Close(toClose);
    }

    /// <summary>
    /// Adds one lookup reference for the inode behind <paramref name="fd"/> (described by <paramref name="st"/>).
    /// Takes ownership of fd: it becomes the node's fd for a new node, or is closed if the inode is already known.
    /// </summary>
    internal ulong Insert(int fd, in Libc.Statx st, out ulong generation)
    {
        var key = new Key(Libc.MakeDev(st.DevMajor, st.DevMinor), st.Ino);
        int duplicate = -1;
        ulong id;
        lock (_lock)
        {
            if (_byKey.TryGetValue(key, out int existing))
            {
                ref Slot s = ref _slots[existing];
                s.Lookups++;
                generation = s.Generation;
                id = (ulong)existing;
                duplicate = fd;
            }
            else
            {
                int index;
                if (_freeHead >= 0)
                {
                    index = _freeHead;
                    _freeHead = _slots[index].NextFree;
                    _slots[index].Generation++;
                }
                else
                {
                    if (_highWater == _slots.Length)
                        Array.Resize(ref _slots, _slots.Length * 2);
                    index = _highWater++;
                    _slots[index].Generation = 1;
                }
                ref Slot s = ref _slots[index];
                s.Fd = fd;
                s.FileType = st.Mode & Libc.S_IFMT;
                s.Dev = key.Dev;
                s.Ino = key.Ino;
                s.Lookups = 1;
                s.Uses = 0;
                s.NextFree = -1;
                s.InUse = true;
                s.NameLength = -1;
                s.Parent = 0;
                _byKey.Add(key, index);
                _live++;
                generation = s.Generation;
                id = (ulong)index;
            }
        }
        if (duplicate >= 0)
            Libc.Close(duplicate);
        return id;
    }

    /// <summary>Adds one lookup reference to a live node (hard link creation, root lookups).</summary>
    internal void AddLookup(ulong nodeId, out ulong generation)
    {
        lock (_lock)
        {
            ref Slot s = ref _slots[nodeId];
            s.Lookups++;
            generation = s.Generation;
        }
    }

    /// <summary>Drops <paramref name="count"/> lookup references; the fd is closed once nothing references the node.</summary>
    internal void Forget(ulong nodeId, ulong count)
    {
        if (nodeId == RootId)
            return;
        int toClose = -1;
        lock (_lock)
        {
            if (_disposed || nodeId == 0 || nodeId >= (ulong)_highWater)
                return;
            ref Slot s = ref _slots[nodeId];
            if (!s.InUse)
                return;
            s.Lookups = count >= s.Lookups ? 0 : s.Lookups - count;
            if (s.Lookups == 0 && s.Uses == 0)
                toClose = FreeLocked((int)nodeId);
        }
        if (toClose >= 0)
            Libc.Close(toClose);
    }

    /// <summary>Records the name of a live node: <paramref name="name"/> in <paramref name="parent"/> (allocates only when it changes).</summary>
    internal void SetName(ulong nodeId, ulong parent, ReadOnlySpan<byte> name)
    {
        lock (_lock)
        {
            if (!IsLive(nodeId) || !IsLive(parent)) return;
            ref Slot s = ref _slots[nodeId];
            ulong parentGeneration = _slots[parent].Generation;
            if (s.Parent == parent && s.ParentGeneration == parentGeneration && s.HasName && name.SequenceEqual(s.Name)) return;
            s.Parent = parent;
            s.ParentGeneration = parentGeneration;
            if (s.NameBuffer is null || s.NameBuffer.Length < name.Length) s.NameBuffer = new byte[Math.Max(name.Length, 32)];
            name.CopyTo(s.NameBuffer);
            s.NameLength = name.Length;
        }
    }

    /// <summary>The live node of an inode, or 0.</summary>
    internal ulong Find(ulong dev, ulong ino)
    {
        lock (_lock) return _byKey.TryGetValue(new Key(dev, ino), out int id) ? (ulong)id : 0;
    }

    /// <summary>Forgets the recorded name of a node when it is <paramref name="name"/> in <paramref name="parent"/> (that name was removed).</summary>
    internal void ClearName(ulong nodeId, ulong parent, ReadOnlySpan<byte> name)
    {
        lock (_lock)
        {
            if (!IsLive(nodeId)) return;
            ref Slot s = ref _slots[nodeId];
            if (s.Parent == parent && s.HasName && name.SequenceEqual(s.Name)) { s.NameLength = -1; s.Parent = 0; }
        }
    }

    /// <summary>
    /// The path of a node from the root ("/" for the root) through the recorded names, or null when a link of the chain is
    /// unknown (never looked up by name, unlinked, or a parent already forgotten or reused).
    /// </summary>
    internal string? PathOf(ulong nodeId)
    {
        if (nodeId == RootId) return "/";
        Span<ulong> chain = stackalloc ulong[64];
        int depth = 0;
        int bytes = 0;
        lock (_lock)
        {
            ulong n = nodeId;
            while (n != RootId)
            {
                if (depth == chain.Length || !IsLive(n)) return null;
                ref Slot s = ref _slots[n];
                if (!s.HasName || !IsLive(s.Parent) || _slots[s.Parent].Generation != s.ParentGeneration) return null;
                chain[depth++] = n;
                bytes += s.NameLength + 1;
                n = s.Parent;
            }
            byte[] path = new byte[bytes];
            int at = 0;
            for (int i = depth - 1; i >= 0; i--)
            {
                ReadOnlySpan<byte> name = _slots[chain[i]].Name;
                path[at++] = (byte)'/';
                name.CopyTo(path.AsSpan(at));
                at += name.Length;
            }
            return System.Text.Encoding.UTF8.GetString(path);
        }
    }

    private bool IsLive(ulong nodeId) => nodeId != 0 && nodeId < (ulong)_highWater && _slots[nodeId].InUse;

    /// <summary>Generation of a live node (0 if it is not live): FUSE entry replies must repeat it exactly.</summary>
    internal ulong Generation(ulong nodeId)
    {
        lock (_lock)
        {
            if (nodeId == 0 || nodeId >= (ulong)_highWater || !_slots[nodeId].InUse)
                return 0;
            return _slots[nodeId].Generation;
        }
    }

    /// <summary>Current lookup count of a node, or 0 if it is not live (tests).</summary>
    internal ulong LookupCount(ulong nodeId)
    {
        lock (_lock)
        {
            if (nodeId == 0 || nodeId >= (ulong)_highWater || !_slots[nodeId].InUse)
                return 0;
            return _slots[nodeId].Lookups;
        }
    }

    private int FreeLocked(int index)
    {
        ref Slot s = ref _slots[index];
        int fd = s.Fd;
        s.NameLength = -1;
        s.Parent = 0;
        NodeFreeing?.Invoke((ulong)index);
        _byKey.Remove(new Key(s.Dev, s.Ino));
        s.InUse = false;
        s.Fd = -1;
        s.NextFree = _freeHead;
        _freeHead = index;
        _live--;
        return fd;
    }

    /// <summary>Closes every fd, root included. Operations still running keep their fd numbers only until they return.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            for (int i = 1; i < _highWater; i++)
            {
                if (_slots[i].InUse && _slots[i].Fd >= 0)
                    Libc.Close(_slots[i].Fd);
                _slots[i].InUse = false;
                _slots[i].Fd = -1;
            }
            _byKey.Clear();
            _live = 0;
        }
    }
}
