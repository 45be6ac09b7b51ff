// `probe fsx FILE OPS SEED`: a file-system exerciser in the manner of fsx (xfstests): OPS random operations on one
// file (pwrite, pread, truncate up and down, reads and stores through a shared mapping with msync, fallocate punching,
// zeroing and preallocating, close and reopen), each checked against an in-memory model of what the file must hold.
// Offsets and lengths are unaligned on purpose. Prints "ok N operations" and exits 0, or prints the operation that
// diverged and the last operations before it, and exits 1. The same SEED gives the same sequence.
using System.Runtime.InteropServices;
using System.Text;

internal static unsafe class Fsx
{
    private const int O_RDWR = 2, O_CREAT = 0x40, O_TRUNC = 0x200;
    private const int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1, MS_SYNC = 4;
    private const int FALLOC_FL_KEEP_SIZE = 1, FALLOC_FL_PUNCH_HOLE = 2, FALLOC_FL_ZERO_RANGE = 0x10;
    private const int MaxSize = 256 * 1024, MaxOp = 20 * 1024;

    public static int Run(string path, int operations, int seed)
    {
        byte[] name = Encoding.UTF8.GetBytes(path + "\0");
        var random = new Random(seed);
        byte[] model = new byte[MaxSize + MaxOp];
        byte[] scratch = new byte[MaxOp];
        long size = 0;
        var log = new Queue<string>();
        int fd = Open(name, O_RDWR | O_CREAT | O_TRUNC);
        if (fd < 0) return Fail(log, "open", Marshal.GetLastPInvokeError());
        for (int op = 1; op <= operations; op++)
        {
            long offset = random.Next(MaxSize);
            int length = 1 + random.Next(MaxOp - 1);
            int kind = random.Next(100);
            string what;
            if (kind < 30)
            {
                random.NextBytes(scratch.AsSpan(0, length));
                what = $"{op}: pwrite {offset} +{length}";
                fixed (byte* b = scratch)
                    if (pwrite(fd, b, (nuint)length, offset) != length) return Fail(log, what, Marshal.GetLastPInvokeError());
                scratch.AsSpan(0, length).CopyTo(model.AsSpan((int)offset));
                size = Math.Max(size, offset + length);
            }
            else if (kind < 50)
            {
                what = $"{op}: pread {offset} +{length}";
                nint n;
                fixed (byte* b = scratch) n = pread(fd, b, (nuint)length, offset);
                long expected = Math.Clamp(size - offset, 0, length);
                if (n != expected) return Fail(log, $"{what}: {n} bytes, expected {expected}", Marshal.GetLastPInvokeError());
                if (!scratch.AsSpan(0, (int)n).SequenceEqual(model.AsSpan((int)offset, (int)n))) return Fail(log, what + ": wrong data", 0, scratch, model, offset, (int)n);
            }
            else if (kind < 62)
            {
                long to = random.Next(3) == 0 ? 0 : random.Next(MaxSize);
                what = $"{op}: truncate {size} -> {to}";
                if (ftruncate(fd, to) != 0) return Fail(log, what, Marshal.GetLastPInvokeError());
                if (to > size) model.AsSpan((int)size, (int)(to - size)).Clear();
                else model.AsSpan((int)to, (int)(size - to)).Clear();
                size = to;
            }
            else if (kind < 72)
            {
                // A store through a shared mapping, inside the file (a mapping cannot grow it), then msync.
                if (size == 0) { op--; continue; }
                offset = random.Next((int)size);
                length = (int)Math.Min(length, size - offset);
                random.NextBytes(scratch.AsSpan(0, length));
                what = $"{op}: mapwrite {offset} +{length}";
                byte* map = (byte*)mmap(null, (nuint)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
                if (map == (byte*)-1) return Fail(log, what + " (mmap)", Marshal.GetLastPInvokeError());
                scratch.AsSpan(0, length).CopyTo(new Span<byte>(map + offset, length));
                int synced = msync(map, (nuint)size, MS_SYNC);
                munmap(map, (nuint)size);
                if (synced != 0) return Fail(log, what + " (msync)", Marshal.GetLastPInvokeError());
                scratch.AsSpan(0, length).CopyTo(model.AsSpan((int)offset));
            }
            else if (kind < 80)
            {
                if (size == 0) { op--; continue; }
                offset = random.Next((int)size);
                length = (int)Math.Min(length, size - offset);
                what = $"{op}: mapread {offset} +{length}";
                byte* map = (byte*)mmap(null, (nuint)size, PROT_READ, MAP_SHARED, fd, 0);
                if (map == (byte*)-1) return Fail(log, what + " (mmap)", Marshal.GetLastPInvokeError());
                new ReadOnlySpan<byte>(map + offset, length).CopyTo(scratch);
                munmap(map, (nuint)size);
                if (!scratch.AsSpan(0, length).SequenceEqual(model.AsSpan((int)offset, length))) return Fail(log, what + ": wrong data", 0, scratch, model, offset, length);
            }
            else if (kind < 92)
            {
                int mode = random.Next(3) switch { 0 => FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1 => FALLOC_FL_ZERO_RANGE, _ => FALLOC_FL_KEEP_SIZE };
                what = $"{op}: fallocate mode {mode} {offset} +{length}";
                if (fallocate(fd, mode, offset, length) != 0) return Fail(log, what, Marshal.GetLastPInvokeError());
                if ((mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) != 0)
                {
                    long end = (mode & FALLOC_FL_KEEP_SIZE) != 0 ? Math.Min(offset + length, size) : offset + length;
                    if (end > offset) model.AsSpan((int)offset, (int)(end - offset)).Clear();
                }
                if ((mode & FALLOC_FL_KEEP_SIZE) == 0) size = Math.Max(size, offset + length);
            }
            else
            {
                what = $"{op}: close and reopen";
                close(fd);
                fd = Open(name, O_RDWR);
                if (fd < 0) return Fail(log, what, Marshal.GetLastPInvokeError());
            }
            log.Enqueue(what);
            if (log.Count > 20) log.Dequeue();
        }
        close(fd);
        byte[] all = File.ReadAllBytes(path);
        if (all.Length != size) return Fail(log, $"final size {all.Length}, expected {size}", 0);
        if (!all.AsSpan().SequenceEqual(model.AsSpan(0, (int)size))) return Fail(log, "final contents differ", 0, all, model, 0, (int)size);
        Console.WriteLine($"ok {operations} operations, final size {size}");
        return 0;
    }

    private static int Open(byte[] name, int flags)
    {
        fixed (byte* p = name) return open(p, flags, 420);
    }

    private static int Fail(Queue<string> log, string what, int errno, byte[]? got = null, byte[]? model = null, long offset = 0, int length = 0)
    {
        foreach (string line in log) Console.WriteLine("  " + line);
        Console.WriteLine($"FAILED {what}" + (errno != 0 ? $" (errno {errno})" : ""));
        if (got is not null && model is not null)
            for (int i = 0; i < length; i++)   // got[0] is the byte at file offset `offset`
                if (got[i] != model[offset + i])
                {
                    Console.WriteLine($"  first difference at file offset {offset + i}: 0x{got[i]:x2}, expected 0x{model[offset + i]:x2}");
                    break;
                }
        return 1;
    }

    [DllImport("libc", SetLastError = true)] private static extern int open(byte* path, int flags, int mode);
    [DllImport("libc", SetLastError = true)] private static extern int close(int fd);
    [DllImport("libc", SetLastError = true)] private static extern int ftruncate(int fd, long length);
    [DllImport("libc", SetLastError = true)] private static extern int fallocate(int fd, int mode, long offset, long length);
    [DllImport("libc", SetLastError = true)] private static extern void* mmap(void* addr, nuint length, int prot, int flags, int fd, long offset);
    [DllImport("libc", SetLastError = true)] private static extern int munmap(void* addr, nuint length);
    [DllImport("libc", SetLastError = true)] private static extern int msync(void* addr, nuint length, int flags);
    [DllImport("libc", SetLastError = true)] private static extern nint pwrite(int fd, byte* buffer, nuint count, long offset);
    [DllImport("libc", SetLastError = true)] private static extern nint pread(int fd, byte* buffer, nuint count, long offset);
}
