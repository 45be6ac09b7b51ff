// SKIP_CACHED_IO through a real mount (docs/operations.md section 6.2): every FUSE READ and WRITE reaches the file
// system, so a data filter that declines cached I/O still sees every byte that reaches or leaves it, and the volume
// keeps its page cache for it (the reads the cache serves are the cached I/O it declined). The filter here "encrypts"
// by XOR: the backing file holds the transformed bytes, the mount shows the plain ones, and a second open is served
// from the page cache without a READ.
namespace Altitude.Fuse.Tests;

public sealed class CachedIoTests : MountTestBase
{
    private const byte Key = 0x5A;
    private int reads, writes, largestRead;

    private static byte[] Xor(ReadOnlySpan<byte> data)
    {
        var b = data.ToArray();
        for (int i = 0; i < b.Length; i++) b[i] ^= Key;
        return b;
    }

    /// <summary>The XOR filter: pre-write swaps in a transformed copy, post-read transforms in place.</summary>
    private void AddXorFilter(OperationRegistrationFlags flags)
    {
        AddFilter("Xor", "141000",
            new OperationRegistration(MajorFunction.Read, flags, null,
                (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
                {
                    Interlocked.Increment(ref reads);
                    int length = (int)d.Iopb.Parameters.Read.Length;
                    for (int seen = Volatile.Read(ref largestRead); length > seen; seen = Volatile.Read(ref largestRead))
                        if (Interlocked.CompareExchange(ref largestRead, length, seen) == seen) break;
                    if (d.IoStatus.Status.IsSuccess())
                    {
                        var span = d.Iopb.Parameters.Read.ReadBuffer.Span[..(int)d.IoStatus.Information];
                        for (int i = 0; i < span.Length; i++) span[i] ^= Key;
                    }
                    return PostOperationStatus.FinishedProcessing;
                }),
            new OperationRegistration(MajorFunction.Write, flags,
                (CallbackData d, in RelatedObjects o, out object? c) =>
                {
                    c = null;
                    Interlocked.Increment(ref writes);
                    ref WriteParameters p = ref d.Iopb.Parameters.Write;
                    p.WriteBuffer = Xor(p.WriteBuffer.Span[..(int)Math.Min(p.Length, (uint)p.WriteBuffer.Length)]);
                    return PreOperationStatus.SuccessNoCallback;
                }, null));
    }

    [MountFact]
    public void ASkipCachedIoDataFilterSeesPagingReadsAndWritesAndTheMountKeepsItsPageCache()
    {
        File.WriteAllBytes(B("secret.txt"), Xor("plain text\n"u8));
        AddXorFilter(OperationRegistrationFlags.SkipCachedIo);
        Mount();
        Assert.Equal("plain text\n", ShOk($"cat {M("secret.txt")}"));
        int afterFirst = Volatile.Read(ref reads);
        Assert.True(afterFirst > 0, "the first read reached the filter");
        // A second open: KEEP_CACHE, so the page cache answers and no READ comes. (An 11-byte file's page is not
        // evicted between two cats unless memory runs out; the machine has 24 GiB.)
        Assert.Equal("plain text\n", ShOk($"cat {M("secret.txt")}"));
        Assert.Equal(afterFirst, Volatile.Read(ref reads));

        // A write through the mount reaches the filter (non-cached) and the file system holds the transformed bytes.
        ShOk($"printf 'new words\\n' > {M("other.txt")}");
        Assert.True(Volatile.Read(ref writes) > 0);
        Assert.Equal(Xor("new words\n"u8), File.ReadAllBytes(B("other.txt")));
        Assert.Equal("new words\n", ShOk($"cat {M("other.txt")}"));
    }

    [MountFact]
    public void AColdSequentialReadReachesADataFilterInReadsOfAWholeMaxWrite()
    {
        // The kernel caps a FUSE mount's read-ahead at 128 KiB whatever INIT answers; the server raises the mount's
        // window through sysfs (FuseServerOptions.ReadAheadKb, 1024), so the paging reads of a sequential read of a
        // file the page cache does not hold come as 1 MiB READs (256 KiB at most without it), still with the filtered data.
        var plain = new byte[8 << 20];
        new Random(13).NextBytes(plain);
        File.WriteAllBytes(B("big.bin"), Xor(plain));
        AddXorFilter(OperationRegistrationFlags.SkipCachedIo);
        Mount();
        Assert.Equal(1024, Volume!.Server.ReadAheadKb);
        string expected = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(plain)).ToLowerInvariant();
        Assert.StartsWith(expected, ShOk($"sha256sum {M("big.bin")}"));
        Assert.Equal(1 << 20, Volatile.Read(ref largestRead));
    }

    [MountFact]
    public void AReadFilterThatWantsCachedIoSeesAReadAtEveryOpen()
    {
        File.WriteAllBytes(B("secret.txt"), Xor("plain text\n"u8));
        AddXorFilter(OperationRegistrationFlags.None);
        Mount();
        Assert.Equal("plain text\n", ShOk($"cat {M("secret.txt")}"));
        int afterFirst = Volatile.Read(ref reads);
        Assert.True(afterFirst > 0);
        // No KEEP_CACHE: the open drops the cached pages, and the read comes to the daemon again.
        Assert.Equal("plain text\n", ShOk($"cat {M("secret.txt")}"));
        Assert.True(Volatile.Read(ref reads) > afterFirst, $"{reads} reads after the second open, {afterFirst} after the first");
    }

    [MountFact]
    public void ASkipPagingIoFilterStillSeesTheCallersReads()
    {
        // The Windows idiom "see user reads, never paging I/O" (an access-control filter): a FUSE READ is the caller's
        // read reaching the file system, so it sees it.
        File.WriteAllBytes(B("secret.txt"), Xor("plain text\n"u8));
        AddXorFilter(OperationRegistrationFlags.SkipPagingIo);
        Mount();
        Assert.Equal("plain text\n", ShOk($"cat {M("secret.txt")}"));
        Assert.True(Volatile.Read(ref reads) > 0);
    }

    [MountFact]
    public void AFilterThatSkipsBothCachedAndPagingIoSeesNoFuseRead()
    {
        File.WriteAllText(B("plain.txt"), "as is\n");
        AddXorFilter(OperationRegistrationFlags.SkipCachedIo | OperationRegistrationFlags.SkipPagingIo);
        Mount();
        Assert.Equal("as is\n", ShOk($"cat {M("plain.txt")}"));   // nothing transformed
        Assert.Equal(0, Volatile.Read(ref reads));
    }
}
