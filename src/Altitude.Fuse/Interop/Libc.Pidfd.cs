// pidfd_open(2), PIDFD_GET_INFO and readlink(2): the identity of the thread that sent a request (Bridge/ProcessIds.cs).
using System.Runtime.InteropServices;

namespace Altitude.Fuse.Interop;

internal static unsafe partial class Libc
{
    /// <summary>pidfd_open flag (O_EXCL): a pidfd for one thread, not its thread group (Linux 6.9).</summary>
    internal const uint PIDFD_THREAD = 0x80;
    internal const int ESRCH = 3;

    /// <summary>pidfd_open(2): an fd that keeps referring to the thread it was opened for; poll reports POLLIN once it exits.</summary>
    [LibraryImport(Name, EntryPoint = "pidfd_open", SetLastError = true)]
    internal static partial int PidfdOpen(int pid, uint flags);

    /// <summary>struct pidfd_info as first published (PIDFD_INFO_SIZE_VER0, Linux 6.13).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PidfdInfo
    {
        public ulong mask;
        public ulong cgroupid;
        public uint pid;
        public uint tgid;
        public uint ppid;
        public uint ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
        public uint spare0;   // exit_code since 6.15; later fields (coredump_mask...) are past VER0 and never asked for
    }

    /// <summary>_IOWR(PIDFS_IOCTL_MAGIC 0xFF, 11, struct pidfd_info): pid and tgid of exactly the pidfd's task, in our pid namespace.</summary>
    internal const ulong PIDFD_GET_INFO = 0xC040FF0B;
    internal const ulong PIDFD_INFO_PID = 1;

    /// <summary>readlink(2); returns the length (not NUL-terminated) or -1.</summary>
    [LibraryImport(Name, EntryPoint = "readlink", SetLastError = true)]
    internal static partial nint ReadLink(byte* path, byte* buffer, nuint size);
}
