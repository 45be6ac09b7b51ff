// The nodes that have a writable FUSE passthrough open. Writes through such an open, and through a shared mapping of
// it, reach the backing file without the daemon: the kernel adjusts size and mtime after its own write(2), but never
// sees a store through the mapping. While a node is here, its attributes go out with a timeout of 0 (FuseBridge.Coherence).
namespace Altitude.Fuse.Bridge;

internal sealed class PassthroughWriters
{
    private readonly object gate = new();
    private readonly Dictionary<ulong, int> nodes = new();
    private int total;

    /// <summary>True when <paramref name="node"/> has a writable passthrough open. Lock-free while there is none at all.</summary>
    public bool Contains(ulong node)
    {
        if (Volatile.Read(ref total) == 0) return false;
        lock (gate) return nodes.ContainsKey(node);
    }

    /// <summary>Counts a writable passthrough open; true for the node's first (until then its attributes were cacheable).</summary>
    public bool Add(ulong node)
    {
        lock (gate)
        {
            nodes.TryGetValue(node, out int n);
            nodes[node] = n + 1;
            total++;
            return n == 0;
        }
    }

    public void Remove(ulong node)
    {
        lock (gate)
        {
            if (!nodes.TryGetValue(node, out int n)) return;
            if (n <= 1) nodes.Remove(node); else nodes[node] = n - 1;
            total--;
        }
    }
}
