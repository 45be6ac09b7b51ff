// Inode numbers as the mount shows them. Every node of a FUSE mount has the mount's one st_dev, so a node on another
// file system mounted inside the backing tree would show its own inode number under that st_dev and collide (two ext4
// roots are both inode 2), which breaks find, du and tar. Nodes on the backing root's device keep their numbers;
// nodes on any other device get the device's index (1..255, in order of first sight) in the top 8 bits.
namespace Altitude.FileSystem;

/// <summary>Maps (st_dev, st_ino) to the inode number reported through the mount. Thread-safe; allocates only for a new device.</summary>
internal sealed class InodeNumbers
{
    private const int IndexShift = 56;
    private const ulong LowMask = (1UL << IndexShift) - 1;
    private const int MaxDevices = 255;

    private readonly ulong rootDevice;
    private readonly object gate = new();
    private ulong[] devices = [];   // copy-on-write: index i + 1 belongs to devices[i]

    public InodeNumbers(ulong rootDevice) => this.rootDevice = rootDevice;

    /// <summary>True once a node on a device other than the root's was seen (READDIR then maps its d_ino too).</summary>
    public bool SawOtherDevices => Volatile.Read(ref devices).Length != 0;

    /// <summary>
    /// The number to report. Unique as long as the root file system's own numbers stay below 2^56 (ext4: 32 bits) and
    /// those of other devices too; past 255 other devices the last index is shared (docs/deviations.md section 9).
    /// </summary>
    public ulong Map(ulong device, ulong inode)
    {
        if (device == rootDevice) return inode;
        return ((ulong)IndexOf(device) << IndexShift) | (inode & LowMask);
    }

    private int IndexOf(ulong device)
    {
        ulong[] known = Volatile.Read(ref devices);
        for (int i = 0; i < known.Length; i++)
            if (known[i] == device) return i + 1;
        lock (gate)
        {
            known = devices;
            for (int i = 0; i < known.Length; i++)
                if (known[i] == device) return i + 1;
            if (known.Length == MaxDevices) return MaxDevices;
            ulong[] grown = new ulong[known.Length + 1];
            known.CopyTo(grown, 0);
            grown[^1] = device;
            Volatile.Write(ref devices, grown);
            return grown.Length;
        }
    }
}
