// Small reads from /proc/<tid>/: the thread group (status), the executable (exe) and the cgroup membership (cgroup).
// Paths are built on the stack; only the strings handed to a filter are allocated.
using System.Text;
using Altitude.Fuse.Interop;

namespace Altitude.Fuse.Bridge;

internal static unsafe class ProcFiles
{
    private const int PathCapacity = 48;

    /// <summary>Writes "/proc/TID/LEAF\0" into <paramref name="path"/> (at least <see cref="PathCapacity"/> bytes).</summary>
    private static void Build(int tid, ReadOnlySpan<byte> leaf, byte* path)
    {
        int n = 0;
        foreach (byte c in "/proc/"u8) path[n++] = c;
        Span<byte> digits = stackalloc byte[12];
        int d = 0;
        for (int t = tid; t > 0; t /= 10) digits[d++] = (byte)('0' + t % 10);
        while (d > 0) path[n++] = digits[--d];
        path[n++] = (byte)'/';
        foreach (byte c in leaf) path[n++] = c;
        path[n] = 0;
    }

    /// <summary>The Tgid line of /proc/TID/status; 0 when the thread is gone or the file says nothing.</summary>
    public static int ReadTgid(int tid)
    {
        byte* buffer = stackalloc byte[1024];
        int len = Read(tid, "status"u8, buffer, 1024);
        if (len <= 0) return 0;
        var text = new ReadOnlySpan<byte>(buffer, len);
        int at = text.IndexOf("\nTgid:"u8);
        if (at < 0) return 0;
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
        return any ? value : 0;
    }

    /// <summary>The target of /proc/TID/exe.</summary>
    public static string? ReadExe(int tid)
    {
        byte* path = stackalloc byte[PathCapacity];
        Build(tid, "exe"u8, path);
        const int Capacity = 4096;   // PATH_MAX
        byte* target = stackalloc byte[Capacity];
        nint n = Libc.ReadLink(path, target, Capacity);
        return n <= 0 || n >= Capacity ? null : Encoding.UTF8.GetString(target, (int)n);
    }

    /// <summary>The whole text of /proc/TID/cgroup (one line per hierarchy; a few hundred bytes).</summary>
    public static string? ReadCgroup(int tid)
    {
        const int Capacity = 8192;
        byte* buffer = stackalloc byte[Capacity];
        int n = Read(tid, "cgroup"u8, buffer, Capacity);
        return n <= 0 || n >= Capacity ? null : Encoding.UTF8.GetString(buffer, n);
    }

    /// <summary>Reads a /proc file to its end (procfs may hand it over in several reads); -1 if it cannot be opened.</summary>
    private static int Read(int tid, ReadOnlySpan<byte> leaf, byte* buffer, int capacity)
    {
        byte* path = stackalloc byte[PathCapacity];
        Build(tid, leaf, path);
        int fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0) return -1;
        int total = 0;
        while (total < capacity)
        {
            nint n = Libc.Read(fd, buffer + total, (nuint)(capacity - total));
            if (n < 0 && Libc.LastError == Libc.EINTR) continue;
            if (n <= 0) { if (n < 0) total = -1; break; }
            total += (int)n;
        }
        Libc.Close(fd);
        return total;
    }
}
