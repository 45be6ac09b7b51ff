// What a user expects of a pass-through, done by real programs (coreutils, attr, util-linux) through a real mount
// and compared with the backing directory afterwards.
namespace Altitude.Fuse.Tests;

public class PosixTests : MountTestBase
{
    /// <summary>
    /// The fsx-style probe (random unaligned pwrite, pread, truncate, mapped stores with msync, mapped reads, fallocate
    /// punch/zero/keep-size, reopen; tests/Altitude.Fuse.Probe/Fsx.cs) agrees with its model through a plain mount,
    /// with passthrough and with the daemon serving the data, and the backing file ends up byte for byte the same.
    /// </summary>
    [MountFact]
    public void FsxAgreesWithItsModelWithAndWithoutPassthrough()
    {
        string probe = ProjectOutput("Altitude.Fuse.Probe", "Altitude.Fuse.Probe.dll");
        foreach (bool passthrough in new[] { true, false })
        {
            Mount(new FuseVolumeOptions { Passthrough = passthrough });
            string name = passthrough ? "fsx-passthrough" : "fsx-daemon";
            var (exit, output, _) = Run("dotnet", [probe, "fsx", M(name), "3000", passthrough ? "7" : "8"], 600);
            Assert.True(exit == 0, output);
            Assert.Equal(Sha256(B(name)), Sha256(M(name)));
            Volume!.Unmount();
        }
    }

    [MountFact]
    public void FilesDirectoriesAndLinksMatchTheBackingDirectory()
    {
        File.WriteAllText(B("existing.txt"), "hello\n");
        Mount();
        string m = MountPoint, b = Backing;
        Assert.Equal("hello\n", ShOk($"cat {m}/existing.txt"));
        ShOk($"mkdir -p {m}/d/e && echo one > {m}/d/e/f && echo two >> {m}/d/e/f && mv {m}/d/e/f {m}/d/g && ln -s g {m}/d/sym && ln {m}/d/g {m}/d/hard");
        Assert.Equal("one\ntwo\n", File.ReadAllText(B("d/g")));
        Assert.Equal("g", ShOk($"readlink {m}/d/sym").Trim());
        // Hard links resolve to one node: same inode number, link count 2, in the mount and in the backing directory.
        Assert.Equal(ShOk($"stat -c '%i %h' {b}/d/g"), ShOk($"stat -c '%i %h' {m}/d/hard"));
        Assert.Equal("2", ShOk($"stat -c %h {m}/d/g").Trim());
        ShOk($"chmod 640 {m}/d/g && touch -d '2001-02-03 04:05:06' {m}/d/g");
        Assert.Equal(ShOk($"stat -c '%a %Y %s' {b}/d/g"), ShOk($"stat -c '%a %Y %s' {m}/d/g"));
        Assert.Equal("640 981173106 8\n", ShOk($"stat -c '%a %Y %s' {m}/d/g"));
        ShOk($"rm {m}/d/hard {m}/d/sym && rmdir {m}/d/e");
        Assert.Equal("g\n", ShOk($"ls {m}/d"));
        Assert.Equal("g\n", ShOk($"ls {b}/d"));
        Assert.NotEqual(0, Sh($"rmdir {m}/d").Exit);   // ENOTEMPTY
        Assert.Contains("Directory not empty", Sh($"rmdir {m}/d").Err);
    }

    [MountFact]
    public void OpenFlagsAppendExclTruncDirect()
    {
        Mount();
        string m = MountPoint;
        ShOk($"printf abc > {m}/f && printf def >> {m}/f");
        Assert.Equal("abcdef", File.ReadAllText(B("f")));
        var excl = Sh($"set -o noclobber; echo x > {m}/f");   // O_CREAT|O_EXCL
        Assert.NotEqual(0, excl.Exit);
        Assert.Contains("existing file", excl.Err);
        ShOk($"echo new > {m}/f");   // O_TRUNC
        Assert.Equal("new\n", File.ReadAllText(B("f")));
        ShOk($"dd if=/dev/urandom of={m}/direct bs=1M count=4 oflag=direct status=none");
        ShOk($"dd if={m}/direct of={Top}/copy bs=1M iflag=direct status=none");
        Assert.Equal(Sha256(B("direct")), Sha256(Path.Combine(Top, "copy")));
    }

    [MountFact]
    public void SparseAndLargeFiles()
    {
        Mount();
        string m = MountPoint;
        ShOk($"truncate -s 6G {m}/sparse && printf tail | dd of={m}/sparse bs=1 seek=5368709120 conv=notrunc status=none");
        Assert.Equal("6442450944", ShOk($"stat -c %s {m}/sparse").Trim());
        Assert.Equal("tail", ShOk($"dd if={m}/sparse bs=1 skip=5368709120 count=4 status=none"));
        Assert.True(long.Parse(ShOk($"stat -c %b {B("sparse")}").Trim()) < 1024, "the backing file stays sparse");
    }

    [MountFact]
    public void RenameFlagsXattrsAndNonUtf8Names()
    {
        Mount();
        string m = MountPoint;
        ShOk($"echo a > {m}/a && echo b > {m}/b");
        Sh($"mv --no-clobber {m}/a {m}/b");   // renameat2(RENAME_NOREPLACE): nothing moves
        Assert.Equal("a\n", File.ReadAllText(B("a")));
        Assert.Equal("b\n", File.ReadAllText(B("b")));
        ShOk($"setfattr -n user.color -v blue {m}/a");
        Assert.Contains("user.color=\"blue\"", ShOk($"getfattr -d {m}/a"));
        Assert.Contains("user.color=\"blue\"", ShOk($"getfattr -d {B("a")}"));
        ShOk($"setfattr -x user.color {m}/a");
        Assert.DoesNotContain("user.color", ShOk($"getfattr -d {m}/a"));
        // A name that is not valid UTF-8 travels as bytes.
        ShOk($"touch {m}/$'\\xff\\xfe-raw' && ls {B("")} | od -c | grep -q '377 376'");
        ShOk($"test -e {m}/$'\\xff\\xfe-raw' && rm {m}/$'\\xff\\xfe-raw'");
    }

    [MountFact]
    public void PermissionsAndOwnershipFollowTheCaller()
    {
        Mount();
        string m = MountPoint;
        ShOk($"mkdir {m}/shared && chmod 1777 {m}/shared && echo secret > {m}/secret && chmod 600 {m}/secret");
        // Created files belong to the caller (default_permissions + allow_other let uid 1000 in).
        ShOk($"setpriv --reuid=1000 --regid=1000 --clear-groups touch {m}/shared/mine");
        Assert.Equal("1000:1000", ShOk($"stat -c %u:%g {B("shared/mine")}").Trim());
        var denied = Sh($"setpriv --reuid=1000 --regid=1000 --clear-groups cat {m}/secret");
        Assert.NotEqual(0, denied.Exit);
        Assert.Contains("Permission denied", denied.Err);
    }

    [MountFact]
    public void FlockAndHundredThousandEntryDirectory()
    {
        ShOk($"mkdir {B("big")} && cd {B("big")} && seq -f 'entry-%06g' 1 100000 | xargs touch");
        Mount();
        string m = MountPoint;
        Assert.Equal("100000", ShOk($"ls -f {m}/big | grep -c entry-").Trim());
        Assert.Equal("100000", ShOk($"find {m}/big -type f | wc -l").Trim());
        ShOk($"flock {m}/big/entry-000001 -c 'flock -n {m}/big/entry-000001 -c true && exit 1 || exit 0'");
    }
}
