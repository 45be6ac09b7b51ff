// One FUSE io_uring queue: the kernel keeps one per possible CPU and sends a request to the queue of the CPU its caller
// runs on. Its threads are pinned to that CPU, so a request is handled where it was made, with no cross-CPU wake-up.
namespace Altitude.Fuse.Uring;

internal sealed class UringQueue
{
    public UringQueue(int id) => Id = id;

    /// <summary>The queue index (the CPU).</summary>
    public int Id { get; }

    /// <summary>Threads whose entry waits in the kernel for a request now.</summary>
    public int Idle;

    /// <summary>Entries registered with the kernel since the mount (one per thread; a registered entry stays until the unmount).</summary>
    public int Registered;

    /// <summary>Threads serving this queue (each with its own ring and one entry).</summary>
    public int Readers;

    /// <summary>The queues the kernel expects: one per possible CPU (/sys/devices/system/cpu/possible, "0-1" or "0-3,6").</summary>
    public static int PossibleCpus()
    {
        try
        {
            string text = File.ReadAllText("/sys/devices/system/cpu/possible").Trim();
            int highest = -1;
            foreach (string part in text.Split(','))
            {
                string last = part.Contains('-') ? part[(part.IndexOf('-') + 1)..] : part;
                if (int.TryParse(last, out int n) && n > highest) highest = n;
            }
            if (highest >= 0) return highest + 1;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return Environment.ProcessorCount;
    }
}
