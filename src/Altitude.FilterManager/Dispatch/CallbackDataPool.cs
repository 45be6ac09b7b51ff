// A volume's pool of callback data objects. It also keeps every object it ever made, so teardown can find
// operations that owe a post-op to a detaching instance, and the watchdog can find parked operations.
namespace Altitude;

internal sealed class CallbackDataPool
{
    private readonly Volume volume;
    private readonly object gate = new();
    private CallbackData[] free = new CallbackData[16];
    private int freeCount;
    private CallbackData[] all = Array.Empty<CallbackData>();   // copy-on-write; read without the lock

    public CallbackDataPool(Volume volume) => this.volume = volume;

    public CallbackData[] All => Volatile.Read(ref all);

    public CallbackData Rent()
    {
        lock (gate)
        {
            if (freeCount > 0)
            {
                var d = free[--freeCount];
                free[freeCount] = null!;
                d.Reset();
                return d;
            }
            var created = new CallbackData(volume);
            created.Reset();
            var grown = new CallbackData[all.Length + 1];
            Array.Copy(all, grown, all.Length);
            grown[^1] = created;
            Volatile.Write(ref all, grown);
            return created;
        }
    }

    public void Return(CallbackData d)
    {
        d.InUse = false;
        d.Issuer = null;
        d.Reset();
        lock (gate)
        {
            if (freeCount == free.Length) Array.Resize(ref free, free.Length * 2);
            free[freeCount++] = d;
        }
    }
}
