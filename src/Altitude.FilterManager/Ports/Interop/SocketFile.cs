// The group of a port's socket file (chown), so that a descriptor admitting BA can leave the file 0660.
using System.Runtime.InteropServices;

namespace Altitude.Ports.Interop;

internal static partial class SocketFile
{
    /// <summary>Sets the file's group; a failure (not root, no such group) leaves it, and the mode then admits fewer.</summary>
    public static void SetGroup(string path, uint gid) => _ = chown(path, uint.MaxValue, gid);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chown(string path, uint owner, uint group);
}
