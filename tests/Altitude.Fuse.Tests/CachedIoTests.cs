// SKIP_CACHED_IO through a real mount (docs/operations.md section 2.4): FUSE READs are paging I/O and WRITEs non-cached,
// so a data filter that declines cached I/O still sees every byte that reaches or leaves the file system, and the
// volume keeps its page cache for it. The filter here "encrypts" by XOR: the backing file holds the transformed bytes,
// the mount shows the plain ones, and a second open is served from the page cache without a READ.
namespace Altitude.Fuse.Tests;

public sealed class CachedIoTests : MountTestBase
{
    private const byte Key = 0x5A;
    private int reads, cachedOrNonPagingReads, writes;

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
                    if ((d.Iopb.IrpFlags & IoParameterBlock.IrpPagingIo) == 0) Interlocked.Increment(ref cachedOrNonPagingReads);
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
        Assert.Equal(0, Volatile.Read(ref cachedOrNonPagingReads));   // every READ it saw was paging I/O
        // A second open: KEEP_CACHE, so the page cache answers and no READ comes.
        Assert.Equal("plain text\n", ShOk($"cat {M("secret.txt")}"));
        Assert.Equal(afterFirst, Volatile.Read(ref reads));

        // A write through the mount reaches the filter (non-cached) and the file system holds the transformed bytes.
        ShOk($"printf 'new words\\n' > {M("other.txt")}");
        Assert.True(Volatile.Read(ref writes) > 0);
        Assert.Equal(Xor("new words\n"u8), File.ReadAllBytes(B("other.txt")));
        Assert.Equal("new words\n", ShOk($"cat {M("other.txt")}"));
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
    public void SkipPagingIoDeclinesEveryFuseRead()
    {
        File.WriteAllText(B("plain.txt"), "as is\n");
        AddXorFilter(OperationRegistrationFlags.SkipPagingIo);
        Mount();
        // FUSE READs are paging I/O: the filter never sees one, so nothing is transformed.
        Assert.Equal("as is\n", ShOk($"cat {M("plain.txt")}"));
        Assert.Equal(0, Volatile.Read(ref reads));
    }
}
