// Real workloads on a mount: tar -x of thousands of files, git init/add/commit, cp -a; every file checksummed
// against its source afterwards. Run without filters and with the PassThrough sample stacked three times.
using Altitude.Samples.PassThrough;

namespace Altitude.Fuse.Tests;

public class WorkloadTests : MountTestBase
{
    /// <summary>A tree of about 3,000 small files in 30 directories, with a symlink and a hard link, outside the mount.</summary>
    private string MakeTree()
    {
        string src = Path.Combine(Top, "src");
        ShOk($"""
            mkdir -p {src} && cd {src} && for d in $(seq 1 30); do mkdir -p dir$d/sub; for f in $(seq 1 50); do
              printf 'file %s in %s\n' $f $d > dir$d/f$f.txt; head -c $((f * 37)) /dev/urandom > dir$d/sub/b$f.bin; done; done
            ln -s dir1/f1.txt link && ln dir2/f2.txt hard && chmod 750 dir3 && touch -d 2000-01-01 dir4/f4.txt
            """);
        return src;
    }

    private static string Checksums(string dir) => ShOk($"cd {dir} && find . -type f -print0 | sort -z | xargs -0 sha256sum");
    // tar keeps whole seconds (ustar); cp -a keeps nanoseconds. The root itself is left out (its mtime is the mount's business).
    private static string Metadata(string dir, bool nanoseconds = false)
        => ShOk($"cd {dir} && find . -mindepth 1 -printf '%P %y %m %s {(nanoseconds ? "%T@" : "%Ts")} %l\\n' | sort");

    private void AddPassThroughThreeTimes()
    {
        var p = new PassThroughFilter();
        Assert.Equal(NtStatus.Success, p.Register(Manager, PassThroughFilter.DefaultName, [
            new InstanceConfiguration("PassThrough Instance", "370030"),
            new InstanceConfiguration("PassThrough 2", "370020", InstanceConfiguration.NoAutomaticAttach),
            new InstanceConfiguration("PassThrough 3", "370010", InstanceConfiguration.NoAutomaticAttach)]));
        foreach (var v in Manager.Volumes) { p.Filter!.AttachVolume(v, "PassThrough 2", out _); p.Filter.AttachVolume(v, "PassThrough 3", out _); }
    }

    [MountFact]
    public void TarExtractCopyAndChecksums()
    {
        string src = MakeTree();
        ShOk($"tar -C {src} -cf {Top}/tree.tar .");
        Mount();
        ShOk($"mkdir {M("tar")} && tar -C {M("tar")} -xpf {Top}/tree.tar");
        Assert.Equal(Checksums(src), Checksums(M("tar")));
        Assert.Equal(Checksums(src), Checksums(B("tar")));
        Assert.Equal(Metadata(src), Metadata(M("tar")));
        ShOk($"cp -a {src} {M("copy")}");
        Assert.Equal(Checksums(src), Checksums(B("copy")));
        Assert.Equal(Metadata(src, nanoseconds: true), Metadata(M("copy"), nanoseconds: true));
        ShOk($"rm -rf {M("tar")} {M("copy")}");
        Assert.Empty(Directory.GetFileSystemEntries(Backing));
    }

    [MountFact]
    public void TarExtractThroughThreePassThroughInstances()
    {
        string src = MakeTree();
        ShOk($"tar -C {src} -cf {Top}/tree.tar .");
        Mount();
        AddPassThroughThreeTimes();
        Assert.Equal(3, Volume!.Volume.Instances.Count);
        ShOk($"mkdir {M("tar")} && tar -C {M("tar")} -xpf {Top}/tree.tar");
        Assert.Equal(Checksums(src), Checksums(M("tar")));
        Assert.Equal(Metadata(src), Metadata(B("tar")));
    }

    [MountFact]
    public void TarAndGitThroughPassThroughWithStableInformationKeepTheKernelCaches()
    {
        // The PassThrough package parameter StableInformation: its query rows declare stable answers, so the kernel
        // caches entries and attributes while every operation still reaches the filter (docs/operations.md 6.3).
        string src = MakeTree();
        ShOk($"tar -C {src} -cf {Top}/tree.tar .");
        var p = new PassThroughFilter();
        var parameters = new FilterParameters(new Dictionary<string, IReadOnlyList<string>> { ["StableInformation"] = new[] { "1" } });
        Assert.Equal(NtStatus.Success, p.DriverEntry(new DriverObject(Manager, FilterConfiguration.Single(PassThroughFilter.DefaultName, PassThroughFilter.DefaultAltitude), parameters)));
        var v = Mount();
        Assert.NotEqual(0ul, v.EntryTimeoutSeconds);
        ShOk($"mkdir {M("tar")} && tar -C {M("tar")} -xpf {Top}/tree.tar");
        Assert.Equal(Checksums(src), Checksums(M("tar")));
        Assert.Equal(Metadata(src), Metadata(M("tar")));
        Assert.Equal(Metadata(src), Metadata(B("tar")));
        ShOk($"""
            cd {M("tar")} && git init -q && git add -A && git -c user.name=t -c user.email=t@example.com commit -q -m first
            echo change >> dir1/f1.txt && git -c user.name=t -c user.email=t@example.com commit -qam second && git fsck --strict
            """);
        Assert.Equal("", ShOk($"git -C {B("tar")} status --porcelain"));
        Assert.True(p.PreOperationCount > 0 && p.PostOperationCount > 0);
    }

    [MountFact]
    public void GitInitAddCommit()
    {
        string src = MakeTree();
        Mount();
        string repo = M("repo");
        ShOk($"""
            cp -a {src} {repo} && cd {repo} && git init -q && git add -A
            git -c user.name=t -c user.email=t@example.com commit -q -m first
            echo change >> dir1/f1.txt && git -c user.name=t -c user.email=t@example.com commit -qam second
            git fsck --strict && git status --porcelain | wc -l
            """);
        Assert.Equal("2", ShOk($"git -C {repo} rev-list --count HEAD").Trim());
        Assert.Equal("", ShOk($"git -C {B("repo")} status --porcelain"));
    }
}
