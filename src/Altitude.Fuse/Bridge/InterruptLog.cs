// INTERRUPTs that arrived before their request was registered. The kernel may queue an INTERRUPT as soon as the
// request was read, so another reader can see it first. The FUSE protocol lets the server answer EAGAIN (the kernel
// then sends it again), but a request no filter tracks would then bounce until it ends; instead the bridge remembers
// the last few unique ids and the request checks them when it registers. Entries that never match (the request was not
// one a filter can pend, or it already finished) age out as newer ones replace them. Guarded by the bridge's lock.
namespace Altitude.Fuse.Bridge;

internal sealed class InterruptLog
{
    private const int Capacity = 64;
    private readonly ulong[] uniques = new ulong[Capacity];
    private int next, count;

    /// <summary>Records an INTERRUPT whose request is not registered (yet).</summary>
    public void Remember(ulong unique)
    {
        uniques[next] = unique;
        next = (next + 1) % Capacity;
        if (count < Capacity) count++;
    }

    /// <summary>True (and forgotten) when an INTERRUPT for <paramref name="unique"/> came first.</summary>
    public bool Take(ulong unique)
    {
        if (count == 0) return false;
        for (int i = 0; i < Capacity; i++)
        {
            if (uniques[i] != unique || unique == 0) continue;
            uniques[i] = 0;
            return true;
        }
        return false;
    }

    /// <summary>Entries recorded (diagnostics and tests).</summary>
    public int Count => count;
}
