// The filter authors' harness (src/Altitude.Testing) on itself: each assertion passes on what it claims and fails,
// with a message naming what happened, on what it does not.
using Altitude;
using Altitude.Samples.Change;
using Altitude.Testing;

namespace Altitude.Testing.Tests;

/// <summary>Denies opens of names ending in ".secret"; with LeakContexts, takes a file context reference it never releases.</summary>
internal sealed class DenySecretsFilter : IMiniFilter
{
    public bool LeakContexts;
    private sealed class Marker : FltContext { }

    public NtStatus DriverEntry(DriverObject driver)
    {
        var registration = new FilterRegistration
        {
            ContextRegistration = new[] { new ContextRegistration(ContextType.File, 8) },
            OperationRegistration = new[] { new OperationRegistration(MajorFunction.Create, OperationRegistrationFlags.None, PreCreate, PostCreate) },
            FilterUnload = _ => NtStatus.Success,
        };
        NtStatus st = driver.RegisterFilter(registration, out Filter? filter);
        return st.IsSuccess() ? filter!.StartFiltering() : st;
    }

    private PreOperationStatus PreCreate(CallbackData data, in RelatedObjects objects, out object? context)
    {
        context = null;
        if (objects.FileObject is { } fo && fo.FileNameText.EndsWith(".secret", StringComparison.Ordinal))
        {
            data.IoStatus = new IoStatusBlock(NtStatus.AccessDenied, 0);
            return PreOperationStatus.Complete;
        }
        return PreOperationStatus.SuccessWithCallback;
    }

    private PostOperationStatus PostCreate(CallbackData data, in RelatedObjects objects, object? context, PostOperationFlags flags)
    {
        if (!LeakContexts || (flags & PostOperationFlags.Draining) != 0 || !data.IoStatus.Status.IsSuccess() || objects.FileObject is not { } fo) return PostOperationStatus.FinishedProcessing;
        if (objects.Instance!.GetFileContext(fo, out Marker? existing).IsSuccess()) return PostOperationStatus.FinishedProcessing;   // leaked, as meant: never released
        if (objects.Filter.AllocateContext(ContextType.File, 8, out Marker? made).IsSuccess())
            objects.Instance.SetFileContext(fo, ContextSetOperation.KeepIfExists, made!, out _);   // the allocation reference is never released
        return PostOperationStatus.FinishedProcessing;
    }
}

public sealed class HarnessTests
{
    [Fact]
    public void OpenDeniedPassesForADeniedOpenAndFailsWithTheStatusForAnAllowedOne()
    {
        using var volume = new FilterTestVolume();
        volume.Load(new DenySecretsFilter(), "DenySecrets", "320000");
        File.WriteAllText(volume.BackingPath("plans.secret"), "x");
        File.WriteAllText(volume.BackingPath("notes.txt"), "y");
        FilterAssert.OpenDenied(volume, "plans.secret");
        FilterAssert.OpenAllowed(volume, "notes.txt");
        var wrong = Assert.Throws<FilterAssertionException>(() => FilterAssert.OpenDenied(volume, "notes.txt"));
        Assert.Contains("but it succeeded", wrong.Message);
        var refused = Assert.Throws<FilterAssertionException>(() => FilterAssert.OpenAllowed(volume, "plans.secret"));
        Assert.Equal(NtStatus.AccessDenied, refused.Status);
    }

    [Fact]
    public void ARecorderAboveTheFilterSeesRenamesWithTheirNames()
    {
        using var volume = new FilterTestVolume();
        volume.Load(new DenySecretsFilter(), "DenySecrets", "320000");
        var recorder = volume.Record();
        volume.CreateDirectory("dir");
        volume.WriteAllText("dir/a.txt", "hello");
        volume.Rename("dir/a.txt", "dir/b.txt");
        RecordedOperation rename = FilterAssert.RenameSeen(recorder, "/dir/a.txt", "/dir/b.txt");
        Assert.Equal(MajorFunction.SetInformation, rename.MajorFunction);
        var missing = Assert.Throws<FilterAssertionException>(() => FilterAssert.RenameSeen(recorder, "/dir/b.txt", "/dir/c.txt"));
        Assert.Contains("/dir/a.txt -> /dir/b.txt", missing.Message);   // the message lists what was seen
        Assert.Equal("hello", volume.ReadAllText("dir/b.txt"));
        Assert.Equal(new[] { "b.txt" }, volume.List("dir"));
        Assert.Contains(recorder.Operations, o => o.MajorFunction == MajorFunction.Create && o.Name == "/dir/a.txt");
    }

    [Fact]
    public void ContextsFreedPassesOnceTheHandlesAreClosedAndCatchesALeakedReference()
    {
        using (var volume = new FilterTestVolume())
        {
            var change = new ChangeFilter();
            Filter filter = volume.Load(change, "Change", ChangeFilter.DefaultAltitude);
            using (TestHandle h = volume.Open("f.txt"))
            {
                h.Write("data"u8.ToArray(), 0);
                Assert.True(filter.ContextCount > 0);   // the file context of the open file
            }
            Assert.Single(change.Changed);
            FilterAssert.ContextsFreed(volume, filter);
            FilterAssert.NoVerifierReports(volume);
        }
        using (var volume = new FilterTestVolume())
        {
            Filter leaking = volume.Load(new DenySecretsFilter { LeakContexts = true }, "Leaky", "320000");
            volume.WriteAllText("g.txt", "x");
            var leak = Assert.Throws<FilterAssertionException>(() => FilterAssert.ContextsFreed(volume, leaking));
            Assert.Contains("still has 1 context(s)", leak.Message);
        }
    }

    [Fact]
    public void LoadReportsAFailedDriverEntryWithItsStatus()
    {
        using var volume = new FilterTestVolume();
        var change = new ChangeFilter();
        volume.Load(change, "Change", ChangeFilter.DefaultAltitude);
        var twice = Assert.Throws<FilterAssertionException>(() => volume.Load(new ChangeFilter(), "Change", ChangeFilter.DefaultAltitude));
        Assert.Contains("DriverEntry of Change failed", twice.Message);
    }

    /// <summary>On by default, it reports a context reference a filter never released when the filter unloads.</summary>
    [Fact]
    public void TheVerifierIsOnByDefaultAndReportsALeakAtUnload()
    {
        using var volume = new FilterTestVolume();
        Assert.True(volume.Manager.Options.Verifier);
        Filter leaking = volume.Load(new DenySecretsFilter { LeakContexts = true }, "Leaky", "320000");
        volume.WriteAllText("g.txt", "x");
        leaking.Unregister();
        Assert.Contains(volume.VerifierReports, r => r.Kind == VerifierReportKind.LeakedContextReference && r.FilterName == "Leaky");
        using var without = new FilterTestVolume(new FilterTestOptions { Verifier = false });
        Assert.False(without.Manager.Options.Verifier);
    }
}
