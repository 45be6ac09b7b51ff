// The namespace samples through a real mount: SimRep redirects opens under one path to another, NameChanger shows a
// real directory under a virtual name. Programs (cat, ls, mv, ln, stat) drive them; the backing directory shows
// where the operations really went.
using Altitude.Samples.NameChanger;
using Altitude.Samples.SimRep;

namespace Altitude.Fuse.Tests;

public sealed class NamespaceSampleTests : MountTestBase
{
    private void MakeSimRepTree()
    {
        Directory.CreateDirectory(B("a/b/sub"));
        Directory.CreateDirectory(B("x"));
        File.WriteAllText(B("a/b/file"), "the new mapping\n");
        File.WriteAllText(B("a/b/sub/deep"), "deep\n");
    }

    [MountFact]
    public void SimRepRedirectsOpensUnderTheOldMappingToTheNewOne()
    {
        MakeSimRepTree();
        var simrep = new SimRepFilter();
        Assert.Equal(NtStatus.Success, simrep.Register(Manager));
        Mount();
        Assert.Equal("the new mapping\n", ShOk($"cat {M("x/y/file")}"));
        Assert.Equal("deep\n", ShOk($"cat {M("x/y/sub/deep")}"));
        Assert.Equal("file\nsub\n", ShOk($"ls {M("x/y")}"));
        ShOk($"echo created > {M("x/y/created")}; mkdir {M("x/y/made")}");
        Assert.Equal("created\n", File.ReadAllText(B("a/b/created")));
        Assert.True(Directory.Exists(B("a/b/made")));
        Assert.False(Directory.Exists(B("x/y")));   // nothing was made under the old name
        // The new mapping is still reachable under its own name, before and after the old one.
        Assert.Equal("the new mapping\n", ShOk($"cat {M("a/b/file")}"));
        Assert.Equal("created\n", ShOk($"cat {M("x/y/created")}"));
        Assert.True(simrep.RedirectedCount > 0);
        // Outside the old mapping nothing moves: x itself and names beside y are the real ones.
        ShOk($"echo beside > {M("x/z")}");
        Assert.Equal("beside\n", File.ReadAllText(B("x/z")));
    }

    /// <summary>
    /// The kernel resolves a rename's or link's destination directory through the redirected entry, so they land in the
    /// new mapping with either RemapRenamesAndLinks setting (docs/deviations.md section 19); with it set the filter is
    /// also a pass-through name provider, which must leave the names the filters see unchanged.
    /// </summary>
    [MountTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void SimRepSendsRenamesAndLinksIntoTheOldMappingToTheNewOne(bool remapRenamesAndLinks)
    {
        MakeSimRepTree();
        File.WriteAllText(B("loose"), "loose\n");
        File.WriteAllText(B("other"), "other\n");
        var simrep = new SimRepFilter();
        Assert.Equal(NtStatus.Success, simrep.Register(Manager, remapRenamesAndLinks: remapRenamesAndLinks));
        Assert.Equal(remapRenamesAndLinks, simrep.Filter!.Registration.GenerateFileName is not null);
        var names = new List<string>();
        AddFilter("Above", "380000", new OperationRegistration(MajorFunction.Create, OperationRegistrationFlags.None, null,
            (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
            {
                if (d.IoStatus.Status.IsSuccess() && d.GetFileNameInformation(NameOptions.Normalized | NameOptions.QueryDefault, out var n).IsSuccess())
                {
                    lock (names) names.Add(n!.Name[o.Volume.Name.Length..]);
                    n.Release();
                }
                return PostOperationStatus.FinishedProcessing;
            }));
        Mount();
        ShOk($"mv {M("loose")} {M("x/y/moved")}; ln {M("other")} {M("x/y/linked")}");
        Assert.Equal("loose\n", File.ReadAllText(B("a/b/moved")));
        Assert.Equal("other\n", File.ReadAllText(B("a/b/linked")));
        Assert.Equal("2", ShOk($"stat -c %h {B("other")}").Trim());
        Assert.Equal("loose\n", ShOk($"cat {M("x/y/moved")}"));
        // A filter above sees the file under the name it was redirected to, as after a reparse on Windows.
        lock (names) Assert.Contains("/a/b/moved", names);
        lock (names) Assert.DoesNotContain(names, n => n.StartsWith("/x/y", StringComparison.Ordinal));
    }

    [MountFact]
    public void SimRepRefusesMappingsInsideEachOther()
    {
        Assert.Equal(NtStatus.InvalidParameter, new SimRepFilter().Register(Manager, "/a", "/a/b"));
        Assert.Equal(NtStatus.InvalidParameter, new SimRepFilter().Register(Manager, "/", "/a/b"));
    }

    private void MakeNameChangerTree()
    {
        Directory.CreateDirectory(B("A/B/inner"));
        Directory.CreateDirectory(B("X"));
        File.WriteAllText(B("A/B/f"), "real contents\n");
        File.WriteAllText(B("A/other"), "stays\n");
        File.WriteAllText(B("X/beside"), "beside\n");
    }

    [MountFact]
    public void NameChangerShowsTheRealDirectoryUnderTheVirtualNameAndHidesTheRealName()
    {
        MakeNameChangerTree();
        Assert.Equal(NtStatus.Success, new NameChangerFilter().Register(Manager));
        Mount();
        Assert.Equal("Y\nbeside\n", ShOk($"ls {M("X")}"));
        Assert.Equal("other\n", ShOk($"ls {M("A")}"));
        Assert.Equal("f\ninner\n", ShOk($"ls {M("X/Y")}"));
        Assert.Equal("real contents\n", ShOk($"cat {M("X/Y/f")}"));
        Assert.NotEqual(0, Sh($"cat {M("A/B/f")}").Exit);
        Assert.NotEqual(0, Sh($"stat {M("A/B")}").Exit);
        Assert.Equal("directory", ShOk($"stat -c %F {M("X/Y")}").Trim());
        // Writes through the virtual name land in the real directory; the real name cannot be created again.
        ShOk($"echo new > {M("X/Y/new")}; mkdir {M("X/Y/inner/deeper")}; mv {M("X/Y/new")} {M("X/Y/inner/renamed")}");
        Assert.Equal("new\n", File.ReadAllText(B("A/B/inner/renamed")));
        Assert.True(Directory.Exists(B("A/B/inner/deeper")));
        Assert.False(Directory.Exists(B("X/Y")));
        var mkdir = Sh($"mkdir {M("A/B")}");
        Assert.NotEqual(0, mkdir.Exit);
        Assert.Contains("Permission denied", mkdir.Err);
        // Neither mapping can be renamed or removed.
        Assert.NotEqual(0, Sh($"mv {M("X/Y")} {M("X/Z")}").Exit);
        Assert.NotEqual(0, Sh($"rmdir {M("X/Y/inner/deeper")} && rmdir {M("X/Y")}").Exit);
        Assert.True(Directory.Exists(B("A/B")));
        // A listing of the rest is untouched.
        Assert.Equal("beside\n", ShOk($"cat {M("X/beside")}"));
        Assert.Equal("stays\n", ShOk($"cat {M("A/other")}"));
    }

    [MountFact]
    public void TheFiltersAboveNameChangerSeeTheVirtualNamesAndTheFiltersBelowTheRealOnes()
    {
        MakeNameChangerTree();
        var above = new List<string>();
        var below = new List<string>();
        PostOperationCallback Recorder(List<string> into) => (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
        {
            if (d.IoStatus.Status.IsSuccess() && d.GetFileNameInformation(NameOptions.Normalized | NameOptions.QueryDefault, out var n).IsSuccess())
            {
                lock (into) into.Add(n!.Name[o.Volume.Name.Length..]);
                n.Release();
            }
            return PostOperationStatus.FinishedProcessing;
        };
        AddFilter("Above", "380000", new OperationRegistration(MajorFunction.Create, OperationRegistrationFlags.None, null, Recorder(above)));
        var nameChanger = new NameChangerFilter();
        Assert.Equal(NtStatus.Success, nameChanger.Register(Manager));
        AddFilter("Below", "360000", new OperationRegistration(MajorFunction.Create, OperationRegistrationFlags.None, null, Recorder(below)));
        Mount();
        ShOk($"cat {M("X/Y/f")} > /dev/null; echo x > {M("X/Y/inner/g")}");
        lock (above)
        {
            Assert.Contains("/X/Y/f", above);
            Assert.Contains("/X/Y/inner/g", above);
            Assert.DoesNotContain(above, n => n.StartsWith("/A/B", StringComparison.Ordinal));
        }
        Assert.True(nameChanger.NormalizedComponents > 0);   // normalized names are built component by component
        lock (below)
        {
            Assert.Contains("/A/B/f", below);
            Assert.Contains("/A/B/inner/g", below);
            Assert.DoesNotContain(below, n => n.StartsWith("/X/Y", StringComparison.Ordinal));
        }
    }

    [MountFact]
    public void NameChangerDoesNotAttachWithoutTheRealDirectory()
    {
        Directory.CreateDirectory(B("X"));
        var filter = new NameChangerFilter();
        Assert.Equal(NtStatus.Success, filter.Register(Manager));
        Mount();
        Assert.Empty(filter.Filter!.Instances);
        Assert.Equal("", ShOk($"ls {M("X")}"));
    }
}
