// The swapBuffers sample through a real mount: without encryption its swapped buffers change nothing; with it, real
// programs (cat, cp, git, dd, a mapping, the fsx-style probe) see plaintext while the backing files hold ciphertext.
using System.Security.Cryptography;
using Altitude.Samples.SwapBuffers;

namespace Altitude.Fuse.Tests;

public sealed class SwapBuffersTests : MountTestBase
{
    private string Probe => ProjectOutput("Altitude.Fuse.Probe", "Altitude.Fuse.Probe.dll");

    /// <summary>A 32-byte key in a file only its owner may read (the filter refuses any other).</summary>
    private string WriteKey(string name = "key", byte fill = 0)
    {
        string path = Path.Combine(Top, name);
        byte[] key = fill == 0 ? RandomNumberGenerator.GetBytes(32) : Enumerable.Repeat(fill, 32).ToArray();
        File.WriteAllBytes(path, key);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private SwapBuffersFilter AddSwapBuffers(string? keyFile)
    {
        var filter = new SwapBuffersFilter();
        Assert.Equal(NtStatus.Success, filter.Register(Manager, keyFile));
        return filter;
    }

    /// <summary>Drops the page cache, so the next read of the mount reaches the daemon (and the filter) again.</summary>
    private static void DropCaches() => ShOk("sync; echo 3 > /proc/sys/vm/drop_caches");

    [MountFact]
    public void WithoutEncryptionTheSwappedBuffersChangeNothing()
    {
        var swap = AddSwapBuffers(keyFile: null);
        Assert.False(swap.Encrypts);
        Mount();
        ShOk($"head -c 300000 /dev/urandom > {Top}/data; cp {Top}/data {M("data")}; echo hello > {M("hello.txt")}; mkdir {M("dir")}; touch {M("dir/a")} {M("dir/b")}");
        DropCaches();
        Assert.Equal(Sha256($"{Top}/data"), Sha256(M("data")));
        Assert.Equal(File.ReadAllBytes($"{Top}/data"), File.ReadAllBytes(B("data")));   // nothing transformed on the way down
        Assert.Equal("hello\n", ShOk($"cat {M("hello.txt")}"));
        Assert.Equal("a\nb\n", ShOk($"ls {M("dir")}"));
        Assert.True(swap.SwappedReads > 0 && swap.SwappedWrites > 0 && swap.SwappedListings > 0,
            $"reads {swap.SwappedReads}, writes {swap.SwappedWrites}, listings {swap.SwappedListings}");
    }

    [MountFact]
    public void EncryptedFilesArePlaintextOnTheMountAndCiphertextOfTheSameSizeInTheBackingFiles()
    {
        var swap = AddSwapBuffers(WriteKey());
        Assert.True(swap.Encrypts);
        Mount();
        ShOk($"head -c 1000003 /dev/urandom > {Top}/random; yes 'a line of text' | head -c 70000 > {Top}/text");
        ShOk($"cp {Top}/random {M("random")}; cat {Top}/text > {M("text")}; dd if={Top}/text of={M("dd")} bs=4096 oflag=direct status=none");
        DropCaches();
        foreach (var (name, source) in new[] { ("random", "random"), ("text", "text"), ("dd", "text") })
        {
            Assert.Equal(Sha256($"{Top}/{source}"), Sha256(M(name)));
            byte[] backing = File.ReadAllBytes(B(name));
            Assert.Equal(new FileInfo($"{Top}/{source}").Length, backing.Length);   // the cipher keeps sizes
            Assert.NotEqual(Sha256($"{Top}/{source}"), Sha256(B(name)));
        }
        // The text repeats every 15 bytes; its ciphertext must not: no run of the plaintext line survives.
        Assert.DoesNotContain("a line of text", System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(B("text"))));
        // Renames and hard links keep the nonce (it lives in the backing inode).
        ShOk($"mv {M("text")} {M("moved")}; ln {M("moved")} {M("linked")}; echo appended >> {M("linked")}");
        DropCaches();
        Assert.Equal(File.ReadAllText($"{Top}/text") + "appended\n", File.ReadAllText(M("moved")));
        Assert.Equal(Sha256(M("moved")), Sha256(M("linked")));
    }

    [MountFact]
    public void TheNonceAttributeCannotBeSeenReadChangedOrRemovedThroughTheMount()
    {
        AddSwapBuffers(WriteKey());
        Mount();
        ShOk($"echo secret > {M("f")}; setfattr -n user.mine -v 1 {M("f")}");
        Assert.Contains(ShOk($"getfattr --absolute-names -d -m - {B("f")}").Split('\n'), l => l.StartsWith("user.altitude.swapbuffers", StringComparison.Ordinal));
        string listed = ShOk($"getfattr --absolute-names -d -m - {M("f")}");
        Assert.Contains("user.mine", listed);
        Assert.DoesNotContain("swapbuffers", listed);
        var read = Sh($"getfattr --absolute-names -n user.altitude.swapbuffers {M("f")}");
        Assert.NotEqual(0, read.Exit);
        Assert.Contains("No such attribute", read.Err);
        Assert.NotEqual(0, Sh($"setfattr -n user.altitude.swapbuffers -v 0 {M("f")}").Exit);
        Assert.NotEqual(0, Sh($"setfattr -x user.altitude.swapbuffers {M("f")}").Exit);
        DropCaches();
        Assert.Equal("secret\n", ShOk($"cat {M("f")}"));   // still decrypts: the nonce is untouched
    }

    [MountFact]
    public void WithAnotherKeyOrNoFilterTheContentsCannotBeRead()
    {
        var swap = AddSwapBuffers(WriteKey("key-a"));
        Mount();
        ShOk($"echo 'the plaintext' > {M("f")}");
        Volume!.Unmount();
        swap.Filter!.Unregister();
        // No filter: the bytes are the ciphertext.
        Assert.NotEqual("the plaintext\n", File.ReadAllText(B("f")));
        // Another key: the key check refuses the open, instead of handing out garbage.
        AddSwapBuffers(WriteKey("key-b"));
        Mount();
        var cat = Sh($"cat {M("f")}");
        Assert.True(cat.Exit != 0, $"cat exited 0 with [{cat.Out}]");
        Assert.Contains("Permission denied", cat.Err);
        Assert.DoesNotContain("the plaintext", cat.Out);
    }

    [MountFact]
    public void AKeyFileOthersMayReadIsRefused()
    {
        string key = WriteKey();
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        Assert.Equal(NtStatus.AccessDenied, new SwapBuffersFilter().Register(Manager, key));
        string shortKey = Path.Combine(Top, "short");
        File.WriteAllBytes(shortKey, new byte[7]);
        File.SetUnixFileMode(shortKey, UnixFileMode.UserRead);
        Assert.Equal(NtStatus.AccessDenied, new SwapBuffersFilter().Register(Manager, shortKey));
        Assert.Equal(NtStatus.AccessDenied, new SwapBuffersFilter().Register(Manager, Path.Combine(Top, "missing")));
    }

    [MountFact]
    public void AFileThatHeldDataBeforeTheFilterStaysPlaintextAndReadable()
    {
        File.WriteAllText(B("old.txt"), "from before\n");
        AddSwapBuffers(WriteKey());
        Mount();
        Assert.Equal("from before\n", ShOk($"cat {M("old.txt")}"));
        ShOk($"echo more >> {M("old.txt")}");
        Assert.Equal("from before\nmore\n", File.ReadAllText(B("old.txt")));
        ShOk($"echo new > {M("old.txt")}");   // O_TRUNC: the file starts again, encrypted
        DropCaches();
        Assert.Equal("new\n", ShOk($"cat {M("old.txt")}"));
        Assert.NotEqual("new\n", File.ReadAllText(B("old.txt")));
    }

    [MountFact]
    public void SizeChangesAndHolesReadAsZerosUnderEncryption()
    {
        AddSwapBuffers(WriteKey());
        Mount();
        // Grown by truncate (by descriptor, then truncate(2) by path), by a write past the end, punched, zeroed.
        ShOk($"printf 'abcdefghijklmnopqrstuvwxyz' > {M("f")}; truncate -s 100 {M("f")}; perl -e 'truncate \"{M("f")}\", 150 or die $!'");
        ShOk($"printf XYZ | dd of={M("f")} bs=1 seek=5000 conv=notrunc status=none");
        ShOk($"fallocate -p -o 3 -l 5 {M("f")}; fallocate -z -o 20 -l 3 {M("f")}");
        byte[] expected = new byte[5003];
        "abcdefghijklmnopqrstuvwxyz"u8.CopyTo(expected);
        expected.AsSpan(3, 5).Clear();
        expected.AsSpan(20, 3).Clear();
        "XYZ"u8.CopyTo(expected.AsSpan(5000));
        DropCaches();
        Assert.Equal(expected, File.ReadAllBytes(M("f")));
        // Shrinking to the middle of a hole block leaves a partial last block that must still read as zeros.
        ShOk($"truncate -s 4099 {M("f")}");
        DropCaches();
        Assert.Equal(expected.AsSpan(0, 4099).ToArray(), File.ReadAllBytes(M("f")));
        // Moving bytes to other offsets would change their keystream: refused.
        var collapse = Sh($"fallocate -c -o 0 -l 4096 {M("f")}");
        Assert.NotEqual(0, collapse.Exit);
        Assert.Contains("not supported", collapse.Err);
    }

    [MountFact]
    public void FsxThroughTheEncryptingMountAgreesWithItsModel()
    {
        AddSwapBuffers(WriteKey());
        Mount();
        foreach (int seed in new[] { 1, 2, 3 })
        {
            var (exit, output, _) = Run("dotnet", [Probe, "fsx", M($"fsx{seed}"), "2000", seed.ToString()], 600);
            Assert.True(exit == 0, output);
            string seen = Sha256(M($"fsx{seed}"));
            DropCaches();   // what the daemon decrypts, not what the page cache kept
            Assert.Equal(seen, Sha256(M($"fsx{seed}")));
            Assert.NotEqual(seen, Sha256(B($"fsx{seed}")));
        }
    }

    [MountFact]
    public void GitWorksOnTheEncryptingMount()
    {
        AddSwapBuffers(WriteKey());
        Mount();
        string repo = M("repo");
        ShOk($"mkdir {repo} && cd {repo} && git init -q && git config user.email t@e && git config user.name t"
            + $" && for i in $(seq 1 30); do seq 1 $((i * 100)) > f$i.txt; done && git add -A && git commit -qm one"
            + " && sed -i s/5/five/ f7.txt && git commit -qam two && git gc -q && git fsck --strict && git log --oneline | wc -l");
        DropCaches();
        Assert.Equal("2", ShOk($"cd {repo} && git fsck --strict && git log --oneline | wc -l").Trim());
        Assert.Equal(ShOk("seq 1 3000"), File.ReadAllText(Path.Combine(repo, "f30.txt")));
        Assert.NotEqual(ShOk("seq 1 3000"), File.ReadAllText(B("repo/f30.txt")));
        ShOk($"git clone -q {repo} {Top}/clone && cd {Top}/clone && git fsck --strict");
    }
}
