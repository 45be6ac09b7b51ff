// Node identity through a real mount: the names filters see on every open, and a freed node whose id is reused never
// shows what belonged to the old one.
using System.Collections.Concurrent;
using System.Text;

namespace Altitude.Fuse.Tests;

public class NodeIdentityTests : MountTestBase
{
    /// <summary>A scanner's pre-create extension check: denies every open of a *.doc, with or without O_CREAT.</summary>
    private void AddDocBlocker(ConcurrentQueue<string> seen)
    {
        AddFilter("NoDoc", "320000", new OperationRegistration(MajorFunction.Create, 0,
            (CallbackData d, in RelatedObjects o, out object? c) =>
            {
                c = null;
                string name = NameOf(d);
                seen.Enqueue(name);
                if (!name.EndsWith(".doc", StringComparison.Ordinal)) return PreOperationStatus.SuccessNoCallback;
                d.IoStatus = new IoStatusBlock(NtStatus.AccessDenied, 0);
                return PreOperationStatus.Complete;
            }, null));
    }

    [MountFact]
    public void CatOfAnExistingDocIsSeenByAPreCreateExtensionCheck()
    {
        Directory.CreateDirectory(B("sub"));
        File.WriteAllText(B("sub/existing.doc"), "macro");
        File.WriteAllText(B("sub/existing.txt"), "text");
        var seen = new ConcurrentQueue<string>();
        AddDocBlocker(seen);
        Mount();
        // An open of an existing file (FUSE OPEN, no O_CREAT) carries the node's name, so the check sees it.
        var r = Sh($"cat {M("sub/existing.doc")}");
        Assert.NotEqual(0, r.Exit);
        Assert.Contains("Permission denied", r.Err);
        Assert.Contains("existing.doc", seen);
        Assert.Equal("text", ShOk($"cat {M("sub/existing.txt")}"));
        // The same check on a create (FUSE CREATE, O_CREAT): the same name form, a component of its directory.
        var create = Sh($"echo x > {M("sub/new.doc")}");
        Assert.NotEqual(0, create.Exit);
        Assert.Contains("new.doc", seen);
        Assert.False(File.Exists(B("sub/new.doc")));
    }

    [MountFact]
    public void TheOpenedNameOfAnOpenByNodeIsItsPathAndOpendirOfTheRootHasNoName()
    {
        Directory.CreateDirectory(B("d1/d2"));
        File.WriteAllText(B("d1/d2/f.txt"), "f");
        var opened = new ConcurrentQueue<string>();
        var rootNames = new ConcurrentQueue<string>();
        AddFilter("Names", "320000", new OperationRegistration(MajorFunction.Create, 0, null,
            (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
            {
                if (!d.IoStatus.Status.IsSuccess()) return PostOperationStatus.FinishedProcessing;
                if (d.Iopb.TargetFileObject!.NodeId == NodeTable.RootId) { rootNames.Enqueue(NameOf(d)); return PostOperationStatus.FinishedProcessing; }
                if (d.GetFileNameInformation(NameOptions.Opened | NameOptions.QueryDefault, out FileNameInformation? info).IsSuccess())
                {
                    opened.Enqueue(info!.Name[info.Volume.Length..]);
                    info.Release();
                }
                return PostOperationStatus.FinishedProcessing;
            }));
        Mount();
        Assert.Equal("f", ShOk($"cat {M("d1/d2/f.txt")}"));
        ShOk($"ls {MountPoint} > /dev/null");
        Assert.Contains("/d1/d2/f.txt", opened);
        Assert.NotEmpty(rootNames);
        Assert.All(rootNames, n => Assert.Equal("", n));
    }

    [MountFact]
    public void ANameQueryAfterTheNodeIsFreedAndItsSlotReusedShowsTheNewName()
    {
        File.WriteAllText(B("first.txt"), "1");
        File.WriteAllText(B("second.txt"), "2");
        var names = new ConcurrentQueue<(ulong Node, string Name)>();
        // Post-getattr (an operation by node, no name of its own): the normalized name, which the cache keeps by node.
        AddFilter("ByNode", "320000", new OperationRegistration(MajorFunction.QueryInformation, 0, null,
            (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
            {
                FileObject fo = d.Iopb.TargetFileObject!;
                if (fo.NodeId == NodeTable.RootId || !d.IoStatus.Status.IsSuccess()) return PostOperationStatus.FinishedProcessing;
                if (d.GetFileNameInformation(NameOptions.Normalized | NameOptions.QueryDefault, out FileNameInformation? info).IsSuccess())
                {
                    string name = info!.Name[info.Volume.Length..];
                    names.Enqueue((fo.NodeId, name));
                    info.Release();
                }
                return PostOperationStatus.FinishedProcessing;
            }));
        var v = Mount(new FuseVolumeOptions { CacheTimeout = TimeSpan.Zero });   // every stat reaches the filter
        ShOk($"stat {M("first.txt")} > /dev/null");
        WaitUntil(() => !names.IsEmpty, "the first name query");
        Assert.True(names.TryPeek(out var first));
        Assert.Equal("/first.txt", first.Name);
        ulong node = first.Node;
        ulong generation = v.Volume.Nodes!.Generation(node);
        // Removed behind the volume's back (no rename or delete through it invalidates the name), then the kernel drops its
        // unused inodes and FORGETs the node, which frees its slot.
        File.Delete(B("first.txt"));
        WaitUntil(() =>
        {
            File.WriteAllText("/proc/sys/vm/drop_caches", "2");
            return v.Volume.Nodes!.Generation(node) == 0;
        }, "the FORGET that frees the first node");
        int before = names.Count;
        ShOk($"stat {M("second.txt")} > /dev/null");
        WaitUntil(() => names.Count > before, "the second name query");
        var second = names.ToArray()[before];
        Assert.Equal(node, second.Node);                                  // the slot was reused (LIFO free list)...
        Assert.NotEqual(generation, v.Volume.Nodes!.Generation(node));    // ...with a new generation...
        Assert.Equal("/second.txt", second.Name);                         // ...and the cached old name did not survive
    }
}
