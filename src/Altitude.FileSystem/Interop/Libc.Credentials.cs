// Per-thread credentials of the loopback's creating and data calls: setfsuid/setfsgid, capget/capset, umask with
// unshare(CLONE_FS). On Linux all of these act on the calling thread only (glibc's setfsuid/setfsgid and capset are
// plain system calls, not the process-wide setxid broadcast that setuid uses), so they are safe on a reader thread.
using System.Runtime.InteropServices;

namespace Altitude.FileSystem.Interop;

internal static unsafe partial class Libc
{
    /// <summary>unshare flag: give the thread its own cwd, root and umask (fs_struct).</summary>
    internal const int CLONE_FS = 0x200;

    /// <summary>_LINUX_CAPABILITY_VERSION_3: two 32-bit words per set.</summary>
    internal const uint CapabilityVersion3 = 0x20080522;

    internal const int CAP_DAC_OVERRIDE = 1, CAP_DAC_READ_SEARCH = 2, CAP_FOWNER = 3, CAP_FSETID = 4;

    /// <summary>setfsuid(2): sets the thread's file-system uid and returns the previous one (no errno).</summary>
    [LibraryImport(Name, EntryPoint = "setfsuid")]
    internal static partial int SetFsUid(uint uid);

    /// <summary>setfsgid(2): sets the thread's file-system gid and returns the previous one (no errno).</summary>
    [LibraryImport(Name, EntryPoint = "setfsgid")]
    internal static partial int SetFsGid(uint gid);

    /// <summary>unshare(2).</summary>
    [LibraryImport(Name, EntryPoint = "unshare", SetLastError = true)]
    internal static partial int Unshare(int flags);

    /// <summary>umask(2): sets the file mode creation mask of the caller's fs_struct and returns the previous mask.</summary>
    [LibraryImport(Name, EntryPoint = "umask")]
    internal static partial uint Umask(uint mask);

    /// <summary>struct __user_cap_header_struct.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct CapHeader
    {
        public uint Version;
        public int Pid;   // 0: the calling thread
    }

    /// <summary>struct __user_cap_data_struct; version 3 takes two of them (capabilities 0–31 and 32–63).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct CapData
    {
        public uint Effective, Permitted, Inheritable;
    }

    /// <summary>capget(2) of the calling thread into two CapData.</summary>
    [LibraryImport(Name, EntryPoint = "capget", SetLastError = true)]
    internal static partial int CapGet(CapHeader* header, CapData* data);

    /// <summary>capset(2) of the calling thread from two CapData.</summary>
    [LibraryImport(Name, EntryPoint = "capset", SetLastError = true)]
    internal static partial int CapSet(CapHeader* header, CapData* data);
}
