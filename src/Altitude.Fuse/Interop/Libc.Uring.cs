// io_uring_setup/io_uring_enter (through syscall(2): glibc has no wrappers), mmap of the rings, and sched_setaffinity
// for the per-CPU queue threads of FUSE over io_uring (Uring/). The structs are the kernel's uapi layouts.
using System.Runtime.InteropServices;

namespace Altitude.Fuse.Interop;

internal static unsafe partial class Libc
{
    // The same numbers on x86_64 and on the generic table (arm64, riscv64).
    private const nint SYS_io_uring_setup = 425, SYS_io_uring_enter = 426;

    internal const uint IORING_SETUP_SQE128 = 1u << 10, IORING_SETUP_SINGLE_ISSUER = 1u << 12, IORING_SETUP_DEFER_TASKRUN = 1u << 13;
    internal const uint IORING_ENTER_GETEVENTS = 1;
    internal const byte IORING_OP_URING_CMD = 46;
    internal const long IORING_OFF_SQ_RING = 0, IORING_OFF_CQ_RING = 0x8000000, IORING_OFF_SQES = 0x10000000;
    internal const int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1, MAP_POPULATE = 0x8000;

    [StructLayout(LayoutKind.Sequential)]
    internal struct IoSqringOffsets
    {
        public uint Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Resv1;
        public ulong UserAddr;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct IoCqringOffsets
    {
        public uint Head, Tail, RingMask, RingEntries, Overflow, Cqes, Flags, Resv1;
        public ulong UserAddr;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct IoUringParams
    {
        public uint SqEntries, CqEntries, Flags, SqThreadCpu, SqThreadIdle, Features, WqFd;
        public uint Resv0, Resv1, Resv2;
        public IoSqringOffsets SqOff;
        public IoCqringOffsets CqOff;
    }

    /// <summary>A 128-byte SQE (IORING_SETUP_SQE128): the 64-byte SQE and the 80-byte command area from offset 48.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    internal struct IoUringSqe128
    {
        [FieldOffset(0)] public byte Opcode;
        [FieldOffset(1)] public byte Flags;
        [FieldOffset(2)] public ushort IoPrio;
        [FieldOffset(4)] public int Fd;
        [FieldOffset(8)] public uint CmdOp;
        [FieldOffset(16)] public ulong Addr;
        [FieldOffset(24)] public uint Len;
        [FieldOffset(28)] public uint OpFlags;
        [FieldOffset(32)] public ulong UserData;
        [FieldOffset(48)] public byte Cmd;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct IoUringCqe
    {
        public ulong UserData;
        public int Res;
        public uint Flags;
    }

    [LibraryImport(Name, EntryPoint = "syscall", SetLastError = true)]
    private static partial nint Syscall(nint number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);

    /// <summary>io_uring_setup(2): the ring's fd, or -errno.</summary>
    internal static int IoUringSetup(uint entries, IoUringParams* p)
    {
        nint r = Syscall(SYS_io_uring_setup, (nint)entries, (nint)p, 0, 0, 0, 0);
        return r < 0 ? -LastError : (int)r;
    }

    /// <summary>io_uring_enter(2): submitted count, or -errno (EINTR included: the caller decides).</summary>
    internal static int IoUringEnter(int fd, uint toSubmit, uint minComplete, uint flags)
    {
        nint r = Syscall(SYS_io_uring_enter, fd, (nint)toSubmit, (nint)minComplete, (nint)flags, 0, 0);
        return r < 0 ? -LastError : (int)r;
    }

    [LibraryImport(Name, EntryPoint = "mmap", SetLastError = true)]
    internal static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport(Name, EntryPoint = "munmap", SetLastError = true)]
    internal static partial int Munmap(void* address, nuint length);

    /// <summary>sched_setaffinity(2) of the calling thread (pid 0).</summary>
    [LibraryImport(Name, EntryPoint = "sched_setaffinity", SetLastError = true)]
    internal static partial int SchedSetAffinity(int pid, nuint size, ulong* mask);
}
