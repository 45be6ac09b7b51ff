// fstatfs(2) with struct statfs (x86_64/64-bit generic layout, 120 bytes).
using System.Runtime.InteropServices;

namespace Altitude.FileSystem.Interop;

internal static unsafe partial class Libc
{
    /// <summary>struct statfs on 64-bit Linux, 120 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct StatFs
    {
        public long Type;
        public long BSize;
        public ulong Blocks;
        public ulong BFree;
        public ulong BAvail;
        public ulong Files;
        public ulong FFree;
        public int Fsid0;
        public int Fsid1;
        public long NameLen;
        public long FrSize;
        public long Flags;
        public fixed long Spare[4];
    }

    [LibraryImport(Name, EntryPoint = "fstatfs64", SetLastError = true)]
    private static partial int FstatfsRaw(int fd, StatFs* buf);

    /// <summary>fstatfs(2); works on O_PATH fds since Linux 3.12. EINTR retried.</summary>
    internal static Errno Fstatfs(int fd, out StatFs buf)
    {
        Errno e;
        fixed (StatFs* b = &buf)
        {
            do { e = FstatfsRaw(fd, b) < 0 ? LastError : Errno.Success; }
            while (e == Errno.EINTR);
        }
        return e;
    }
}
