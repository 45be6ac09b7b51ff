// A separate process that exercises .NET file APIs on a path given on the command line (the mount in the tests):
// streams, append, rename/replace, copy, directory enumeration, times, attributes, FileStream.Lock (fcntl locks),
// memory-mapped files and renameat2(RENAME_EXCHANGE). Prints "ok" and exits 0 when every check passed.
// With a second argument "direct-mmap" it runs DirectAndMapped.cs on a file instead.
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

if (args.Length == 2 && args[1] == "direct-mmap") return DirectAndMapped.Run(args[0]);
if (args.Length != 1) { Console.Error.WriteLine("usage: probe DIRECTORY | probe FILE direct-mmap"); return 2; }
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
