// A separate process that exercises .NET file APIs on a path given on the command line (the mount in the tests):
// streams, append, rename/replace, copy, directory enumeration, times, attributes, FileStream.Lock (fcntl locks),
// memory-mapped files and renameat2(RENAME_EXCHANGE). Prints "ok" and exits 0 when every check passed.
// With a second argument "direct-mmap" it runs DirectAndMapped.cs on a file instead; `probe fsx FILE OPS SEED` runs
// the fsx-style exerciser of Fsx.cs.
// Single steps for tests that compare with the backing file: `probe stat FILE` prints "size mtime ctime" (seconds.ns);
// `probe mmap-write FILE` opens FILE O_RDWR, maps it MAP_SHARED, stats it, stores through the mapping, msyncs, then
// prints the same line from a stat(2) of FILE while it is still open.
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

if (args.Length == 2 && args[0] == "stat") return Steps.PrintStat(args[1]);
if (args.Length == 2 && args[0] == "mmap-write") return Steps.MmapWrite(args[1]);
if (args.Length == 2 && args[1] == "direct-mmap") return DirectAndMapped.Run(args[0]);
if (args.Length == 4 && args[0] == "fsx") return Fsx.Run(args[1], int.Parse(args[2]), int.Parse(args[3]));
if (args.Length != 1) { Console.Error.WriteLine("usage: probe DIRECTORY | stat FILE | mmap-write FILE | probe FILE direct-mmap | probe fsx FILE OPS SEED"); return 2; }
string root = args[0];
string P(string n) => Path.Combine(root, n);
void Check(bool ok, string what) { if (!ok) throw new InvalidOperationException("check failed: " + what); }

Directory.CreateDirectory(P("net/sub"));
File.WriteAllText(P("net/a.txt"), "alpha");
File.AppendAllText(P("net/a.txt"), "-beta");
Check(File.ReadAllText(P("net/a.txt")) == "alpha-beta", "append");
using (var fs = new FileStream(P("net/b.bin"), FileMode.CreateNew, FileAccess.ReadWrite))
{
    var data = new byte[3 * 1024 * 1024 + 17];
    new Random(7).NextBytes(data);
    fs.Write(data);
    fs.Position = 1024 * 1024;
    var back = new byte[100];
    fs.ReadExactly(back);
    Check(back.AsSpan().SequenceEqual(data.AsSpan(1024 * 1024, 100)), "random access");
    fs.Lock(0, 10);                 // fcntl F_SETLK
    fs.Unlock(0, 10);
}
try { using var _ = new FileStream(P("net/b.bin"), FileMode.CreateNew); Check(false, "CreateNew on an existing file"); }
catch (IOException) { }
File.Copy(P("net/a.txt"), P("net/sub/c.txt"));
File.Move(P("net/sub/c.txt"), P("net/b.bin"), overwrite: true);
Check(File.ReadAllText(P("net/b.bin")) == "alpha-beta", "move with overwrite");
var when = new DateTime(2010, 5, 6, 7, 8, 9, DateTimeKind.Utc);
File.SetLastWriteTimeUtc(P("net/a.txt"), when);
Check(File.GetLastWriteTimeUtc(P("net/a.txt")) == when, "mtime");
File.SetUnixFileMode(P("net/a.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
Check(File.GetUnixFileMode(P("net/a.txt")) == (UnixFileMode.UserRead | UnixFileMode.UserWrite), "mode");
Check(Directory.GetFileSystemEntries(P("net")).Length == 3, "enumeration");
using (var mmf = MemoryMappedFile.CreateFromFile(P("net/map.bin"), FileMode.Create, null, 8192))
using (var view = mmf.CreateViewAccessor())
{
    view.Write(4096, 0x1234567887654321L);
    view.Flush();
}
using (var check = File.OpenRead(P("net/map.bin")))
{
    var b = new byte[8];
    check.Position = 4096;
    check.ReadExactly(b);
    Check(BitConverter.ToInt64(b) == 0x1234567887654321L, "mmap write");
}
File.WriteAllText(P("net/x"), "x");
File.WriteAllText(P("net/y"), "y");
Check(RenameAt2(-100, Encoding.UTF8.GetBytes(P("net/x") + "\0"), -100, Encoding.UTF8.GetBytes(P("net/y") + "\0"), 2) == 0, "RENAME_EXCHANGE");
Check(File.ReadAllText(P("net/x")) == "y" && File.ReadAllText(P("net/y")) == "x", "exchanged");
Check(RenameAt2(-100, Encoding.UTF8.GetBytes(P("net/x") + "\0"), -100, Encoding.UTF8.GetBytes(P("net/y") + "\0"), 1) != 0
      && Marshal.GetLastPInvokeError() == 17, "RENAME_NOREPLACE gives EEXIST");
Directory.Delete(P("net/sub"));
Console.WriteLine("ok");
return 0;

[DllImport("libc", EntryPoint = "renameat2", SetLastError = true)]
static extern int RenameAt2(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath, uint flags);

/// <summary>The single steps: plain libc calls, so nothing but the step itself reaches the mount.</summary>
internal static unsafe class Steps
{
    private const int O_RDWR = 2, PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1, MS_SYNC = 4;

    public static int PrintStat(string path)
    {
        if (!Stat(path, out string line)) return 1;
        Console.WriteLine(line);
        return 0;
    }

    public static int MmapWrite(string path)
    {
        int fd = open(path, O_RDWR);
        if (fd < 0) { Console.Error.WriteLine($"open: errno {Marshal.GetLastPInvokeError()}"); return 1; }
        try
        {
            long size = new FileInfo(path).Length;
            if (size <= 0) { Console.Error.WriteLine("the file must not be empty"); return 1; }
            byte* map = (byte*)mmap(null, (nuint)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            if (map == (byte*)-1) { Console.Error.WriteLine($"mmap: errno {Marshal.GetLastPInvokeError()}"); return 1; }
            // mmap marks the atime stale, which makes the next stat ask the daemon anyway: this stat is that one, so
            // the one after the stores below shows only what the kernel keeps between them.
            if (!Stat(path, out _)) return 1;
            for (long i = 0; i < size; i += 4096) map[i] = (byte)'M';   // a store on every page, nothing through write(2)
            if (msync(map, (nuint)size, MS_SYNC) != 0) { Console.Error.WriteLine($"msync: errno {Marshal.GetLastPInvokeError()}"); return 1; }
            munmap(map, (nuint)size);
            if (!Stat(path, out string line)) return 1;
            Console.WriteLine(line);
            return 0;
        }
        finally
        {
            close(fd);
        }
    }

    /// <summary>stat(2), x86_64 struct stat: st_size at 48, st_mtim at 88, st_ctim at 104.</summary>
    private static bool Stat(string path, out string line)
    {
        byte* st = stackalloc byte[256];
        if (stat(path, st) != 0) { line = ""; Console.Error.WriteLine($"stat: errno {Marshal.GetLastPInvokeError()}"); return false; }
        long size = *(long*)(st + 48);
        long mtime = *(long*)(st + 88), mtimeNs = *(long*)(st + 96);
        long ctime = *(long*)(st + 104), ctimeNs = *(long*)(st + 112);
        line = $"{size} {mtime}.{mtimeNs:D9} {ctime}.{ctimeNs:D9}";
        return true;
    }

    [DllImport("libc", SetLastError = true)] private static extern int open(string path, int flags);
    [DllImport("libc", SetLastError = true)] private static extern int close(int fd);
    [DllImport("libc", SetLastError = true)] private static extern int stat(string path, byte* buf);
    [DllImport("libc", SetLastError = true)] private static extern void* mmap(void* addr, nuint length, int prot, int flags, int fd, long offset);
    [DllImport("libc", SetLastError = true)] private static extern int msync(void* addr, nuint length, int flags);
    [DllImport("libc", SetLastError = true)] private static extern int munmap(void* addr, nuint length);
}
