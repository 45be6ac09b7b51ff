// ioctl(2) on /dev/fuse: CLONE and the passthrough BACKING_OPEN/CLOSE. ioctl is variadic; the fixed-argument
// form is what every Linux x64/arm64 binding uses.
using System.Runtime.InteropServices;

namespace Altitude.Fuse.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(Name, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int Ioctl(int fd, ulong request, void* argument);
}
