// The kernel's caches stay true to changes it did not make: a filter's own I/O (the cache notifications of
// FuseBridge.Coherence) and stores through a shared mapping of a passthrough open. Each test first fills the caches
// through the mount on a mount that caches (no filter watches lookups: 86400 s timeouts), then changes the backing
// tree behind the kernel's back, and looks once: the first look must already be right. Reads and listings mark the
// atime stale, which makes the next stat ask the daemon anyway, so each warm-up ends with a stat that re-caches the
// attributes: what follows sees only what the kernel keeps.
using System.Text;

namespace Altitude.Fuse.Tests;

public sealed class CoherenceTests : MountTestBase
{
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(60);

    /// <summary>A scanner-like filter that watches nothing (so the mount caches names, attributes and listings) and issues I/O.</summary>
    private Instance MountWithScanner(FuseVolumeOptions? options = null, params OperationRegistration[] operations)
    {
        Filter scanner = AddFilter("Scanner", "320000", operations);
        FuseVolume v = Mount(options);
        Assert.True(v.EntryTimeoutSeconds > 0, "the mount must cache entries for this test to mean anything");
        return Assert.Single(scanner.Instances);
    }

    private static FileObject Open(Instance instance, string path, int flags, uint mode = 0)
    {
        Assert.Equal(NtStatus.Success, instance.Filter.CreateFile(instance.Volume, instance, path, flags, mode, out FileObject? fo, out _));
        return fo!;
    }

    [MountFact]
    public void QuarantineRenameByAFilterShowsInLsAndCatAtOnceOnACachingMount()
    {
        Directory.CreateDirectory(B("a"));
        Directory.CreateDirectory(B("quarantine"));
        File.WriteAllText(B("a/virus.txt"), "EICAR\n");
        File.WriteAllText(B("a/keep.txt"), "keep\n");
        Instance scanner = MountWithScanner();
        // Cached now: the listing of a, the entry a/virus.txt, and a negative entry for quarantine/virus.txt.
        Assert.Equal("keep.txt\nvirus.txt\n", ShOk($"ls {M("a")}"));
        Assert.Equal("EICAR\n", ShOk($"cat {M("a/virus.txt")}"));
        Assert.Equal("", ShOk($"ls {M("quarantine")}"));
        Assert.NotEqual(0, Sh($"cat {M("quarantine/virus.txt")}").Exit);
        ShOk($"stat {M("a")} {M("quarantine")} {M("a/virus.txt")}");

        FileObject fo = Open(scanner, "a/virus.txt", OpenFlags.O_RDONLY);
        var rename = new SetFileInformationParameters
        {
            FileInformationClass = FileInformationClass.FileRenameInformationEx,
            RenameFlags = RenameFlags.ReplaceIfExists | RenameFlags.PosixSemantics,
            DestinationName = Utf8("quarantine/virus.txt"),
        };
        Assert.Equal(NtStatus.Success, scanner.SetInformationFile(fo, rename));
        Assert.Equal(NtStatus.Success, scanner.Filter.Close(fo));
        Assert.True(Volume!.WaitForCacheNotifications(Drain));

        Assert.Equal("keep.txt\n", ShOk($"ls {M("a")}"));
        var gone = Sh($"cat {M("a/virus.txt")}");
        Assert.NotEqual(0, gone.Exit);
        Assert.Contains("No such file", gone.Err);
        Assert.Equal("virus.txt\n", ShOk($"ls {M("quarantine")}"));
        Assert.Equal("EICAR\n", ShOk($"cat {M("quarantine/virus.txt")}"));
    }

    [MountFact]
    public void FileCreatedAndWrittenByAFilterShowsAtOnce()
    {
        Directory.CreateDirectory(B("a"));
        File.WriteAllText(B("a/old.txt"), "old\n");
        Instance scanner = MountWithScanner();
        Assert.Equal("old.txt\n", ShOk($"ls {M("a")}"));
        Assert.NotEqual(0, Sh($"cat {M("a/report.txt")}").Exit);   // a negative entry
        ShOk($"stat {M("a")}");

        FileObject fo = Open(scanner, "a/report.txt", OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL, 0x1A4);
        Assert.Equal(NtStatus.Success, scanner.WriteFile(fo, 0, Utf8("fresh\n"), FilterIoFlags.None, out int written));
        Assert.Equal(6, written);
        Assert.Equal(NtStatus.Success, scanner.Filter.Close(fo));
        Assert.True(Volume!.WaitForCacheNotifications(Drain));

        Assert.Equal("old.txt\nreport.txt\n", ShOk($"ls {M("a")}"));
        Assert.Equal("fresh\n", ShOk($"cat {M("a/report.txt")}"));
    }

    [MountFact]
    public void FileDeletedByAFilterDisappearsAtOnce()
    {
        Directory.CreateDirectory(B("a"));
        File.WriteAllText(B("a/infected.txt"), "bad\n");
        File.WriteAllText(B("a/clean.txt"), "good\n");
        Instance scanner = MountWithScanner();
        Assert.Equal("clean.txt\ninfected.txt\n", ShOk($"ls {M("a")}"));
        Assert.Equal("bad\n", ShOk($"cat {M("a/infected.txt")}"));
        ShOk($"stat {M("a")} {M("a/infected.txt")}");

        FileObject fo = Open(scanner, "a/infected.txt", OpenFlags.O_RDONLY);
        var delete = new SetFileInformationParameters
        {
            FileInformationClass = FileInformationClass.FileDispositionInformationEx,
            DispositionFlags = DispositionFlags.Delete | DispositionFlags.PosixSemantics,
        };
        Assert.Equal(NtStatus.Success, scanner.SetInformationFile(fo, delete));
        Assert.Equal(NtStatus.Success, scanner.Filter.Close(fo));
        Assert.True(Volume!.WaitForCacheNotifications(Drain));

        Assert.Equal("clean.txt\n", ShOk($"ls {M("a")}"));
        var gone = Sh($"cat {M("a/infected.txt")}");
        Assert.NotEqual(0, gone.Exit);
        Assert.Contains("No such file", gone.Err);
    }

    [MountFact]
    public void DataAFilterWritesReplacesThePagesAndSizeTheKernelCached()
    {
        File.WriteAllText(B("data.txt"), "old content\n");
        // No passthrough: opens are cached (KEEP_CACHE), so the kernel's page cache holds the old data.
        Instance scanner = MountWithScanner(new FuseVolumeOptions { Passthrough = false });
        Assert.Equal("old content\n", ShOk($"cat {M("data.txt")}"));
        ShOk($"stat {M("data.txt")}");

        FileObject fo = Open(scanner, "data.txt", OpenFlags.O_WRONLY);
        Assert.Equal(NtStatus.Success, scanner.WriteFile(fo, 0, Utf8("NEW content, and longer\n"), FilterIoFlags.None, out _));
        Assert.Equal(NtStatus.Success, scanner.Filter.Close(fo));
        Assert.True(Volume!.WaitForCacheNotifications(Drain));

        Assert.Equal("NEW content, and longer\n", ShOk($"cat {M("data.txt")}"));
        Assert.Equal("24\n", ShOk($"stat -c %s {M("data.txt")}"));
    }

    [MountFact]
    public void TimesAFilterSetsShowInStatAtOnce()
    {
        File.WriteAllText(B("t.txt"), "t\n");
        Instance scanner = MountWithScanner();
        string before = ShOk($"stat -c %Y {M("t.txt")}");
        FileObject fo = Open(scanner, "t.txt", OpenFlags.O_RDONLY);
        var times = new SetFileInformationParameters { FileInformationClass = FileInformationClass.FileBasicInformation };
        times.Basic.LastAccessTime = TimeSpecValue.Omit;
        times.Basic.LastWriteTime = new TimeSpecValue(1_000_000_000, 0);
        Assert.Equal(NtStatus.Success, scanner.SetInformationFile(fo, times));
        Assert.Equal(NtStatus.Success, scanner.Filter.Close(fo));
        Assert.True(Volume!.WaitForCacheNotifications(Drain));

        Assert.NotEqual("1000000000\n", before);
        Assert.Equal("1000000000\n", ShOk($"stat -c %Y {M("t.txt")}"));
    }

    [MountFact]
    public void FilterIoDuringACreateInTheSameDirectoryDoesNotWaitForTheKernel()
    {
        // The kernel holds the directory's lock while it waits for the CREATE reply, and INVAL_ENTRY for a name in that
        // directory needs the same lock: the filter's own create (in its post-create) must not wait for its notification.
        Directory.CreateDirectory(B("a"));
        Instance? self = null;
        int issued = 0;
        self = MountWithScanner(null, new OperationRegistration(MajorFunction.Create, 0, null,
            (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
            {
                if (d.IsGeneratedIo || !NameOf(d).Equals("trigger", StringComparison.Ordinal) || Interlocked.Exchange(ref issued, 1) != 0)
                    return PostOperationStatus.FinishedProcessing;
                FileObject sibling = Open(self!, "a/sibling", OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0x1A4);
                self!.Filter.Close(sibling);
                return PostOperationStatus.FinishedProcessing;
            }));
        Assert.NotEqual(0, Sh($"ls {M("a/sibling")}").Exit);   // a negative entry, cached
        ShOk($"touch {M("a/trigger")}");
        Assert.True(Volume!.WaitForCacheNotifications(Drain));
        ShOk($"stat {M("a/sibling")}");   // the negative entry went (a listing would also replace it: look by name first)
        Assert.Equal("sibling\ntrigger\n", ShOk($"ls {M("a")}"));
    }

    [MountFact]
    public void StatAfterAWriteThroughASharedMappingOfAPassthroughOpenShowsTheBackingTimes()
    {
        var bytes = new byte[3 * 4096];
        File.WriteAllBytes(B("mapped.bin"), bytes);
        File.SetLastWriteTimeUtc(B("mapped.bin"), new DateTime(2010, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        FuseVolume v = Mount();
        Assert.True(v.PassthroughActive, "needs passthrough (root, kernel 6.9+)");
        string probe = ProjectOutput("Altitude.Fuse.Probe", "Altitude.Fuse.Probe.dll");
        string Probe(params string[] a)
        {
            var (exit, output, error) = Run("dotnet", [probe, .. a], 120);
            Assert.True(exit == 0, $"probe {string.Join(' ', a)} exited {exit}: {error}{output}");
            return output.Trim();
        }
        string cached = Probe("stat", M("mapped.bin"));   // the kernel now holds these attributes for 86400 s
        Assert.Equal(Probe("stat", B("mapped.bin")), cached);

        string afterStores = Probe("mmap-write", M("mapped.bin"));   // stat in the same process, right after msync
        string backing = Probe("stat", B("mapped.bin"));
        Assert.NotEqual(cached, backing);   // the stores moved mtime and ctime
        Assert.Equal(backing, afterStores);
        Assert.Equal(backing, Probe("stat", M("mapped.bin")));   // another process, after the close
        Assert.Equal((byte)'M', File.ReadAllBytes(B("mapped.bin"))[4096]);
    }
}
