// FLTFL_OPERATION_REGISTRATION_SKIP_*: a row's flags keep both its pre- and post-operation away from the I/O they
// decline, and only that I/O. The reads are filter I/O from an instance above, whose FilterIoFlags set IRP_NOCACHE and
// IRP_PAGING_IO. A read with neither flag is cached I/O the file system serves directly (no cache manager), so it is
// its own paging I/O too: only a row that skips both declines it.
namespace Altitude.Tests;

public sealed class SkipFlagsTests : LoopbackStack
{
    private readonly TestMiniFilter issuer;
    private int pre, post;

    public SkipFlagsTests()
    {
        issuer = Register("Issuer", "400000");
        File.WriteAllText(InBacking("f"), "data");
    }

    private void RegisterSkipper(OperationRegistrationFlags flags)
    {
        PreOperationCallback p = (CallbackData d, in RelatedObjects o, out object? c) => { c = null; Interlocked.Increment(ref pre); return PreOperationStatus.SuccessWithCallback; };
        PostOperationCallback q = (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) => { Interlocked.Increment(ref post); return PostOperationStatus.FinishedProcessing; };
        var registration = new FilterRegistration
        {
            OperationRegistration = new[]
            {
                new OperationRegistration(MajorFunction.Read, flags, p, q),
                new OperationRegistration(MajorFunction.QueryInformation, flags, p, q),
            },
            FilterUnload = _ => NtStatus.Success,
        };
        Assert.Equal(NtStatus.Success, Manager.RegisterFilter(FilterConfiguration.Single("Skipper", "300000"), registration, out var filter));
        Assert.Equal(NtStatus.Success, filter!.StartFiltering());
    }

    /// <summary>One read by the issuer with <paramref name="flags"/>: how many pre- and post-operations the skipper ran.</summary>
    private (int Pre, int Post) Read(FilterIoFlags flags)
    {
        var fo = Open("f", OpenFlags.O_RDONLY);
        pre = post = 0;
        Assert.Equal(NtStatus.Success, issuer.Instance.ReadFile(fo, 0, new byte[4], flags, out int n));
        Assert.Equal(4, n);
        var seen = (pre, post);
        Client.Cleanup(fo);
        Client.Close(fo);
        return seen;
    }

    [Fact]
    public void SkipCachedIoStillSeesAReadWithoutFlagsBecauseNoCacheServesIt()
    {
        RegisterSkipper(OperationRegistrationFlags.SkipCachedIo);
        Assert.Equal((1, 1), Read(FilterIoFlags.None));   // an encryption filter must see it: it goes to the file system
        Assert.Equal((1, 1), Read(FilterIoFlags.NonCached));
        Assert.Equal((1, 1), Read(FilterIoFlags.Paging | FilterIoFlags.NonCached));
        // Not a read or a write: cached I/O means nothing there, so nothing is skipped.
        var fo = Open("f", OpenFlags.O_RDONLY);
        pre = 0;
        Assert.Equal(NtStatus.Success, issuer.Instance.QueryInformationFile(fo, FileInformationClass.FileStandardInformation, out _));
        Assert.Equal(1, pre);
        Client.Cleanup(fo);
        Client.Close(fo);
    }

    [Fact]
    public void SkippingBothCachedAndPagingIoDeclinesAReadWithoutFlagsButNotANonCachedOne()
    {
        RegisterSkipper(OperationRegistrationFlags.SkipCachedIo | OperationRegistrationFlags.SkipPagingIo);
        Assert.Equal((0, 0), Read(FilterIoFlags.None));
        Assert.Equal((0, 0), Read(FilterIoFlags.Paging | FilterIoFlags.NonCached));
        Assert.Equal((1, 1), Read(FilterIoFlags.NonCached));
    }

    [Fact]
    public void SkipNonDasdIoDeclinesEverythingBecauseNoHandleIsAVolumes()
    {
        RegisterSkipper(OperationRegistrationFlags.SkipNonDasdIo);
        Assert.Equal((0, 0), Read(FilterIoFlags.None));
        Assert.Equal((0, 0), Read(FilterIoFlags.NonCached));
    }

    [Fact]
    public void SkipPagingIoDeclinesPagingReadsOnly()
    {
        RegisterSkipper(OperationRegistrationFlags.SkipPagingIo);
        Assert.Equal((0, 0), Read(FilterIoFlags.Paging | FilterIoFlags.NonCached));
        Assert.Equal((1, 1), Read(FilterIoFlags.None));
        Assert.Equal((1, 1), Read(FilterIoFlags.NonCached));
    }

    [Fact]
    public void SkipNonCachedNonPagingIoDeclinesNocacheReadsThatAreNotPaging()
    {
        RegisterSkipper(OperationRegistrationFlags.SkipNonCachedNonPagingIo);
        Assert.Equal((0, 0), Read(FilterIoFlags.NonCached));
        Assert.Equal((1, 1), Read(FilterIoFlags.Paging | FilterIoFlags.NonCached));
        Assert.Equal((1, 1), Read(FilterIoFlags.None));
    }
}
