// POSIX parity with the backing ext4 (issue 9, point 6), checked with real programs through a real mount with the
// PassThrough sample attached (so every request reaches the daemon), the test process and daemon under umask 022.
// Where ext4 is the reference, the same step runs in the backing directory directly and the results are compared.
// Other users run through setpriv with only system binaries (coreutils, perl, util-linux): nothing of the checkout.
using System.Runtime.InteropServices;
using Altitude.Samples.PassThrough;

namespace Altitude.Fuse.Tests;

public sealed partial class PosixParityTests : MountTestBase
{
    private readonly uint savedUmask;

    public PosixParityTests()
    {
        savedUmask = umask(0x12);   // 022: the daemon's umask must never show in what callers create
    }

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint umask(uint mask);

    private FuseVolume MountWithPassThrough(FuseVolumeOptions? options = null)
    {
        Assert.Equal(NtStatus.Success, new PassThroughFilter().Register(Manager));
        return Mount(options);
    }

    private static string As(int uid, int gid, string command, string groups = "--clear-groups")
        => $"setpriv --reuid={uid} --regid={gid} {groups} -- {command}";

    /// <summary>open(O_CREAT|O_EXCL) with an exact mode, through perl (no umask of its own beyond the shell's).</summary>
    private static string CreateWithMode(string path, string octal) =>
        $"perl -MFcntl -e 'sysopen(F, \"{path}\", O_CREAT|O_EXCL|O_WRONLY, {octal}) or die \"$!\\n\"'";

    private string Mode(string path) => ShOk($"stat -c %a '{path}'").Trim();

    [MountFact]
    public void CreatedModesAreTheCallersWithTheDaemonUnderUmask022()
    {
        Assert.Equal(0x12u, umask(0x12));
        MountWithPassThrough();
        string m = MountPoint;
        // The caller's umask 0: the requested modes exactly.
        ShOk($"umask 0; {CreateWithMode($"{m}/f0620", "0620")} && mkdir {m}/d0777 && mkfifo {m}/p0666 && mknod {m}/n0666 p");
        Assert.Equal("620", Mode(B("f0620")));
        Assert.Equal("777", Mode(B("d0777")));
        Assert.Equal("666", Mode(B("p0666")));
        Assert.Equal("666", Mode(B("n0666")));
        // The caller's umask 027, applied once.
        ShOk($"umask 027; touch {m}/t && mkdir {m}/td && mkfifo {m}/tp");
        Assert.Equal("640 750 640", $"{Mode(B("t"))} {Mode(B("td"))} {Mode(B("tp"))}");
        // Same as ext4 itself under the same umask.
        ShOk($"umask 027; touch {B("nt")} && mkdir {B("ntd")}");
        Assert.Equal($"{Mode(B("nt"))} {Mode(B("ntd"))}", $"{Mode(B("t"))} {Mode(B("td"))}");
    }

    [MountFact]
    public void NonOwnersGetWhatTheCreatedModesGrant()
    {
        MountWithPassThrough();
        string m = MountPoint;
        ShOk($"umask 0; mkdir {m}/open && {CreateWithMode($"{m}/g0620", "0620")} && chgrp 1000 {m}/g0620");
        // 0777 (not 0755): another user may create in it.
        ShOk(As(1000, 1000, $"touch {m}/open/by1000"));
        // 0620 root:1000: the group may write, others may not read.
        ShOk(As(1001, 1000, $"sh -c 'echo from-group >> {m}/g0620'"));
        Assert.Equal("from-group\n", File.ReadAllText(B("g0620")));
        var other = Sh(As(1001, 1001, $"cat {m}/g0620"));
        Assert.NotEqual(0, other.Exit);
        Assert.Contains("Permission denied", other.Err);
    }

    [MountFact]
    public void TruncateToAnAbsurdSizeIsEfbigAsOnExt4()
    {
        MountWithPassThrough();
        File.WriteAllText(B("f"), "x");
        var native = Sh($"truncate -s 7E {B("f")}");
        var mounted = Sh($"truncate -s 7E {M("f")}");
        Assert.NotEqual(0, native.Exit);
        Assert.Contains("File too large", native.Err);
        Assert.NotEqual(0, mounted.Exit);
        Assert.Contains("File too large", mounted.Err);
        // ftruncate on an open descriptor as well.
        var ftruncate = Sh($"perl -e 'open(F, \"+<\", \"{M("f")}\") or die; truncate(F, 2**62) or die \"$!\\n\"'");
        Assert.Equal("File too large\n", ftruncate.Err);
        Assert.Equal("x", File.ReadAllText(B("f")));
    }

    [MountFact]
    public void SetIdBitsSurviveCreation()
    {
        MountWithPassThrough();
        string m = MountPoint;
        ShOk($"mkdir {m}/pub && chmod 1777 {m}/pub && mkdir {m}/sg && chgrp 1000 {m}/sg && chmod 2777 {m}/sg");
        ShOk($"umask 0; {CreateWithMode($"{m}/suid", "04755")} && {CreateWithMode($"{m}/sgid", "02755")}");
        ShOk(As(1000, 1000, $"sh -c 'umask 0; {CreateWithMode($"{m}/pub/mine", "06755").Replace("'", "'\\''")}'"));
        Assert.Equal("4755", Mode(B("suid")));
        Assert.Equal("2755", Mode(B("sgid")));
        Assert.Equal("6755 1000:1000", ShOk($"stat -c '%a %u:%g' {B("pub/mine")}").Trim());
        // In a set-gid directory: a new directory inherits the group and the bit, a file the group.
        ShOk(As(1001, 1001, $"sh -c 'umask 022; mkdir {m}/sg/sub && touch {m}/sg/file'"));
        Assert.Equal("2755 1001:1000", ShOk($"stat -c '%a %u:%g' {B("sg/sub")}").Trim());
        Assert.Equal("644 1001:1000", ShOk($"stat -c '%a %u:%g' {B("sg/file")}").Trim());
    }

    [MountFact]
    public void NewNodesBelongToTheirCallerFromTheStart()
    {
        MountWithPassThrough();
        string m = MountPoint;
        ShOk($"mkdir {m}/pub && chmod 1777 {m}/pub");
        ShOk(As(1000, 1000, $"sh -c 'mkdir {m}/pub/d && mkfifo {m}/pub/p && ln -s target {m}/pub/l && touch {m}/pub/f'"));
        Assert.Equal("1000:1000 1000:1000 1000:1000 1000:1000",
            ShOk($"stat -c %u:%g {B("pub/d")} {B("pub/p")} {B("pub/l")} {B("pub/f")}").Replace('\n', ' ').Trim());
        // Group permission through a supplementary group only (the kernel checked it; the backing must not check again
        // with the fsgid alone), and a set-gid request kept because that supplementary group is the file's group.
        ShOk($"mkdir {m}/team && chgrp 1000 {m}/team && chmod 2770 {m}/team");
        ShOk(As(1001, 1001, $"sh -c 'umask 0; mkdir {m}/team/sub && {CreateWithMode($"{m}/team/tool", "02775").Replace("'", "'\\''")}'", "--groups=1000"));
        Assert.Equal("2777 1001:1000", ShOk($"stat -c '%a %u:%g' {B("team/sub")}").Trim());
        Assert.Equal("2775 1001:1000", ShOk($"stat -c '%a %u:%g' {B("team/tool")}").Trim());
    }

    [MountFact]
    public void UnprivilegedWritesTruncatesAndHolePunchesClearSetIdBitsAsOnExt4()
    {
        MountWithPassThrough();
        // One file per operation, set-uid and set-gid (group-executable) and owned by uid 1000, who writes it.
        string[] ops =
        [
            "fallocate -p -o 0 -l 4096 {0}",
            "fallocate -z -o 0 -l 4096 {0}",
            "sh -c 'echo more >> {0}'",
            "truncate -s 100 {0}",
        ];
        for (int i = 0; i < ops.Length; i++)
        {
            foreach (string dir in new[] { Backing, MountPoint })
            {
                string f = Path.Combine(dir, $"op{i}{(dir == Backing ? "-native" : "")}");
                ShOk($"head -c 16384 /dev/zero > {f} && chown 1000:1000 {f} && chmod 6775 {f}");
                Assert.Equal("6775", Mode(f));
                ShOk(As(1000, 1000, string.Format(ops[i], f)));
            }
            Assert.Equal(Mode(B($"op{i}-native")), Mode(M($"op{i}")));
            Assert.Equal("775", Mode(B($"op{i}")));
        }
        // Root (CAP_FSETID) keeps them, as on ext4.
        ShOk($"head -c 16384 /dev/zero > {M("root")} && chmod 4755 {M("root")} && fallocate -p -o 0 -l 4096 {M("root")} && echo x >> {M("root")}");
        Assert.Equal("4755", Mode(B("root")));
    }

    [MountFact]
    public void FifoThatAppearsBehindANegativeEntryOpensInTheKernelNotTheDaemon()
    {
        Mount();   // no filters: the kernel caches the negative entry
        string m = MountPoint;
        Assert.NotEqual(0, Sh($"stat {m}/late").Exit);
        ShOk($"mkfifo {B("late")}");
        // O_CREAT on the stale negative entry reaches the daemon as CREATE; it must not open the FIFO (that blocks
        // until a reader comes). The writer then waits in its own open, in the kernel, as on ext4.
        using var writer = System.Diagnostics.Process.Start("/bin/sh", ["-c", $"echo through-the-fifo > {m}/late"])!;
        try
        {
            // Unrelated requests complete while the writer waits.
            Assert.Contains("late", ShOk($"ls -l {m}"));
            Assert.StartsWith("p", ShOk($"stat -c %A {m}/late"));
            ShOk($"echo other > {m}/other && cat {m}/other");
            Assert.Equal("through-the-fifo\n", ShOk($"cat {m}/late", timeoutSeconds: 60));
            Assert.True(writer.WaitForExit(60_000), "the writer finished once a reader came");
            Assert.Equal(0, writer.ExitCode);
        }
        finally
        {
            if (!writer.HasExited) writer.Kill();
        }
    }

    [MountFact]
    public void NestedMountsGetDistinctInodeNumbers()
    {
        string t1 = B("t1"), t2 = B("t2");
        Directory.CreateDirectory(t1);
        Directory.CreateDirectory(t2);
        try
        {
            ShOk($"mount -t tmpfs nested1 {t1} && mount -t tmpfs nested2 {t2}");
            ShOk($"echo a > {t1}/f && echo b > {t2}/f && mkdir {t1}/d {t2}/d");
            Assert.Equal(ShOk($"stat -c %i {t1}"), ShOk($"stat -c %i {t2}"));   // the collision being fixed
            MountWithPassThrough();
            string[] inodes = ShOk($"find {MountPoint} -printf '%i\\n'").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(7, inodes.Length);   // the root, t1, t2, and f and d in each
            Assert.Equal(inodes.Length, inodes.Distinct().Count());
            Assert.NotEqual(ShOk($"stat -c %i {M("t1")}"), ShOk($"stat -c %i {M("t2")}"));
            // Listings agree with stat, so ls -i and find -inum see the same numbers.
            Assert.Equal(ShOk($"stat -c %i {M("t1/f")}").Trim(), ShOk($"ls -i {M("t1")} | awk '$2 == \"f\" {{ print $1 }}'").Trim());
            // The backing root's own nodes keep their numbers.
            ShOk($"touch {B("plain")}");
            Assert.Equal(ShOk($"stat -c %i {B("plain")}"), ShOk($"stat -c %i {M("plain")}"));
        }
        finally
        {
            Volume?.Unmount();
            Sh($"umount {t1}; umount {t2}");
        }
    }

    [MountFactWithTool("setfacl", "acl")]
    public void PosixAclsInTheBackingTreeAreEnforced()
    {
        Assert.True(MountFactWithToolAttribute.Has("setfacl"), "setfacl (package acl) is missing; .ci/run installs it");
        ShOk($"echo secret > {B("f")} && chmod 666 {B("f")} && setfacl -m u:1000:--- {B("f")}");
        ShOk($"mkdir {B("d")} && chmod 777 {B("d")} && setfacl -d -m u::rwx,g::r-x,o::--- {B("d")}");
        MountWithPassThrough();
        var denied = Sh(As(1000, 1000, $"cat {M("f")}"));
        Assert.NotEqual(0, denied.Exit);
        Assert.Contains("Permission denied", denied.Err);
        Assert.Equal("secret\n", ShOk(As(1001, 1001, $"cat {M("f")}")));   // others: rw- from the mode
        // A default ACL replaces the caller's umask for new nodes, as on ext4.
        ShOk($"umask 0; touch {M("d/new")} && mkdir {M("d/sub")}");
        ShOk($"umask 0; touch {B("d/native")} && mkdir {B("d/nativesub")}");
        Assert.Equal(Mode(B("d/native")), Mode(B("d/new")));
        Assert.Equal(Mode(B("d/nativesub")), Mode(B("d/sub")));
    }

    [MountFact]
    public void DirectIoMixedWithMmapWritesAndMsyncWorksUnderADataFilter()
    {
        string probe = ProjectOutput("Altitude.Fuse.Probe", "Altitude.Fuse.Probe.dll");
        var native = Run("dotnet", [probe, B("native.bin"), "direct-mmap"]);
        Assert.True(native.Exit == 0, "on ext4 itself: " + native.Err);
        MountWithPassThrough();   // registers READ and WRITE: no passthrough, every write reaches the daemon
        var mounted = Run("dotnet", [probe, M("mixed.bin"), "direct-mmap"]);
        Assert.True(mounted.Exit == 0, "through the mount: " + mounted.Err + mounted.Out);
        Assert.Equal("ok\n", mounted.Out);
        Assert.Equal(Sha256(B("native.bin")), Sha256(B("mixed.bin")));
    }

    public override void Dispose()
    {
        try
        {
            base.Dispose();
        }
        finally
        {
            umask(savedUmask);
        }
    }
}

/// <summary>A mount fact that also needs a program: skipped with the reason when it is missing, unless CI=true (then it fails).</summary>
public sealed class MountFactWithToolAttribute : FactAttribute
{
    public MountFactWithToolAttribute(string tool, string package)
    {
        string? why = MountRequirement.Missing() ?? (Has(tool) ? null : $"Needs {tool} (Debian package {package}; .ci/run installs it).");
        if (why is not null && Environment.GetEnvironmentVariable("CI") != "true") Skip = why;
    }

    public static bool Has(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':').Any(d => File.Exists(Path.Combine(d, tool)));
}
