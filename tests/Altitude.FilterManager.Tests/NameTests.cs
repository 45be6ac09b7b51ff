// Conformance of file names to spec section 4: formats, query methods, parsing, the shared cache and its invalidation,
// pre-create names, destination and tunneled names, name providers.
namespace Altitude.Tests;

public sealed class NameTests : LoopbackStack
{
    private const NameOptions Normalized = NameOptions.Normalized | NameOptions.QueryDefault;

    /// <summary>Runs <paramref name="query"/> in the post-create of an open of <paramref name="path"/> (by a filter at 370000).</summary>
    private T InPostCreate<T>(string path, Func<CallbackData, RelatedObjects, T> query, TestMiniFilter? filter = null, int flags = OpenFlags.O_RDWR | OpenFlags.O_CREAT)
    {
        filter ??= Register("Names", "370000");
        T result = default!;
        filter.Post = (d, o) => { if (d.Iopb.MajorFunction == MajorFunction.Create) result = query(d, o); };
        var fo = Open(path, flags);
        filter.Post = null;
        Client.CloseHandle(fo);
        return result;
    }

    private TestMiniFilter? names;

    private string Name(string path, NameOptions options = Normalized) => InPostCreate(path, (d, o) =>
    {
        Assert.Equal(NtStatus.Success, d.GetFileNameInformation(options, out var n));
        string s = n!.Name;
        n.Release();
        return s;
    }, names ??= Register("Names", "370000"));

    [Fact]
    public void ANormalizedNameIsTheVolumeNamePlusThePathFromTheRoot()
    {
        Directory.CreateDirectory(InBacking("dir/sub"));
        Assert.Equal(Volume.Name + "/dir/sub/file.txt", Name("dir/sub/file.txt"));
    }

    [Fact]
    public void ParsingGivesVolumeEmptyShareParentDirFinalComponentExtensionAndEmptyStream()
    {
        Directory.CreateDirectory(InBacking("docs"));
        InPostCreate("docs/report.final.txt", (d, o) =>
        {
            d.GetFileNameInformation(Normalized, out var n);
            Assert.Equal(NtStatus.Success, n!.Parse());
            Assert.Equal(NamesParsedFlags.All, n.NamesParsed);
            Assert.Equal(Volume.Name, n.Volume.ToString());
            Assert.Equal("", n.Share.ToString());
            Assert.Equal("/docs/", n.ParentDir.ToString());
            Assert.Equal("report.final.txt", n.FinalComponent.ToString());
            Assert.Equal("txt", n.Extension.ToString());
            Assert.Equal("", n.Stream.ToString());
            Assert.Equal(n.Name, string.Concat(n.Volume.ToString(), n.Share.ToString(), n.ParentDir.ToString(), n.FinalComponent.ToString(), n.Stream.ToString()));
            n.Release();
            return 0;
        });
    }

    [Fact]
    public void ANameBeginningWithADotHasNoExtensionUnlessAnotherDotFollows()
    {
        var a = new FileNameInformation(null, "/v/.bashrc", 2, NameOptions.Normalized);
        Assert.Equal("", a.Extension.ToString());
        var b = new FileNameInformation(null, "/v/.config.json", 2, NameOptions.Normalized);
        Assert.Equal("json", b.Extension.ToString());
        var c = new FileNameInformation(null, "/v/dir/noext", 2, NameOptions.Normalized);
        Assert.Equal("", c.Extension.ToString());
        var colon = new FileNameInformation(null, "/v/a:b.c", 2, NameOptions.Normalized);
        Assert.Equal("a:b.c", colon.FinalComponent.ToString());   // ':' is no stream separator on Linux
        Assert.Equal("", colon.Stream.ToString());
    }

    [Fact]
    public void TheRootsParentDirIsTheSeparatorAndItsFinalComponentIsEmpty()
    {
        var root = new FileNameInformation(null, Volume.Name + "/", Volume.Name.Length, NameOptions.Normalized);
        Assert.Equal("/", root.ParentDir.ToString());
        Assert.Equal("", root.FinalComponent.ToString());
        Assert.Equal("", root.Extension.ToString());
    }

    [Fact]
    public void AnOpenedNameIsThePathAsTheCallerGaveIt()
    {
        Directory.CreateDirectory(InBacking("d"));
        Assert.Equal(Volume.Name + "/d/./x", Name("d/./x", NameOptions.Opened | NameOptions.QueryDefault));
        Assert.Equal(Volume.Name + "/d/x", Name("d/./x"));
    }

    [Fact]
    public void AShortNameGivesInvalidNameRequest()
    {
        Assert.Equal(NtStatus.FltInvalidNameRequest, InPostCreate("a", (d, o) => d.GetFileNameInformation(NameOptions.Short | NameOptions.QueryDefault, out _)));
    }

    [Fact]
    public void CacheOnlyGivesNameCacheMissUntilADefaultQueryFilledTheCache()
    {
        var f = Register("Names", "370000");
        var fo = Open("a");
        var d0 = Volume.AllocateCallbackData(fo);   // an instance's view outside a callback: the unsafe query
        Assert.Equal(NtStatus.FltNameCacheMiss, f.Instance.GetFileNameInformationUnsafe(fo, NameOptions.Normalized | NameOptions.QueryCacheOnly, out _));
        Assert.Equal(NtStatus.Success, f.Instance.GetFileNameInformationUnsafe(fo, Normalized, out var first));
        Assert.Equal(NtStatus.Success, f.Instance.GetFileNameInformationUnsafe(fo, NameOptions.Normalized | NameOptions.QueryCacheOnly, out var cached));
        Assert.Same(first, cached);   // shared
        first!.Release();
        cached!.Release();
        d0.Free();
        Client.CloseHandle(fo);
    }

    [Fact]
    public void FileSystemOnlyNeitherReadsNorFillsTheCache()
    {
        var f = Register("Names", "370000");
        var fo = Open("a");
        f.Instance.GetFileNameInformationUnsafe(fo, NameOptions.Normalized | NameOptions.QueryFileSystemOnly, out var a);
        Assert.Equal(NtStatus.FltNameCacheMiss, f.Instance.GetFileNameInformationUnsafe(fo, NameOptions.Normalized | NameOptions.QueryCacheOnly, out _));
        f.Instance.GetFileNameInformationUnsafe(fo, Normalized, out var b);
        f.Instance.GetFileNameInformationUnsafe(fo, NameOptions.Normalized | NameOptions.QueryFileSystemOnly, out var c);
        Assert.NotSame(b, c);
        a!.Release(); b!.Release(); c!.Release();
        Client.CloseHandle(fo);
    }

    [Fact]
    public void NamesAreSharedAndReferenceCounted()
    {
        var f = Register("Names", "370000");
        var fo = Open("a");
        f.Instance.GetFileNameInformationUnsafe(fo, Normalized, out var a);
        f.Instance.GetFileNameInformationUnsafe(fo, NameOptions.Normalized | NameOptions.QueryAlwaysAllowCacheLookup, out var b);
        Assert.Same(a, b);
        Assert.Equal(3, a!.ReferenceCount);   // the cache's and two callers'
        a.Reference();
        a.Release(); a.Release(); b!.Release();
        Assert.Equal(1, a.ReferenceCount);
        Client.CloseHandle(fo);
    }

    [Fact]
    public void AfterCleanupAQueryThatNeedsTheFileSystemGivesInvalidNameRequest()
    {
        var f = Register("Names", "370000");
        var results = new List<string>();
        f.Post = (d, o) =>
        {
            if (d.Iopb.MajorFunction != MajorFunction.Cleanup) return;
            results.Add(d.GetFileNameInformation(Normalized, out var n).ToString());
            results.Add(d.GetFileNameInformation(NameOptions.Normalized | NameOptions.QueryFileSystemOnly, out _).ToString());
            NtStatus st = d.GetFileNameInformation(NameOptions.Normalized | NameOptions.QueryAlwaysAllowCacheLookup, out n);
            results.Add(st.ToString());
            n?.Release();
        };
        var fo = Open("a");
        f.Instance.GetFileNameInformationUnsafe(fo, Normalized, out var warm);   // fills the cache
        warm!.Release();
        Client.CloseHandle(fo);
        Assert.Equal(new[] { "FltInvalidNameRequest", "FltInvalidNameRequest", "Success" }, results);
    }

    [Fact]
    public void InPreCreateTheOpenedNameAlwaysSucceedsAndTheNormalizedOneWhenOnlyTheLastComponentIsMissing()
    {
        var f = Register("Names", "370000");
        var seen = new List<string>();
        f.Pre = (d, o) =>
        {
            if (d.Iopb.MajorFunction != MajorFunction.Create) return PreOperationStatus.SuccessWithCallback;
            foreach (var opt in new[] { NameOptions.Opened | NameOptions.QueryDefault, Normalized })
            {
                NtStatus st = d.GetFileNameInformation(opt, out var n);
                seen.Add(st.IsSuccess() ? n!.Name : st.ToString());
                n?.Release();
            }
            return PreOperationStatus.SuccessWithCallback;
        };
        Directory.CreateDirectory(InBacking("d"));
        Client.Create("d/new", OpenFlags.O_RDONLY, 0, out _, out _);             // missing leaf
        Client.Create("nodir/new", OpenFlags.O_RDONLY, 0, out _, out _);         // missing directory
        Assert.Equal(new[] { Volume.Name + "/d/new", Volume.Name + "/d/new", Volume.Name + "/nodir/new", "ObjectPathNotFound" }, seen);
    }

    [Fact]
    public void TheCacheIsInvalidatedWhenTheNodeIsRenamed()
    {
        var f = Register("Names", "370000");
        var fo = Open("old");
        f.Instance.GetFileNameInformationUnsafe(fo, Normalized, out var before);
        Assert.Equal(NtStatus.Success, Client.Rename("old", "new"));
        f.Instance.GetFileNameInformationUnsafe(fo, Normalized, out var after);
        Assert.Equal(Volume.Name + "/old", before!.Name);
        Assert.Equal(Volume.Name + "/new", after!.Name);
        before.Release(); after.Release();
        Client.CloseHandle(fo);
    }

    [Fact]
    public void TheCacheIsInvalidatedWhenAnAncestorIsRenamed()
    {
        var f = Register("Names", "370000");
        Directory.CreateDirectory(InBacking("top/mid"));
        var fo = Open("top/mid/leaf");
        f.Instance.GetFileNameInformationUnsafe(fo, Normalized, out var before);
        Assert.Equal(NtStatus.Success, Client.Rename("top", "moved"));
        f.Instance.GetFileNameInformationUnsafe(fo, Normalized, out var after);
        Assert.Equal(Volume.Name + "/top/mid/leaf", before!.Name);
        Assert.Equal(Volume.Name + "/moved/mid/leaf", after!.Name);
        before.Release(); after.Release();
        Client.CloseHandle(fo);
    }

    [Fact]
    public void TheCacheIsInvalidatedOnUnlinkAndLink()
    {
        var f = Register("Names", "370000");
        var fo = Open("a");
        f.Instance.GetFileNameInformationUnsafe(fo, Normalized, out var n);
        n!.Release();
        Assert.Equal(NtStatus.Success, Client.Link("a", "b"));
        Assert.Equal(NtStatus.Success, Client.Delete("a"));
        Assert.Equal(NtStatus.FltNameCacheMiss, f.Instance.GetFileNameInformationUnsafe(fo, NameOptions.Normalized | NameOptions.QueryCacheOnly, out _));
        // The name it was known by is gone; a lookup of the remaining link records that one (FUSE looks names up all the time).
        Assert.Equal(NtStatus.FileDeleted, f.Instance.GetFileNameInformationUnsafe(fo, Normalized, out _));
        Client.QueryOpen("b", out _);
        Assert.Equal(NtStatus.Success, f.Instance.GetFileNameInformationUnsafe(fo, Normalized, out n));
        Assert.Equal(Volume.Name + "/b", n!.Name);
        n.Release();
        Client.CloseHandle(fo);
    }

    [Fact]
    public void TheCacheIsEmptiedWhenANameProviderAttachesOrDetaches()
    {
        var f = Register("Names", "380000");
        var fo = Open("a");
        f.Instance.GetFileNameInformationUnsafe(fo, Normalized, out var n);
        n!.Release();
        var provider = Register("Provider", "370000", generate: PassThroughProvider);
        Assert.Equal(NtStatus.FltNameCacheMiss, f.Instance.GetFileNameInformationUnsafe(fo, NameOptions.Normalized | NameOptions.QueryCacheOnly, out _));
        f.Instance.GetFileNameInformationUnsafe(fo, Normalized, out n);
        n!.Release();
        provider.Filter.DetachVolume(Volume, null);
        Assert.Equal(NtStatus.FltNameCacheMiss, f.Instance.GetFileNameInformationUnsafe(fo, NameOptions.Normalized | NameOptions.QueryCacheOnly, out _));
        Client.CloseHandle(fo);
    }

    private static NtStatus PassThroughProvider(Instance instance, FileObject fo, CallbackData? data, NameOptions options, out bool cacheIt, FileNameControl name)
    {
        cacheIt = true;
        NtStatus st = instance.GetFileNameInformationUnsafe(fo, (options & NameOptions.FormatMask) | NameOptions.QueryFileSystemOnly, out var below);
        if (!st.IsSuccess()) return st;
        name.Name.Append(below!.Name);
        below.Release();
        return NtStatus.Success;
    }

    [Fact]
    public void DestinationNamesOfRenameAndLinkAreTheDirectoryNamePlusTheNewLeaf()
    {
        var f = Register("Names", "370000");
        Directory.CreateDirectory(InBacking("to"));
        var names = new List<string>();
        f.Pre = (d, o) =>
        {
            if (d.Iopb.MajorFunction == MajorFunction.SetInformation)
            {
                ref var p = ref d.Iopb.Parameters.SetFileInformation;
                NtStatus st = f.Instance.GetDestinationFileNameInformation(o.FileObject!, p.DestinationDirectory, p.DestinationName.Span, Normalized, out var n);
                names.Add(st.IsSuccess() ? n!.Name : st.ToString());
                n?.Release();
                names.Add(f.Instance.GetDestinationFileNameInformation(o.FileObject!, 0, "x"u8, NameOptions.Short, out _).ToString());
            }
            return PreOperationStatus.SuccessWithCallback;
        };
        File.WriteAllText(InBacking("src"), "x");
        Client.Rename("src", "to/renamed");
        Client.Link("to/renamed", "to/linked");
        Assert.Equal(new[] { Volume.Name + "/to/renamed", "FltInvalidNameRequest", Volume.Name + "/to/linked", "FltInvalidNameRequest" }, names);
    }

    [Fact]
    public void ThereIsNeverATunneledName()
    {
        var (st, tunneled) = InPostCreate("a", (d, o) =>
        {
            d.GetFileNameInformation(Normalized, out var n);
            NtStatus s = d.GetTunneledName(n!, out var t);
            n!.Release();
            return (s, t);
        });
        Assert.Equal(NtStatus.Success, st);
        Assert.Null(tunneled);
    }

    /// <summary>A NameChanger-like provider: the real /A/B is shown as /X/Y to the filters above it.</summary>
    private static NtStatus NameChanger(Instance instance, FileObject fo, CallbackData? data, NameOptions options, out bool cacheIt, FileNameControl name)
    {
        cacheIt = true;
        NtStatus st = instance.GetFileNameInformationUnsafe(fo, (options & NameOptions.FormatMask) | NameOptions.QueryFileSystemOnly, out var real);
        if (!st.IsSuccess()) return st;
        string vol = instance.Volume.Name;
        string path = real!.Name[vol.Length..];
        real.Release();
        if (path == "/A/B" || path.StartsWith("/A/B/", StringComparison.Ordinal)) path = "/X/Y" + path[4..];
        name.Name.Append(vol).Append(path);
        return NtStatus.Success;
    }

    [Fact]
    public void ANameProviderShowsItsNamesToTheFiltersAboveItAndTheRealNamesStayBelow()
    {
        Directory.CreateDirectory(InBacking("A/B"));
        var above = Register("Above", "380000");
        Register("NameChanger", "370120", generate: NameChanger);
        var below = Register("Below", "360000");
        var seen = new List<string>();
        foreach (var f in new[] { above, below })
            f.Post = (d, o) =>
            {
                if (d.Iopb.MajorFunction != MajorFunction.Create) return;
                d.GetFileNameInformation(Normalized, out var n);
                seen.Add(n!.Name);
                n.Release();
            };
        var fo = Open("A/B/file");
        Assert.Equal(new[] { Volume.Name + "/A/B/file", Volume.Name + "/X/Y/file" }, seen);   // posts run low to high
        Client.CloseHandle(fo);
    }

    [Fact]
    public void WhenGenerateDeclinesNormalizedEachComponentIsNormalizedAndTheContextCleanedUp()
    {
        Directory.CreateDirectory(InBacking("d"));
        var calls = new List<string>();
        int cleanups = 0;
        GenerateFileNameCallback generate = (Instance i, FileObject fo, CallbackData? d, NameOptions o, out bool cache, FileNameControl n) =>
        {
            cache = false;
            if ((o & NameOptions.FormatMask) == NameOptions.Normalized) return NtStatus.NotSupported;
            n.Name.Append(i.Volume.Name).Append("/d/file");
            return NtStatus.Success;
        };
        NormalizeNameComponentCallback normalize = (Instance i, FileObject? fo, string parent, int volLen, string component, out string? expanded, NormalizeNameFlags fl, ref object? ctx) =>
        {
            ctx ??= new object();
            calls.Add(parent[volLen..] + "|" + component);
            expanded = component.ToUpperInvariant();
            return NtStatus.Success;
        };
        Register("Provider", "370000", generate: generate, normalize: normalize, cleanup: (ref object? c) => { cleanups++; c = null; });
        var top = Register("Top", "380000");
        string name = InPostCreate("d/file", (d, o) =>
        {
            d.GetFileNameInformation(Normalized, out var n);
            string s = n!.Name;
            n.Release();
            return s;
        }, top);
        Assert.Equal(Volume.Name + "/D/FILE", name);
        Assert.Equal(new[] { "/|d", "/D/|file" }, calls);
        Assert.Equal(1, cleanups);
    }
}

/// <summary>Hot paths measured without the verifier (it allocates by design).</summary>
public sealed class HotPathAllocationTests : LoopbackStack
{
    public HotPathAllocationTests() : base(verifier: false) { }

    [Fact]
    public void ANameCacheHitAllocatesNothing()
    {
        var f = Register("Names", "370000");
        var fo = Open("a");
        f.Instance.GetFileNameInformationUnsafe(fo, NameOptions.Normalized | NameOptions.QueryDefault, out var warm);
        warm!.Release();
        for (int i = 0; i < 10; i++) { f.Instance.GetFileNameInformationUnsafe(fo, NameOptions.Normalized | NameOptions.QueryDefault, out var n); n!.Release(); }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) { f.Instance.GetFileNameInformationUnsafe(fo, NameOptions.Normalized | NameOptions.QueryDefault, out var n); n!.Release(); }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Client.CloseHandle(fo);
    }

    [Fact]
    public void GettingAStreamContextAllocatesNothing()
    {
        var f = Register("Ctx", "370000", new[] { new ContextRegistration(ContextType.Stream, 8) });
        var fo = Open("a");
        f.Filter.AllocateContext(ContextType.Stream, 8, out CountingContext? c);
        f.Instance.SetStreamContext(fo, ContextSetOperation.KeepIfExists, c!);
        c!.Release();
        for (int i = 0; i < 10; i++) { f.Instance.GetStreamContext(fo, out CountingContext? w); w!.Release(); }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) { f.Instance.GetStreamContext(fo, out CountingContext? w); w!.Release(); }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Client.CloseHandle(fo);
    }
}
