// The FUSE file handles (fh): a slab of open handles, each with its FileObject (one open, as Windows has one
// FILE_OBJECT per open), a name buffer for CREATE and the passthrough state. fh = slot index; slots and their file
// objects are reused after RELEASE, so opening and closing allocates nothing in the steady state.
namespace Altitude.Fuse.Bridge;

/// <summary>One open file or directory.</summary>
internal sealed class OpenHandle
{
    public OpenHandle(Volume volume, int index)
    {
        File = new FileObject(volume);
        Index = index;
    }

    public readonly FileObject File;
    public readonly int Index;
    /// <summary>The created name (the kernel's buffer is reused, the file object's name must outlive the request).</summary>
    public readonly byte[] Name = new byte[256];
    public bool InUse;
    /// <summary>The open is in FUSE passthrough (its data never reaches the daemon).</summary>
    public bool Passthrough;
    /// <summary>Counted in the passthrough table as a cached (non-passthrough) open of a regular file.</summary>
    public bool CountedCached;
    /// <summary>Counted in <see cref="PassthroughWriters"/>: a writable passthrough open; the node's first when FirstWriter.</summary>
    public bool CountedWriter, FirstWriter;
}

/// <summary>fh → handle. Thread-safe; one short lock per open and release.</summary>
internal sealed class HandleTable
{
    private readonly Volume volume;
    private readonly object gate = new();
    private OpenHandle?[] slots = new OpenHandle?[256];
    private int[] free = new int[256];
    private int freeCount;
    private int highWater = 1;   // fh 0 is never used, so a zero fh is always invalid

    public HandleTable(Volume volume) => this.volume = volume;

    public OpenHandle Allocate()
    {
        lock (gate)
        {
            int index;
            if (freeCount > 0) index = free[--freeCount];
            else
            {
                if (highWater == slots.Length) Array.Resize(ref slots, slots.Length * 2);
                index = highWater++;
            }
            OpenHandle? h = slots[index];
            if (h is null)
            {
                // A new high-water mark of open handles: table growth, left out of the readers' request-path count.
                long mark = PoolGrowth.Begin();
                h = slots[index] = new OpenHandle(volume, index);
                PoolGrowth.End(mark);
            }
            RequestState.Reset(h.File, FileObjectFlags.None);
            h.InUse = true;
            h.Passthrough = false;
            h.CountedCached = false;
            h.CountedWriter = h.FirstWriter = false;
            return h;
        }
    }

    public OpenHandle? Get(ulong fh)
    {
        OpenHandle?[] s = Volatile.Read(ref slots);
        if (fh == 0 || fh >= (ulong)s.Length) return null;
        OpenHandle? h = s[fh];
        return h is { InUse: true } ? h : null;
    }

    public void Free(OpenHandle h)
    {
        lock (gate)
        {
            if (!h.InUse) return;
            h.InUse = false;
            if (freeCount == free.Length) Array.Resize(ref free, free.Length * 2);
            free[freeCount++] = h.Index;
        }
    }

    /// <summary>The handles open now (teardown).</summary>
    public List<OpenHandle> OpenHandles()
    {
        var open = new List<OpenHandle>();
        lock (gate)
            for (int i = 1; i < highWater; i++)
                if (slots[i] is { InUse: true } h) open.Add(h);
        return open;
    }

    /// <summary>Handles still open (diagnostics and tests).</summary>
    public int OpenCount
    {
        get { lock (gate) return highWater - 1 - freeCount; }
    }
}
