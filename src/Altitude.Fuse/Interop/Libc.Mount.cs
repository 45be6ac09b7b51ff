// mount(2) and umount2(2) for the FUSE mount itself.
using System.Runtime.InteropServices;

namespace Altitude.Fuse.Interop;

internal static unsafe partial class Libc
{
    internal const ulong MS_NOSUID = 2, MS_NODEV = 4;
    internal const int MNT_FORCE = 1, MNT_DETACH = 2;

    /// <summary>mount(2). FUSE takes its options (fd=, rootmode=...) as the data string.</summary>
    [LibraryImport(Name, EntryPoint = "mount", SetLastError = true)]
    internal static partial int Mount(byte* source, byte* target, byte* fileSystemType, ulong flags, byte* data);

    /// <summary>umount2(2): 0, MNT_DETACH (lazy) or MNT_FORCE (abort the connection).</summary>
    [LibraryImport(Name, EntryPoint = "umount2", SetLastError = true)]
    internal static partial int Umount2(byte* target, int flags);
}
