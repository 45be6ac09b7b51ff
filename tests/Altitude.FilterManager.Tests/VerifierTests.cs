// The verifier (off by default, on in tests): leaked context references at detach and unload, names not released
// by the end of an operation.
namespace Altitude.Tests;

public sealed class VerifierTests : LoopbackStack
{
    private TestMiniFilter Leaky() => Register("Leaky", "370000", new[] { new ContextRegistration(ContextType.Stream, 8) });

    [Fact]
    public void TheVerifierReportsALeakedContextReferenceAtDetachWithFilterTypeAndWhereItWasTaken()
    {
        var f = Leaky();
        var fo = Open("a");
        Assert.Equal(NtStatus.Success, f.Filter.AllocateContext(ContextType.Stream, 8, out FltContext? c));
        f.Instance.SetStreamContext(fo, ContextSetOperation.KeepIfExists, c!);
        c!.Release();
        LeakAReference(f, fo);   // a Get never released: the deliberate leak
        Assert.Equal(NtStatus.Success, f.Filter.DetachVolume(Volume, null));
        var report = Assert.Single(Reports);
        Assert.Equal(VerifierReportKind.LeakedContextReference, report.Kind);
        Assert.Equal("Leaky", report.FilterName);
        Assert.Equal(ContextType.Stream, report.ContextType);
        Assert.Contains(nameof(LeakAReference), report.Where);
        Client.CloseHandle(fo);
    }

    private static void LeakAReference(TestMiniFilter f, FileObject fo) => f.Instance.GetStreamContext(fo, out FltContext? _);

    [Fact]
    public void TheVerifierReportsAnAllocationNeverReleasedAtUnload()
    {
        var f = Leaky();
        Assert.Equal(NtStatus.Success, f.Filter.AllocateContext(ContextType.Stream, 8, out FltContext? _));
        Assert.Equal(NtStatus.Success, Manager.UnloadFilter(f.Filter));
        var report = Assert.Single(Reports);
        Assert.Equal(ContextType.Stream, report.ContextType);
        Assert.Contains(nameof(TheVerifierReportsAnAllocationNeverReleasedAtUnload), report.Where);
    }

    [Fact]
    public void TheVerifierReportsNameInformationNotReleasedByTheEndOfTheOperation()
    {
        var f = Register("Names", "370000");
        f.Post = (d, o) =>
        {
            if (d.Iopb.MajorFunction == MajorFunction.Create) d.GetFileNameInformation(NameOptions.Normalized | NameOptions.QueryDefault, out _);
        };
        var fo = Open("a");
        var report = Assert.Single(Reports);
        Assert.Equal(VerifierReportKind.UnreleasedNameInformation, report.Kind);
        Assert.Contains("/a", report.Message);
        Client.CloseHandle(fo);
    }

    [Fact]
    public void ReleasedReferencesAreNotReported()
    {
        var f = Register("Clean", "370000", new[] { new ContextRegistration(ContextType.Stream, 8) });
        f.Post = (d, o) =>
        {
            if (d.Iopb.MajorFunction != MajorFunction.Create) return;
            d.GetFileNameInformation(NameOptions.Normalized | NameOptions.QueryDefault, out var name);
            name!.Release();
            f.Filter.AllocateContext(ContextType.Stream, 8, out FltContext? c);
            using var held = ContextReference.Of(c);
            f.Instance.SetStreamContext(o.FileObject!, ContextSetOperation.KeepIfExists, c!);
        };
        var fo = Open("a");
        Client.CloseHandle(fo);
        f.Filter.DetachVolume(Volume, null);
        Assert.Empty(Reports);
    }
}

public sealed class VerifierDefaultTests
{
    [Fact]
    public void TheVerifierIsOffByDefault() => Assert.False(new FilterManagerOptions().Verifier);
}
