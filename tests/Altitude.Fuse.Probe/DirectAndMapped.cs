// `probe FILE direct-mmap`: O_DIRECT writes and reads mixed with writes through a shared mapping and msync(MS_SYNC) on
// one file mapped through its O_DIRECT descriptor, the mix that failed with EINVAL when page-cache writeback reached
// the daemon on the O_DIRECT open (the last, partial page is not block-aligned).
// Prints "ok" or the step that failed with its errno.
using System.Runtime.InteropServices;
using System.Text;

internal static unsafe class DirectAndMapped
{
    private const int O_RDWR = 2, O_CREAT = 0x40, O_TRUNC = 0x200, O_DIRECT = 0x4000;
    private const int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1, MS_SYNC = 4;
    private const int Page = 4096;
    private const int Size = 3 * Page + 100;   // not a multiple of the block size: the last page is partial

    public static int Run(string path)
    {
        byte[] name = Encoding.UTF8.GetBytes(path + "\0");
        byte* aligned = (byte*)NativeMemory.AlignedAlloc(Page, Page);
        try
        {
            int plain = Open(name, O_RDWR | O_CREAT | O_TRUNC);
            if (plain < 0) return Fail("open");
            if (ftruncate(plain, Size) != 0) return Fail("ftruncate");
            // The mapping is made through the O_DIRECT descriptor (as fio's mmap engine does with direct=1): the kernel
            // writes dirty pages back through the handle that was mapped.
            int direct = Open(name, O_RDWR | O_DIRECT);
            if (direct < 0) return Fail("open O_DIRECT");
            byte* map = (byte*)mmap(null, Size, PROT_READ | PROT_WRITE, MAP_SHARED, direct, 0);
            if (map == (byte*)-1) return Fail("mmap");
            for (int round = 0; round < 4; round++)
            {
                map[Size - 1] = (byte)('a' + round);           // the partial last page, dirty in the page cache
                map[Page + 7] = (byte)('A' + round);
                new Span<byte>(aligned, Page).Fill((byte)('0' + round));
                if (pwrite(direct, aligned, Page, 2 * Page) != Page) return Fail("O_DIRECT pwrite");
                if (msync(map, Size, MS_SYNC) != 0) return Fail("msync");
                if (pread(direct, aligned, Page, Page) != Page) return Fail("O_DIRECT pread");
                if (aligned[7] != (byte)('A' + round)) return Fail("O_DIRECT read sees the msync'd byte", errno: false);
            }
            munmap(map, Size);
            close(direct);
            close(plain);
            byte[] back = File.ReadAllBytes(path);
            if (back.Length != Size || back[^1] != (byte)'d' || back[Page + 7] != (byte)'D' || back[2 * Page] != (byte)'3')
                return Fail("final contents", errno: false);
            Console.WriteLine("ok");
            return 0;
        }
        finally
        {
            NativeMemory.AlignedFree(aligned);
        }
    }

    private static int Open(byte[] name, int flags)
    {
        fixed (byte* n = name) return open(n, flags, 0x1B6);
    }

    private static int Fail(string step, bool errno = true)
    {
        Console.Error.WriteLine(errno ? $"{step}: errno {Marshal.GetLastPInvokeError()}" : step);
        return 1;
    }

    [DllImport("libc", SetLastError = true)] private static extern int open(byte* path, int flags, int mode);
    [DllImport("libc", SetLastError = true)] private static extern int close(int fd);
    [DllImport("libc", SetLastError = true)] private static extern int ftruncate(int fd, long length);
    [DllImport("libc", SetLastError = true)] private static extern void* mmap(void* addr, nuint length, int prot, int flags, int fd, long offset);
    [DllImport("libc", SetLastError = true)] private static extern int munmap(void* addr, nuint length);
    [DllImport("libc", SetLastError = true)] private static extern int msync(void* addr, nuint length, int flags);
    [DllImport("libc", SetLastError = true)] private static extern nint pwrite(int fd, byte* buffer, nuint count, long offset);
    [DllImport("libc", SetLastError = true)] private static extern nint pread(int fd, byte* buffer, nuint count, long offset);
}
