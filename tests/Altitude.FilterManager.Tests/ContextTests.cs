// Conformance of contexts to spec section 3: one test per rule, named after it.
namespace Altitude.Tests;

public sealed class ContextTests : LoopbackStack
{
    private readonly List<string> cleanups = new();

    private ContextRegistration[] Rows(params ContextType[] types) =>
        types.Select(t => new ContextRegistration(t, 16, (c, ty) => { lock (cleanups) cleanups.Add($"{ty}:{((CountingContext)c).Value}"); })).ToArray();

    private TestMiniFilter Standard(string name = "Ctx", string altitude = "370070") =>
        Register(name, altitude, Rows(ContextType.Volume, ContextType.Instance, ContextType.File, ContextType.Stream, ContextType.StreamHandle));

    private CountingContext New(TestMiniFilter f, ContextType type, int value)
    {
        Assert.Equal(NtStatus.Success, f.Filter.AllocateContext(type, 16, out CountingContext? c));
        c!.Value = value;
        return c;
    }

    [Fact]
    public void AllocateGivesReferenceCountOne()
    {
        var f = Standard();
        var c = New(f, ContextType.Stream, 1);
        Assert.Equal(1, c.ReferenceCount);
        Assert.Equal(16, c.Data.Length);
        c.Release();
    }

    [Fact]
    public void AllocateOfAnUnregisteredTypeOrSizeGivesAllocationNotFound()
    {
        var f = Register("Few", "370000", Rows(ContextType.Stream));
        Assert.Equal(NtStatus.FltContextAllocationNotFound, f.Filter.AllocateContext(ContextType.File, 16, out FltContext? _));
        Assert.Equal(NtStatus.FltContextAllocationNotFound, f.Filter.AllocateContext(ContextType.Stream, 17, out FltContext? _));
        Assert.Equal(NtStatus.InvalidBufferSize, f.Filter.AllocateContext(ContextType.Stream, 0, out FltContext? _));
        Assert.Equal(NtStatus.InvalidBufferSize, f.Filter.AllocateContext(ContextType.Stream, 70000, out FltContext? _));
        Assert.Equal(NtStatus.InvalidParameter, f.Filter.AllocateContext(ContextType.Stream | ContextType.File, 16, out FltContext? _));
    }

    [Fact]
    public void VariableSizeAndNoExactSizeMatchRowsServeOtherSizes()
    {
        var f = Register("Sizes", "370000", new[]
        {
            new ContextRegistration(ContextType.Stream, ContextRegistration.VariableSize),
            new ContextRegistration(ContextType.File, 64, Flags: ContextRegistrationFlags.NoExactSizeMatch),
        });
        Assert.Equal(NtStatus.Success, f.Filter.AllocateContext(ContextType.Stream, 1000, out FltContext? a));
        Assert.Equal(1000, a!.Data.Length);
        Assert.Equal(NtStatus.Success, f.Filter.AllocateContext(ContextType.File, 10, out FltContext? b));
        Assert.Equal(NtStatus.FltContextAllocationNotFound, f.Filter.AllocateContext(ContextType.File, 65, out FltContext? _));
        a.Release();
        b!.Release();
    }

    [Fact]
    public void AnInvalidContextRegistrationFailsRegistration()
    {
        var rows = new[]
        {
            new ContextRegistration(ContextType.Stream, 0, AllocateCallback: (t, s) => new CountingContext(), FreeCallback: (c, t) => { }),
            new ContextRegistration(ContextType.Stream, 16),
        };
        var reg = new FilterRegistration { ContextRegistration = rows };
        Assert.Equal(NtStatus.FltInvalidContextRegistration, Manager.RegisterFilter(FilterConfiguration.Single("Bad", "370000"), reg, out _));
    }

    [Fact]
    public void TransactionContextsAreNotSupportedAndSectionsNeedRegisterForDataScan()
    {
        var f = Register("Tx", "370000", Rows(ContextType.Transaction, ContextType.Section));
        Assert.Equal(NtStatus.NotSupported, f.Filter.AllocateContext(ContextType.Transaction, 16, out FltContext? _));
        Assert.Equal(NtStatus.NotSupported, f.Instance.GetTransactionContext(null, out _));
        var fo = Open("t");
        // No section yet; and without FltRegisterForDataScan none can be made.
        Assert.Equal(NtStatus.NotFound, f.Instance.GetSectionContext(fo, out _));
        Assert.Equal(NtStatus.Success, f.Filter.AllocateContext(ContextType.Section, 16, out FltContext? section));
        Assert.Equal(NtStatus.NotSupported, f.Instance.CreateSectionForDataScan(fo, section!, out _));
        section!.Release();
        Client.CloseHandle(fo);
    }

    [Fact]
    public void GetWithoutAContextGivesNotFound()
    {
        var f = Standard();
        var fo = Open("a");
        Assert.Equal(NtStatus.NotFound, f.Instance.GetStreamContext(fo, out CountingContext? c));
        Assert.Null(c);
        Assert.Equal(NtStatus.NotFound, f.Instance.GetInstanceContext(out CountingContext? _));
        Assert.Equal(NtStatus.NotFound, f.Filter.GetVolumeContext(Volume, out CountingContext? _));
        Client.CloseHandle(fo);
    }

    [Fact]
    public void SetReplaceIfExistsReferencesTheNewAndReturnsTheOldReferenced()
    {
        var f = Standard();
        var fo = Open("a");
        var first = New(f, ContextType.Stream, 1);
        Assert.Equal(NtStatus.Success, f.Instance.SetStreamContext(fo, ContextSetOperation.ReplaceIfExists, first, out CountingContext? old));
        Assert.Null(old);
        Assert.Equal(2, first.ReferenceCount);
        first.Release();
        var second = New(f, ContextType.Stream, 2);
        Assert.Equal(NtStatus.Success, f.Instance.SetStreamContext(fo, ContextSetOperation.ReplaceIfExists, second, out old));
        Assert.Same(first, old);
        Assert.Equal(1, first.ReferenceCount);   // the object's reference moved to the caller
        Assert.False(first.IsLinked);
        old!.Release();
        Assert.Contains("Stream:1", cleanups);
        second.Release();
        Assert.Equal(NtStatus.Success, f.Instance.GetStreamContext(fo, out CountingContext? now));
        Assert.Same(second, now);
        now!.Release();
        Client.CloseHandle(fo);
    }

    [Fact]
    public void SetKeepIfExistsGivesAlreadyDefinedWithTheExistingContextReferenced()
    {
        var f = Standard();
        var fo = Open("a");
        var first = New(f, ContextType.Stream, 1);
        Assert.Equal(NtStatus.Success, f.Instance.SetStreamContext(fo, ContextSetOperation.KeepIfExists, first, out CountingContext? _));
        first.Release();
        var second = New(f, ContextType.Stream, 2);
        Assert.Equal(NtStatus.FltContextAlreadyDefined, f.Instance.SetStreamContext(fo, ContextSetOperation.KeepIfExists, second, out CountingContext? existing));
        Assert.Same(first, existing);
        Assert.Equal(2, first.ReferenceCount);
        Assert.Equal(1, second.ReferenceCount);   // the new one was not referenced
        second.Release();                          // failure: the caller's release frees it
        Assert.Contains("Stream:2", cleanups);
        existing!.Release();
        Client.CloseHandle(fo);
    }

    [Fact]
    public void SetOfAContextSetElsewhereGivesAlreadyLinked()
    {
        var f = Standard();
        var a = Open("a");
        var b = Open("b");
        var c = New(f, ContextType.Stream, 1);
        Assert.Equal(NtStatus.Success, f.Instance.SetStreamContext(a, ContextSetOperation.KeepIfExists, c));
        Assert.Equal(NtStatus.FltContextAlreadyLinked, f.Instance.SetStreamContext(b, ContextSetOperation.KeepIfExists, c));
        c.Release();
        Client.CloseHandle(a);
        Client.CloseHandle(b);
    }

    [Fact]
    public void ReleaseToZeroRunsTheCleanupCallbackThenTheFreeCallback()
    {
        var order = new List<string>();
        var f = Register("Free", "370000", new[]
        {
            new ContextRegistration(ContextType.Instance, 0, (c, t) => order.Add("cleanup"),
                AllocateCallback: (t, s) => new CountingContext(), FreeCallback: (c, t) => order.Add("free")),
        });
        Assert.Equal(NtStatus.Success, f.Filter.AllocateContext(ContextType.Instance, 8, out CountingContext? c));
        c!.Reference();
        c.Release();
        Assert.Empty(order);
        c.Release();
        Assert.Equal(new[] { "cleanup", "free" }, order);
    }

    [Fact]
    public void DeleteContextUnlinksAndTheCallerStillReleases()
    {
        var f = Standard();
        var fo = Open("a");
        var c = New(f, ContextType.Stream, 7);
        f.Instance.SetStreamContext(fo, ContextSetOperation.KeepIfExists, c);
        c.Delete();
        Assert.Equal(NtStatus.NotFound, f.Instance.GetStreamContext(fo, out CountingContext? _));
        Assert.DoesNotContain("Stream:7", cleanups);
        c.Release();
        Assert.Contains("Stream:7", cleanups);
        Client.CloseHandle(fo);
    }

    [Fact]
    public void DeleteOfATargetsContextReturnsItReferencedOrDropsTheObjectsReference()
    {
        var f = Standard();
        var fo = Open("a");
        var c = New(f, ContextType.StreamHandle, 3);
        f.Instance.SetStreamHandleContext(fo, ContextSetOperation.KeepIfExists, c);
        c.Release();
        Assert.Equal(NtStatus.Success, f.Instance.DeleteStreamHandleContext(fo, out FltContext? old));
        Assert.Same(c, old);
        Assert.Equal(1, c.ReferenceCount);
        old!.Release();
        var d = New(f, ContextType.Instance, 4);
        f.Instance.SetInstanceContext(ContextSetOperation.KeepIfExists, d);
        d.Release();
        Assert.Equal(NtStatus.Success, f.Instance.DeleteInstanceContext());
        Assert.Contains("Instance:4", cleanups);
        Assert.Equal(NtStatus.NotFound, f.Instance.DeleteInstanceContext());
        Client.CloseHandle(fo);
    }

    [Fact]
    public void GetContextsReferencesEachAndReleaseContextsReleasesThemAll()
    {
        var f = Standard();
        var fo = Open("a");
        foreach (var (type, v) in new[] { (ContextType.Volume, 1), (ContextType.Instance, 2), (ContextType.Stream, 3), (ContextType.StreamHandle, 4) })
        {
            var c = New(f, type, v);
            NtStatus st = type switch
            {
                ContextType.Volume => f.Filter.SetVolumeContext(Volume, ContextSetOperation.KeepIfExists, c),
                ContextType.Instance => f.Instance.SetInstanceContext(ContextSetOperation.KeepIfExists, c),
                ContextType.Stream => f.Instance.SetStreamContext(fo, ContextSetOperation.KeepIfExists, c),
                _ => f.Instance.SetStreamHandleContext(fo, ContextSetOperation.KeepIfExists, c),
            };
            Assert.Equal(NtStatus.Success, st);
            c.Release();
        }
        f.Instance.GetContexts(fo, ContextType.All, out RelatedContexts all);
        Assert.NotNull(all.VolumeContext);
        Assert.NotNull(all.InstanceContext);
        Assert.Null(all.FileContext);
        Assert.Equal(2, all.StreamContext!.ReferenceCount);
        all.Release();
        Assert.Null(all.StreamContext);
        Client.CloseHandle(fo);
    }

    [Fact]
    public void AStreamContextIsSharedByEveryOpenAndAStreamHandleContextIsPerOpen()
    {
        var f = Standard();
        var a = Open("shared");
        var b = Open("shared");
        var c = New(f, ContextType.Stream, 1);
        f.Instance.SetStreamContext(a, ContextSetOperation.KeepIfExists, c);
        c.Release();
        Assert.Equal(NtStatus.Success, f.Instance.GetStreamContext(b, out CountingContext? seen));
        Assert.Same(c, seen);
        seen!.Release();
        var h = New(f, ContextType.StreamHandle, 2);
        f.Instance.SetStreamHandleContext(a, ContextSetOperation.KeepIfExists, h);
        h.Release();
        Assert.Equal(NtStatus.NotFound, f.Instance.GetStreamHandleContext(b, out CountingContext? _));
        Client.CloseHandle(a);
        Client.CloseHandle(b);
    }

    [Fact]
    public void ContextsAreNotSupportedInPreCreatePostCloseAndQueryOpen()
    {
        var f = Standard();
        var statuses = new List<string>();
        f.Pre = (d, o) =>
        {
            if (d.Iopb.MajorFunction is MajorFunction.Create or MajorFunction.NetworkQueryOpen or MajorFunction.Close)
                statuses.Add($"pre-{d.Iopb.MajorFunction}:{f.Instance.GetStreamContext(o.FileObject!, out CountingContext? _)}:{f.Instance.GetStreamHandleContext(o.FileObject!, out CountingContext? _)}");
            return PreOperationStatus.SuccessWithCallback;
        };
        f.Post = (d, o) =>
        {
            if (d.Iopb.MajorFunction is MajorFunction.Close or MajorFunction.Create)
                statuses.Add($"post-{d.Iopb.MajorFunction}:{f.Instance.GetStreamContext(o.FileObject!, out CountingContext? _)}");
        };
        var fo = Open("a");
        Client.QueryOpen("a", out _);
        Client.CloseHandle(fo);
        Assert.Contains("pre-Create:NotSupported:NotSupported", statuses);
        Assert.Contains("post-Create:NotFound", statuses);
        Assert.Contains("pre-NetworkQueryOpen:NotSupported:NotSupported", statuses);
        Assert.Contains("pre-Close:NotFound:NotFound", statuses);
        Assert.Contains("post-Close:NotSupported", statuses);
    }

    [Fact]
    public void AStreamHandleContextIsDeletedAtClose()
    {
        var f = Standard();
        var fo = Open("a");
        var h = New(f, ContextType.StreamHandle, 9);
        f.Instance.SetStreamHandleContext(fo, ContextSetOperation.KeepIfExists, h);
        h.Release();
        Client.Cleanup(fo);
        Assert.DoesNotContain("StreamHandle:9", cleanups);
        Client.Close(fo);
        Assert.Contains("StreamHandle:9", cleanups);
    }

    [Fact]
    public void AStreamEndsWhenItsNodeIsFreedAndNoOpenRemains()
    {
        var f = Standard();
        var a = Open("a");
        var b = Open("a");
        var s = New(f, ContextType.Stream, 5);
        f.Instance.SetStreamContext(a, ContextSetOperation.KeepIfExists, s);
        s.Release();
        var file = New(f, ContextType.File, 6);
        f.Instance.SetFileContext(b, ContextSetOperation.KeepIfExists, file);
        file.Release();
        Client.CloseHandle(a);
        Assert.Empty(cleanups);          // b still holds the node
        Client.CloseHandle(b);
        Assert.Equal(new[] { "Stream:5", "File:6" }, cleanups);   // stream before file
        Assert.Equal(0, Volume.StreamContextCount);
    }

    [Fact]
    public void DetachDeletesContextsInOrderStreamHandleStreamFileInstanceVolume()
    {
        var f = Standard();
        var fo = Open("a");
        int v = 0;
        foreach (var type in new[] { ContextType.Volume, ContextType.Instance, ContextType.File, ContextType.Stream, ContextType.StreamHandle })
        {
            var c = New(f, type, ++v);
            _ = type switch
            {
                ContextType.Volume => f.Filter.SetVolumeContext(Volume, ContextSetOperation.KeepIfExists, c),
                ContextType.Instance => f.Instance.SetInstanceContext(ContextSetOperation.KeepIfExists, c),
                ContextType.File => f.Instance.SetFileContext(fo, ContextSetOperation.KeepIfExists, c),
                ContextType.Stream => f.Instance.SetStreamContext(fo, ContextSetOperation.KeepIfExists, c),
                _ => f.Instance.SetStreamHandleContext(fo, ContextSetOperation.KeepIfExists, c),
            };
            c.Release();
        }
        Assert.Equal(NtStatus.Success, f.Filter.DetachVolume(Volume, null));
        Assert.Equal(new[] { "StreamHandle:5", "Stream:4", "File:3", "Instance:2", "Volume:1" }, cleanups);
        Assert.Empty(Reports);
        Client.CloseHandle(fo);
    }

    [Fact]
    public void UnloadDeletesEveryContextOfTheFilter()
    {
        var f = Standard();
        var fo = Open("a");
        var s = New(f, ContextType.Stream, 1);
        f.Instance.SetStreamContext(fo, ContextSetOperation.KeepIfExists, s);
        s.Release();
        var vol = New(f, ContextType.Volume, 2);
        f.Filter.SetVolumeContext(Volume, ContextSetOperation.KeepIfExists, vol);
        vol.Release();
        Assert.Equal(NtStatus.Success, Manager.UnloadFilter(f.Filter));
        Assert.Equal(new[] { "Stream:1", "Volume:2" }, cleanups);
        Client.CloseHandle(fo);
    }

    [Fact]
    public void CleanupWaitsForTheLastReferenceAFilterStillHolds()
    {
        var f = Standard();
        var fo = Open("a");
        var s = New(f, ContextType.Stream, 1);
        f.Instance.SetStreamContext(fo, ContextSetOperation.KeepIfExists, s);
        Client.CloseHandle(fo);              // the stream ends, but the filter still holds its allocation reference
        Assert.Empty(cleanups);
        s.Release();
        Assert.Equal(new[] { "Stream:1" }, cleanups);
    }

    [Fact]
    public void AContextReferenceReleasesOnceWhenDisposed()
    {
        var f = Standard();
        var fo = Open("a");
        var s = New(f, ContextType.Stream, 1);
        f.Instance.SetStreamContext(fo, ContextSetOperation.KeepIfExists, s);
        s.Release();
        f.Instance.GetStreamContext(fo, out CountingContext? got);
        using (var held = ContextReference.Of(got))
        {
            Assert.Equal(2, held.Context!.ReferenceCount);
            held.Dispose();
        }
        Assert.Equal(1, s.ReferenceCount);
        Client.CloseHandle(fo);
    }

    [Fact]
    public void SetAfterDetachGivesDeletingObject()
    {
        var f = Standard();
        var inst = f.Instance;
        f.Filter.DetachVolume(Volume, null);
        var c = New(f, ContextType.Instance, 1);
        Assert.Equal(NtStatus.FltDeletingObject, inst.SetInstanceContext(ContextSetOperation.KeepIfExists, c));
        c.Release();
    }
}

internal static class ContextTestExtensions
{
    /// <summary>Releases without the verifier's bookkeeping (it allocates), for allocation measurements.</summary>
    public static void ReleaseReferenceForTest(this FltContext c) => c.ReleaseReference();
}
