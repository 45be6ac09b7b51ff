// Locks: fcntl(2) F_OFD_GETLK/F_OFD_SETLK/F_OFD_SETLKW with struct flock, and flock(2).
using System.Runtime.InteropServices;

namespace Altitude.FileSystem.Interop;

internal static unsafe partial class Libc
{
    internal const int F_OFD_GETLK = 36;
    internal const int F_OFD_SETLK = 37;
    internal const int F_OFD_SETLKW = 38;

    internal const short F_RDLCK = 0;
    internal const short F_WRLCK = 1;
    internal const short F_UNLCK = 2;

    internal const int LOCK_SH = 1;
    internal const int LOCK_EX = 2;
    internal const int LOCK_NB = 4;
    internal const int LOCK_UN = 8;

    /// <summary>struct flock on x86_64, 32 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Flock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Len;
        public int Pid;
    }

    [LibraryImport(Name, EntryPoint = "fcntl", SetLastError = true)]
    private static partial int FcntlLockRaw(int fd, int cmd, Flock* lk);

    [LibraryImport(Name, EntryPoint = "flock", SetLastError = true)]
    private static partial int FlockRaw(int fd, int operation);

    /// <summary>fcntl(2) with a struct flock argument (F_OFD_*). EINTR retried (also for F_OFD_SETLKW).</summary>
    internal static Errno FcntlLock(int fd, int cmd, ref Flock lk)
    {
        Errno e;
        fixed (Flock* p = &lk)
        {
            do { e = FcntlLockRaw(fd, cmd, p) < 0 ? LastError : Errno.Success; }
            while (e == Errno.EINTR);
        }
        return e;
    }

    /// <summary>flock(2). EINTR retried.</summary>
    internal static Errno FlockFd(int fd, int operation)
    {
        Errno e;
        do { e = FlockRaw(fd, operation) < 0 ? LastError : Errno.Success; }
        while (e == Errno.EINTR);
        return e;
    }
}
