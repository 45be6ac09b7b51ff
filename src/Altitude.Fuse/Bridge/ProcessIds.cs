// The kernel puts the calling *thread's* id in fuse_in_header.pid. Filters want the process too (FltGetRequestorProcessId),
// so the thread-group id is read from /proc/<tid>/status once and cached in a small direct-mapped table.
using Altitude.Fuse.Interop;

namespace Altitude.Fuse.Bridge;

internal static unsafe class ProcessIds
{
    private const int Size = 4096;
    // One entry per slot: tid in the high half, tgid in the low half; written and read atomically.
    private static readonly long[] Cache = new long[Size];

    /// <summary>The process (thread group) of thread <paramref name="tid"/>; the tid itself when /proc does not say.</summary>
    public static int ProcessOf(int tid)
    {
        if (tid <= 0) return tid;
        ref long slot = ref Cache[tid & (Size - 1)];
        long v = Volatile.Read(ref slot);
        if ((int)(v >> 32) == tid) return (int)v;
        int tgid = ReadTgid(tid);
        Volatile.Write(ref slot, ((long)tid << 32) | (uint)tgid);
        return tgid;
    }

    private static int ReadTgid(int tid)
    {
        byte* path = stackalloc byte[32];
        int n = 0;
        foreach (byte c in "/proc/"u8) path[n++] = c;
        Span<byte> digits = stackalloc byte[12];
        int d = 0;
        for (int t = tid; t > 0; t /= 10) digits[d++] = (byte)('0' + t % 10);
        while (d > 0) path[n++] = digits[--d];
        foreach (byte c in "/status"u8) path[n++] = c;
        path[n] = 0;
        int fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0) return tid;
        byte* buffer = stackalloc byte[1024];
        nint len = Libc.Read(fd, buffer, 1024);
        Libc.Close(fd);
        if (len <= 0) return tid;
        var text = new ReadOnlySpan<byte>(buffer, (int)len);
        int at = text.IndexOf("\nTgid:"u8);
        if (at < 0) return tid;
        int value = 0;
        bool any = false;
        for (int i = at + 6; i < text.Length; i++)
        {
            byte c = text[i];
            if (c is (byte)' ' or (byte)'\t' && !any) continue;
            if (c < '0' || c > '9') break;
            value = value * 10 + (c - '0');
            any = true;
        }
        return any ? value : tid;
    }
}
