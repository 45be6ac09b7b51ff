// The whole stack without FUSE: VolumeClient -> three PassThrough-like instances -> LoopbackDriver -> a real
// temporary directory. Each test compares what the stack reports with what the backing directory shows.
using System.Text;
using Altitude.Samples.PassThrough;

namespace Altitude.FileSystem.Tests;

public sealed class StackTests : LoopbackTestBase
{
    private readonly FilterManager manager = new();
    private readonly LoopbackDriver driver;
    private readonly Volume volume;
    private readonly VolumeClient client;
    private readonly PassThroughFilter passThrough = new();
    private readonly Instance? mid;

    public StackTests()
    {
        driver = new LoopbackDriver(Fs);
        volume = manager.AddVolume(driver);
        Assert.Equal(NtStatus.Success, passThrough.Register(manager, "PassThrough", new[]
        {
            new InstanceConfiguration("PT High", "370030"),
            new InstanceConfiguration("PT Mid", "370020", InstanceConfiguration.NoAutomaticAttach),
            new InstanceConfiguration("PT Low", "370010", InstanceConfiguration.NoAutomaticAttach),
        }));
        Assert.Equal(NtStatus.Success, passThrough.Filter!.AttachVolume(volume, "PT Mid", out mid));
        Assert.Equal(NtStatus.Success, passThrough.Filter.AttachVolume(volume, "PT Low", out _));
        client = new VolumeClient(volume, Requestor.Of(Environment.ProcessId, Environment.CurrentManagedThreadId, 0, 0));
    }

    public override void Dispose()
    {
        manager.Dispose();
        base.Dispose();
    }

    private FileObject Open(string path, int flags, uint mode = 0x1A4)
    {
        var st = client.Create(path, flags, mode, out var fo, out _);
        Assert.True(st.IsSuccess(), $"create {path}: {st.Describe()}");
        return fo!;
    }

    [Fact]
    public void CreateWriteReadCloseThroughThreeInstances()
    {
        Assert.Equal(NtStatus.Success, client.Create("hello.txt", OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_RDWR, 0x1A4, out var fo, out long info));
        Assert.Equal(CreateInformation.FileCreated, info);
        Assert.Equal(NtStatus.Success, client.Write(fo!, Encoding.UTF8.GetBytes("hello, altitude"), 0, out int written));
        Assert.Equal(15, written);
        var buffer = new byte[64];
        Assert.Equal(NtStatus.Success, client.Read(fo!, buffer, 7, out int read));
        Assert.Equal("altitude", Encoding.UTF8.GetString(buffer, 0, read));
        Assert.Equal(NtStatus.EndOfFile, client.Read(fo!, buffer, 100, out read));
        Assert.Equal(0, read);
        Assert.Equal(NtStatus.Success, client.CloseHandle(fo!));
        Assert.Equal("hello, altitude", File.ReadAllText(InBacking("hello.txt")));
        Assert.Equal(passThrough.PreOperationCount, passThrough.PostOperationCount);
        Assert.True(passThrough.PreOperationCount >= 3 * 6);   // create, write, 2 reads, cleanup, close x 3 instances
    }

    [Fact]
    public void DispositionsFollowOpenFlags()
    {
        File.WriteAllText(InBacking("exists"), "12345");
        Assert.Equal(NtStatus.ObjectNameCollision, client.Create("exists", OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_WRONLY, 0x1A4, out _, out _));
        Assert.Equal(NtStatus.ObjectNameNotFound, client.Create("missing", OpenFlags.O_RDONLY, 0, out _, out _));
        Assert.Equal(NtStatus.ObjectPathNotFound, client.Create("nodir/missing", OpenFlags.O_CREAT | OpenFlags.O_WRONLY, 0x1A4, out _, out _));
        Assert.Equal(NtStatus.Success, client.Create("exists", OpenFlags.O_CREAT | OpenFlags.O_WRONLY, 0x1A4, out var a, out long info));
        Assert.Equal(CreateInformation.FileOpened, info);
        client.CloseHandle(a!);
        Assert.Equal(NtStatus.Success, client.Create("exists", OpenFlags.O_WRONLY | OpenFlags.O_TRUNC, 0, out var b, out info));
        Assert.Equal(CreateInformation.FileOverwritten, info);
        client.CloseHandle(b!);
        Assert.Equal(0, new FileInfo(InBacking("exists")).Length);
    }

    [Fact]
    public void AFilterThatChangesTheDispositionDecidesTruncation()
    {
        File.WriteAllText(InBacking("keep"), "precious");
        var reg = new FilterRegistration
        {
            OperationRegistration = new[]
            {
                new OperationRegistration(MajorFunction.Create, 0, (CallbackData d, in RelatedObjects o, out object? c) =>
                {
                    ref CreateParameters p = ref d.Iopb.Parameters.Create;
                    if (p.Disposition == CreateDisposition.OverwriteIf)
                    {
                        p.Options = CreateParameters.MakeOptions(CreateDisposition.OpenIf, p.CreateOptions);
                        d.SetDirty();
                    }
                    c = null;
                    return PreOperationStatus.SuccessNoCallback;
                }, null),
            },
        };
        Assert.Equal(NtStatus.Success, manager.RegisterFilter(FilterConfiguration.Single("NoTrunc", "400000"), reg, out var f));
        Assert.Equal(NtStatus.Success, f!.StartFiltering());
        Assert.Equal(NtStatus.Success, client.Create("keep", OpenFlags.O_CREAT | OpenFlags.O_TRUNC | OpenFlags.O_WRONLY, 0x1A4, out var fo, out long info));
        Assert.Equal(CreateInformation.FileOpened, info);
        client.CloseHandle(fo!);
        Assert.Equal("precious", File.ReadAllText(InBacking("keep")));
    }

    [Fact]
    public void ARefusedQueryOpenTakesTheSlowPathThroughCreateWhereAPolicyCanDenyIt()
    {
        File.WriteAllText(InBacking("plain.txt"), "12345");
        File.WriteAllText(InBacking("denied.doc"), "d");
        var creates = new List<(string Name, uint Access, int Flags)>();
        var registration = new FilterRegistration
        {
            FilterUnload = _ => NtStatus.Success,
            OperationRegistration = new[]
            {
                new OperationRegistration(MajorFunction.NetworkQueryOpen, 0,
                    (CallbackData d, in RelatedObjects o, out object? c) => { c = null; return PreOperationStatus.DisallowFsFilterIo; }, null),
                new OperationRegistration(MajorFunction.Create, 0,
                    (CallbackData d, in RelatedObjects o, out object? c) =>
                    {
                        c = null;
                        string name = d.Iopb.TargetFileObject!.FileNameText;
                        lock (creates) creates.Add((name, d.Iopb.Parameters.Create.DesiredAccess, d.Iopb.Parameters.Create.OpenFlags));
                        if (!name.EndsWith(".doc", StringComparison.Ordinal)) return PreOperationStatus.SuccessNoCallback;
                        d.IoStatus = new IoStatusBlock(NtStatus.AccessDenied, 0);
                        return PreOperationStatus.Complete;
                    }, null),
            },
        };
        Assert.Equal(NtStatus.Success, manager.RegisterFilter(FilterConfiguration.Single("SlowPath", "380000"), registration, out Filter? f));
        Assert.Equal(NtStatus.Success, f!.StartFiltering());
        int before = Fs.NodeCount;
        Assert.Equal(NtStatus.Success, client.QueryOpen("plain.txt", out FileStatInformation stat));
        Assert.Equal(5, stat.EndOfFile);
        Assert.Equal(NtStatus.AccessDenied, client.QueryOpen("denied.doc", out _));
        Assert.Equal(NtStatus.ObjectNameNotFound, client.QueryOpen("missing", out _));
        Assert.Contains(creates, c => c.Name == "plain.txt" && c.Access == (AccessMask.FileReadAttributes | AccessMask.Synchronize)
            && (c.Flags & OpenFlags.O_PATH) != 0);
        Assert.Equal(before, Fs.NodeCount);   // the slow path's open gave its node back
    }

    [Fact]
    public void OpenByNodeUsesTheCallersNodeWithoutANewReference()
    {
        File.WriteAllText(InBacking("bynode"), "node");
        Ok(Fs.LookupPath(B("bynode"), out ulong node, out _, out _));
        int before = Fs.NodeCount;
        var fo = new FileObject(volume) { NodeId = node, OpenFlags = OpenFlags.O_RDONLY };
        var d = volume.AllocateCallbackData(fo);
        d.Iopb.MajorFunction = MajorFunction.Create;
        d.Iopb.Parameters.Create.Options = CreateParameters.MakeOptions(CreateDisposition.Open, CreateOptions.NonDirectoryFile);
        d.Iopb.Parameters.Create.OpenFlags = OpenFlags.O_RDONLY;
        Assert.Equal(NtStatus.Success, volume.PerformOperation(d));
        d.Free();
        var buffer = new byte[8];
        Assert.Equal(NtStatus.Success, client.Read(fo, buffer, 0, out int read));
        Assert.Equal("node", Encoding.UTF8.GetString(buffer, 0, read));
        Assert.Equal(NtStatus.Success, client.CloseHandle(fo));
        Assert.Equal(before, Fs.NodeCount);
        Ok(Fs.GetAttributes(node, out _));   // the caller's reference is still there
        Fs.Forget(node, 1);
    }

    [Fact]
    public void AFilterReadsAFileOpenedWriteOnlyWhileTheCallerCannot()
    {
        // A scanner's FltReadFile on a handle opened for writing: Windows kernel I/O ignores the handle's access.
        File.WriteAllText(InBacking("w.txt"), "contents");
        var fo = Open("w.txt", OpenFlags.O_WRONLY);
        var buffer = new byte[16];
        Assert.Equal(NtStatus.Success, mid!.ReadFile(fo, 0, buffer, FilterIoFlags.DoNotUpdateByteOffset, out int read));
        Assert.Equal("contents", Encoding.UTF8.GetString(buffer, 0, read));
        Assert.Equal(0, fo.CurrentByteOffset);
        // The caller's own read on that open still fails as read(2) on a write-only fd does.
        Assert.Equal(NtStatus.InvalidHandle, client.Read(fo, buffer, 0, out _));
        client.CloseHandle(fo);
    }

    [Fact]
    public void AppendWritesAtTheEnd()
    {
        File.WriteAllText(InBacking("log"), "one\n");
        var fo = Open("log", OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
        Assert.Equal(NtStatus.Success, client.Write(fo, Encoding.UTF8.GetBytes("two\n"), -1, out _));
        Assert.Equal(NtStatus.Success, client.Write(fo, Encoding.UTF8.GetBytes("three\n"), 0, out _));
        client.CloseHandle(fo);
        Assert.Equal("one\ntwo\nthree\n", File.ReadAllText(InBacking("log")));
    }

    [Fact]
    public void QueryAndSetInformation()
    {
        File.WriteAllBytes(InBacking("f"), new byte[100]);
        var fo = Open("f", OpenFlags.O_RDWR);
        Assert.Equal(NtStatus.Success, client.QueryInformation(fo, out var stat));
        Assert.Equal(100, stat.EndOfFile);
        Assert.False(stat.IsDirectory);
        Assert.Equal(NtStatus.Success, client.SetEndOfFile(fo, 5000));
        Assert.Equal(NtStatus.Success, client.Allocate(fo, 0, 0, 1 << 20));
        Assert.Equal(NtStatus.Success, client.SetTimes(fo, new TimeSpecValue(1_000_000, 5), new TimeSpecValue(2_000_000, 7)));   // after fallocate, which sets mtime
        client.CloseHandle(fo);
        var info = new FileInfo(InBacking("f"));
        Assert.Equal(1 << 20, info.Length);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(2_000_000).UtcDateTime, info.LastWriteTimeUtc.AddTicks(-(info.LastWriteTimeUtc.Ticks % TimeSpan.TicksPerSecond)));
        Assert.Equal(NtStatus.Success, client.QueryInformation("f", out stat));
        Assert.Equal(2_000_000, stat.LastWriteTime.Seconds);
        Assert.Equal(1_000_000, stat.LastAccessTime.Seconds);
        Assert.Equal(NtStatus.ObjectNameNotFound, client.QueryInformation("nope", out _));
    }

    [Fact]
    public void DirectoriesRenameLinkDelete()
    {
        Assert.Equal(NtStatus.Success, client.CreateDirectory("d"));
        Assert.Equal(NtStatus.ObjectNameCollision, client.CreateDirectory("d"));
        Assert.True(Directory.Exists(InBacking("d")));
        var fo = Open("d/a", OpenFlags.O_CREAT | OpenFlags.O_WRONLY);
        client.CloseHandle(fo);
        Assert.Equal(NtStatus.Success, client.Rename("d/a", "d/b"));
        Assert.True(File.Exists(InBacking("d/b")) && !File.Exists(InBacking("d/a")));
        Assert.Equal(NtStatus.Success, client.Link("d/b", "c"));
        Assert.Equal(NtStatus.Success, client.QueryInformation("c", out var st));
        Assert.Equal(2u, st.LinkCount);
        File.WriteAllText(InBacking("x"), "x");
        Assert.Equal(NtStatus.ObjectNameCollision, client.Rename("x", "c", RenameFlags.PosixSemantics));   // no REPLACE_IF_EXISTS: NOREPLACE
        Assert.Equal(NtStatus.Success, client.Rename("x", "c", RenameFlags.Exchange));
        Assert.Equal("x", File.ReadAllText(InBacking("c")));
        Assert.Equal(NtStatus.DirectoryNotEmpty, client.Delete("d", directory: true));
        Assert.Equal(NtStatus.Success, client.Delete("d/b"));
        Assert.Equal(NtStatus.Success, client.Delete("d", directory: true));
        Assert.False(Directory.Exists(InBacking("d")));
        Assert.Equal(NtStatus.ObjectNameNotFound, client.Delete("d/b"));
    }

    [Fact]
    public void QueryDirectoryListsEveryEntryOnceAcrossCalls()
    {
        for (int i = 0; i < 500; i++) File.WriteAllText(InBacking($"file{i:D4}"), "");
        var dir = Open("", OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY);
        var entries = new DirectoryEntryList();
        var names = new List<string>();
        long cookie = 0;
        int calls = 0;
        while (true)
        {
            NtStatus st = client.QueryDirectory(dir, cookie, entries, length: 2048);
            if (st == NtStatus.NoMoreFiles) break;
            Assert.Equal(NtStatus.Success, st);
            calls++;
            for (int i = 0; i < entries.Count; i++)
            {
                names.Add(Encoding.UTF8.GetString(entries.GetName(i)));
                cookie = entries[i].Cookie;
            }
        }
        client.CloseHandle(dir);
        Assert.True(calls > 1);
        names.RemoveAll(n => n is "." or "..");
        Assert.Equal(500, names.Count);
        Assert.Equal(500, names.Distinct().Count());
    }

    [Fact]
    public void SymlinksSecurityXattrsVolumeAndFlush()
    {
        Assert.Equal(NtStatus.Success, client.CreateSymbolicLink("link", "target/file"));
        var buffer = new byte[256];
        Assert.Equal(NtStatus.Success, client.ReadSymbolicLink("link", buffer, out int length));
        Assert.Equal("target/file", Encoding.UTF8.GetString(buffer, 0, length));
        Assert.Equal("target/file", new FileInfo(InBacking("link")).LinkTarget);

        File.WriteAllText(InBacking("s"), "s");
        Assert.Equal(NtStatus.Success, client.SetSecurity("s", SecurityInformation.Dacl, 0x180 /* 0600 */));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(InBacking("s")));
        Assert.Equal(NtStatus.NotSupported, client.ReadSymbolicLink("s", buffer, out _));

        Assert.Equal(NtStatus.Success, client.SetEa("s", "user.altitude", Encoding.UTF8.GetBytes("370030")));
        Assert.Equal(NtStatus.Success, client.QueryEa("s", "user.altitude", buffer, out int size));
        Assert.Equal("370030", Encoding.UTF8.GetString(buffer, 0, size));
        Assert.Equal(NtStatus.Success, client.SetEa("s", "user.altitude", default, EaParameters.RemoveFlag));
        Assert.Equal(NtStatus.NoEasOnFile, client.QueryEa("s", "user.altitude", buffer, out _));

        Assert.Equal(NtStatus.Success, client.QueryVolumeInformation(out var vol));
        Assert.True(vol.TotalBlocks > 0 && vol.BlockSize > 0);

        var fo = Open("s", OpenFlags.O_RDWR);
        Assert.Equal(NtStatus.Success, client.FlushBuffers(fo));
        Assert.Equal(NtStatus.Success, client.FlushBuffers(fo, dataOnly: true));
        client.CloseHandle(fo);
    }

    [Fact]
    public void PosixLocksConflictAcrossOpens()
    {
        File.WriteAllBytes(InBacking("locked"), new byte[10]);
        var a = Open("locked", OpenFlags.O_RDWR);
        var b = Open("locked", OpenFlags.O_RDWR);
        var lk = new LockControlParameters { ByteOffset = 0, Length = 5, ExclusiveLock = true, FailImmediately = true };
        Assert.Equal(NtStatus.Success, client.LockControl(a, MinorFunction.Lock, ref lk));
        var other = new LockControlParameters { ByteOffset = 2, Length = 1, ExclusiveLock = true, FailImmediately = true };
        Assert.Equal(NtStatus.LockNotGranted, client.LockControl(b, MinorFunction.Lock, ref other));
        var query = new LockControlParameters { ByteOffset = 0, Length = 10, ExclusiveLock = true };
        Assert.Equal(NtStatus.Success, client.LockControl(b, MinorFunction.QueryLock, ref query));
        Assert.True(query.Conflict);
        Assert.Equal(NtStatus.Success, client.LockControl(a, MinorFunction.UnlockSingle, ref lk));
        Assert.Equal(NtStatus.Success, client.LockControl(b, MinorFunction.Lock, ref other));
        client.CloseHandle(a);
        client.CloseHandle(b);
    }

    [Fact]
    public void NamesThatAreNotUtf8Work()
    {
        byte[] name = { (byte)'b', 0xFF, 0xFE, (byte)'!' };
        Assert.Equal(NtStatus.Success, client.Create(name, OpenFlags.O_CREAT | OpenFlags.O_WRONLY, 0x1A4, CreateNodeKind.RegularFile, out var fo, out _));
        client.CloseHandle(fo!);
        Assert.Equal(Errno.Success, RawStat(RawBackingPath(name), out _));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/../../escape")]
    [InlineData("/etc/passwd")]
    [InlineData("out/escape")]
    [InlineData("abs/passwd")]
    public void NothingEscapesTheVolume(string path)
    {
        Directory.CreateSymbolicLink(InBacking("out"), Outside);
        Directory.CreateSymbolicLink(InBacking("abs"), "/etc");
        Directory.CreateDirectory(InBacking("a"));
        NtStatus st = client.Create(path, OpenFlags.O_CREAT | OpenFlags.O_WRONLY, 0x1A4, out var fo, out _);
        Assert.False(st.IsSuccess(), $"{path} gave {st.Describe()}");
        Assert.Null(fo);
        Assert.Empty(Directory.GetFileSystemEntries(Outside));
        Assert.False(client.QueryInformation(path, out _).IsSuccess());
        Assert.False(client.Delete(path).IsSuccess());
        Assert.True(File.Exists("/etc/passwd"));
    }

    [Fact]
    public void AFilterCanDenyAndHide()
    {
        // A filter above the PassThrough instances that denies *.exe creates and hides "secret".
        var reg = new FilterRegistration
        {
            OperationRegistration = new[]
            {
                new OperationRegistration(MajorFunction.Create, 0, (CallbackData d, in RelatedObjects o, out object? c) =>
                {
                    c = null;
                    if (d.Iopb.TargetFileObject!.FileNameText.EndsWith(".exe", StringComparison.Ordinal))
                    {
                        d.IoStatus = new IoStatusBlock(NtStatus.AccessDenied, 0);
                        return PreOperationStatus.Complete;
                    }
                    return PreOperationStatus.SuccessNoCallback;
                }, null),
                new OperationRegistration(MajorFunction.DirectoryControl, 0, null, (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
                {
                    var entries = d.Iopb.Parameters.DirectoryControl.Entries;
                    int i = entries?.IndexOf("secret"u8) ?? -1;
                    if (i >= 0 && (f & PostOperationFlags.Draining) == 0) entries!.RemoveAt(i);
                    return PostOperationStatus.FinishedProcessing;
                }),
            },
        };
        Assert.Equal(NtStatus.Success, manager.RegisterFilter(FilterConfiguration.Single("Guard", "400000"), reg, out var guard));
        Assert.Equal(NtStatus.Success, guard!.StartFiltering());
        File.WriteAllText(InBacking("secret"), "s");
        File.WriteAllText(InBacking("public"), "p");

        Assert.Equal(NtStatus.AccessDenied, client.Create("x.exe", OpenFlags.O_CREAT | OpenFlags.O_WRONLY, 0x1A4, out _, out _));
        Assert.False(File.Exists(InBacking("x.exe")));
        var dir = Open("", OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY);
        var entries = new DirectoryEntryList();
        Assert.Equal(NtStatus.Success, client.QueryDirectory(dir, 0, entries));
        client.CloseHandle(dir);
        Assert.Equal(-1, entries.IndexOf("secret"u8));
        Assert.NotEqual(-1, entries.IndexOf("public"u8));
    }
}
