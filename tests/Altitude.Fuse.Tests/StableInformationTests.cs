// OperationRegistrationFlags.StableInformation through a real mount (docs/operations.md section 6.3): the kernel caches
// what a stable QUERY_INFORMATION or NETWORK_QUERY_OPEN filter answered, so stat(1) and test(1) reach the filter once,
// until the filter calls Instance.InvalidateCachedInformation or the stable filters change; without the flag every
// query reaches it.
namespace Altitude.Fuse.Tests;

public sealed class StableInformationTests : MountTestBase
{
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(60);

    private int queries;
    private uint answerUid = 4242;

    /// <summary>A QUERY_INFORMATION filter that reports every file as owned by <see cref="answerUid"/> and counts the queries.</summary>
    private Filter AddOwnerFilter(OperationRegistrationFlags flags) =>
        AddFilter("Owner", "360000", new OperationRegistration(MajorFunction.QueryInformation, flags,
            (CallbackData d, in RelatedObjects o, out object? c) => { c = null; Interlocked.Increment(ref queries); return PreOperationStatus.SuccessWithCallback; },
            (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
            {
                if (d.IoStatus.Status.IsSuccess()) d.Iopb.Parameters.QueryFileInformation.Stat.Uid = Volatile.Read(ref answerUid);
                return PostOperationStatus.FinishedProcessing;
            }));

    private string Owner(string relative) => ShOk($"stat -c %u {M(relative)}").Trim();

    [MountFact]
    public void StableAnswersAreCachedUntilTheFilterInvalidatesThem()
    {
        File.WriteAllText(B("f.txt"), "abc\n");
        AddOwnerFilter(OperationRegistrationFlags.StableInformation);
        var v = Mount();
        Assert.NotEqual(0ul, v.EntryTimeoutSeconds);   // the kernel may cache: only stable rows are registered

        // The first stat reaches the filter (a LOOKUP's attributes are never cached when QUERY_INFORMATION is registered).
        Assert.Equal("4242", Owner("f.txt"));
        int first = Volatile.Read(ref queries);
        Assert.True(first >= 1, "the first stat reached the QUERY_INFORMATION filter");
        for (int i = 0; i < 3; i++) Assert.Equal("4242", Owner("f.txt"));
        Assert.Equal(first, Volatile.Read(ref queries));   // answered from the kernel's cache

        // The filter's answer changes: until it says so, the cache keeps the old one.
        Volatile.Write(ref answerUid, 4343);
        Assert.Equal("4242", Owner("f.txt"));
        Instance instance = Assert.Single(v.Volume.Instances);
        Assert.Equal(NtStatus.Success, instance.InvalidateCachedInformation(null));
        Assert.True(v.WaitForCacheNotifications(Drain));
        Assert.Equal("4343", Owner("f.txt"));
        Assert.True(Volatile.Read(ref queries) > first, "the stat after the invalidation reached the filter");

        // Unregistered (its instance torn down), the filter's cached answers go: the next stat shows the file as it is below.
        instance.Filter.Unregister();
        Assert.Empty(v.Volume.Instances);
        Assert.True(v.WaitForCacheNotifications(Drain));
        Assert.Equal("0", Owner("f.txt"));
    }

    [MountFact]
    public void AttributesNoQueryInformationCallbackGaveAreNeverCached()
    {
        // READDIRPLUS, SETATTR and CREATE replies carry attributes read below the filters: with a stable QUERY_INFORMATION
        // row they go out uncached, so the stat after each still gets the filter's answer.
        File.WriteAllText(B("f.txt"), "abc\n");
        AddOwnerFilter(OperationRegistrationFlags.StableInformation);
        Mount();
        Assert.Contains(" 4242 ", ShOk($"ls -ln {MountPoint}"));   // a listing (READDIRPLUS), then ls's own stat
        Assert.Equal("4242", Owner("f.txt"));
        ShOk($"chmod 600 {M("f.txt")}");   // SETATTR
        Assert.Equal("4242", Owner("f.txt"));
        ShOk($"echo new > {M("new.txt")}");   // CREATE
        Assert.Equal("4242", Owner("new.txt"));
        ShOk($"mkdir {M("dir")}");   // MKDIR
        Assert.Equal("4242", Owner("dir"));
    }

    [MountFact]
    public void InvalidatingOneFileObjectExpiresThatNodeOnly()
    {
        File.WriteAllText(B("a.txt"), "a\n");
        File.WriteAllText(B("b.txt"), "b\n");
        AddOwnerFilter(OperationRegistrationFlags.StableInformation);
        var v = Mount();
        Assert.Equal("4242", Owner("a.txt"));
        Assert.Equal("4242", Owner("b.txt"));
        Volatile.Write(ref answerUid, 4343);

        Instance instance = Assert.Single(v.Volume.Instances);
        Assert.Equal(NtStatus.Success, instance.Filter.CreateFile(v.Volume, instance, "a.txt", OpenFlags.O_RDONLY, 0, out FileObject? fo, out _));
        Assert.Equal(NtStatus.Success, instance.InvalidateCachedInformation(fo));
        Assert.Equal(NtStatus.Success, instance.Filter.Close(fo!));
        Assert.True(v.WaitForCacheNotifications(Drain));

        Assert.Equal("4343", Owner("a.txt"));   // asked again
        Assert.Equal("4242", Owner("b.txt"));   // still the cached answer
    }

    [MountFact]
    public void WithoutTheFlagEveryStatReachesTheFilter()
    {
        File.WriteAllText(B("f.txt"), "abc\n");
        AddOwnerFilter(OperationRegistrationFlags.None);
        var v = Mount();
        Assert.Equal(0ul, v.EntryTimeoutSeconds);
        Assert.Equal("4242", Owner("f.txt"));
        int seen = Volatile.Read(ref queries);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal("4242", Owner("f.txt"));
            int now = Volatile.Read(ref queries);
            Assert.True(now > seen, $"stat {i + 2} reached the filter");
            seen = now;
        }
        Volatile.Write(ref answerUid, 4343);
        Assert.Equal("4343", Owner("f.txt"));   // no invalidation needed: nothing was cached
    }

    [MountFact]
    public void AStableFilterAttachingLaterReplacesWhatTheKernelCachedBeforeIt()
    {
        File.WriteAllText(B("f.txt"), "abc\n");
        var v = Mount();
        Assert.Equal("0", Owner("f.txt"));   // cached with the long timeout: no filter
        AddOwnerFilter(OperationRegistrationFlags.StableInformation);
        Assert.True(v.WaitForCacheNotifications(Drain));
        Assert.Equal("4242", Owner("f.txt"));
        Assert.True(Volatile.Read(ref queries) >= 1);
    }

    [MountFact]
    public void AStableQueryOpenFilterHidesANameOnceAndShowsItAfterInvalidating()
    {
        File.WriteAllText(B("secret.txt"), "hidden\n");
        int lookups = 0;
        bool hidden = true;
        AddFilter("Hide", "360000", new OperationRegistration(MajorFunction.NetworkQueryOpen, OperationRegistrationFlags.StableInformation,
            (CallbackData d, in RelatedObjects o, out object? c) =>
            {
                c = null;
                if (NameOf(d) != "secret.txt") return PreOperationStatus.SuccessNoCallback;
                Interlocked.Increment(ref lookups);
                if (!Volatile.Read(ref hidden)) return PreOperationStatus.SuccessNoCallback;
                d.IoStatus = new IoStatusBlock(NtStatus.ObjectNameNotFound, 0);
                return PreOperationStatus.Complete;
            }, null));
        var v = Mount();

        // A listing names the file, but READDIRPLUS makes no entry while a NETWORK_QUERY_OPEN row exists: each name
        // is looked up through the filter.
        Assert.Contains("secret.txt", ShOk($"ls {MountPoint}"));
        Sh($"ls -l {MountPoint}");
        Assert.NotEqual(0, Sh($"test -e {M("secret.txt")}").Exit);
        int first = Volatile.Read(ref lookups);
        Assert.True(first >= 1, "the first lookup reached the filter");
        Assert.NotEqual(0, Sh($"test -e {M("secret.txt")}").Exit);
        Assert.NotEqual(0, Sh($"cat {M("secret.txt")}").Exit);
        Assert.Equal(first, Volatile.Read(ref lookups));   // the negative entry answered

        Volatile.Write(ref hidden, false);
        Assert.Equal(NtStatus.Success, Assert.Single(v.Volume.Instances).InvalidateCachedInformation(null));
        Assert.True(v.WaitForCacheNotifications(Drain));
        Assert.Equal("hidden\n", ShOk($"cat {M("secret.txt")}"));
        Assert.True(Volatile.Read(ref lookups) > first);
        Assert.Equal("secret.txt\n", ShOk($"ls {M("")}"));
    }
}
