// Node identity through a real mount: the names filters see on every open, and a freed node whose id is reused never
// shows what belonged to the old one.
using System.Collections.Concurrent;
using System.Text;

namespace Altitude.Fuse.Tests;

public class NodeIdentityTests : MountTestBase
{
    /// <summary>The node table's key of a backing file (st_dev, st_ino).</summary>
    internal static NodeKey KeyOf(string path)
    {
        string[] st = ShOk($"stat -c '%d %i' '{path}'").Trim().Split(' ');
        return new NodeKey(ulong.Parse(st[0]), ulong.Parse(st[1]));
    }

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
    public void DisallowFsFilterIoOnQueryOpenReissuesTheLookupAsAnOpenThatCreatePoliciesSee()
    {
        File.WriteAllText(B("visible.txt"), "v");
        File.WriteAllText(B("policy.doc"), "d");
        Sh($"mkfifo {B("pipe")}");
        var creates = new ConcurrentQueue<(string Name, uint Access)>();
        AddFilter("SlowPath", "320000",
            new OperationRegistration(MajorFunction.NetworkQueryOpen, 0,
                (CallbackData d, in RelatedObjects o, out object? c) => { c = null; return PreOperationStatus.DisallowFsFilterIo; }, null),
            new OperationRegistration(MajorFunction.Create, 0,
                (CallbackData d, in RelatedObjects o, out object? c) =>
                {
                    c = null;
                    creates.Enqueue((NameOf(d), d.Iopb.Parameters.Create.DesiredAccess));
                    if (!NameOf(d).EndsWith(".doc", StringComparison.Ordinal)) return PreOperationStatus.SuccessWithCallback;
                    d.IoStatus = new IoStatusBlock(NtStatus.AccessDenied, 0);
                    return PreOperationStatus.Complete;
                },
                (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
                {
                    // A policy decided after the file system opened it: the slow path's node reference must go back.
                    if (d.IoStatus.Status.IsSuccess() && NameOf(d) == "late.txt") d.IoStatus = new IoStatusBlock(NtStatus.AccessDenied, 0);
                    return PostOperationStatus.FinishedProcessing;
                }));
        File.WriteAllText(B("late.txt"), "l");
        var v = Mount();
        Assert.Contains("Permission denied", Sh($"stat {M("late.txt")}").Err);
        Assert.Equal(0UL, v.Volume.Nodes!.Find(KeyOf(B("late.txt"))));
        // stat is a lookup only; the refused fast path makes it an attributes-only open, which the create policy sees.
        Assert.Contains("regular", ShOk($"stat -c %F {M("visible.txt")}"));
        Assert.Contains(creates, c => c.Name == "visible.txt" && c.Access == (AccessMask.FileReadAttributes | AccessMask.Synchronize));
        var denied = Sh($"stat {M("policy.doc")}");
        Assert.NotEqual(0, denied.Exit);
        Assert.Contains("Permission denied", denied.Err);
        // The slow path opens for attributes only: a FIFO's open never blocks, and a missing name is still ENOENT.
        Assert.Contains("fifo", ShOk($"stat -c %F {M("pipe")}"));
        Assert.Contains("No such file", Sh($"stat {M("missing")}").Err);
        Assert.Equal("v", ShOk($"cat {M("visible.txt")}"));
        // Each slow-path lookup handed its open's node reference to the kernel: none leaked, none was given back twice.
        v.Unmount();
        UnmountReport report = Assert.NotNull(v.Report);
        Assert.Equal(1, report.NodesLeft);
        Assert.Equal(0, report.LookupUnderflows);
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
        // Dropping caches is machine-wide and costly: each drop is followed by a wait for the FORGET it causes, not a spin.
        WaitUntil(() =>
        {
            File.WriteAllText("/proc/sys/vm/drop_caches", "2");
            return SpinWait.SpinUntil(() => v.Volume.Nodes!.Generation(node) == 0, 500);
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

public class NodeLeakTests : MountTestBase
{
    private static bool Failing(ReadOnlySpan<byte> name) => name.StartsWith("fail-"u8);

    /// <summary>Fds of this process (the daemon) that point into <paramref name="directory"/>.</summary>
    private static int FdsInto(string directory)
    {
        string root = Path.GetFullPath(directory);
        int n = 0;
        foreach (string fd in Directory.GetFiles("/proc/self/fd"))
        {
            string? target = null;
            try { target = new FileInfo(fd).LinkTarget; } catch (IOException) { }
            if (target is not null && (target == root || target.StartsWith(root + "/", StringComparison.Ordinal))) n++;
        }
        return n;
    }

    [MountFact]
    public void FailingPostOpsAndAnAbortedConnectionLeaveNoLookupsAndNoFdsBehind()
    {
        File.WriteAllText(B("ok.txt"), "ok");
        File.WriteAllText(B("fail-existing.txt"), "e");
        // Every post-op below fails what the file system already did (a policy decided too late).
        AddFilter("FailAfter", "320000",
            new OperationRegistration(MajorFunction.Create, 0, null,
                (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
                {
                    if (d.IoStatus.Status.IsSuccess() && Failing(d.Iopb.TargetFileObject!.FileName.Span))
                        d.IoStatus = new IoStatusBlock(NtStatus.AccessDenied, 0);
                    return PostOperationStatus.FinishedProcessing;
                }),
            new OperationRegistration(MajorFunction.SetInformation, 0, null,
                (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
                {
                    ref SetFileInformationParameters p = ref d.Iopb.Parameters.SetFileInformation;
                    if (d.IoStatus.Status.IsSuccess() && p.FileInformationClass == FileInformationClass.FileLinkInformationEx && Failing(p.DestinationName.Span))
                        d.IoStatus = new IoStatusBlock(NtStatus.AccessDenied, 0);
                    return PostOperationStatus.FinishedProcessing;
                }));
        Assert.Equal(0, FdsInto(Backing));
        var v = Mount();
        foreach (string failing in new[]
        {
            $"mkdir {M("fail-dir")}", $"mkfifo {M("fail-fifo")}", $"ln -s ok.txt {M("fail-link")}", $"touch {M("fail-new")}",
            $"ln {M("ok.txt")} {M("fail-hard")}", $"cat {M("fail-existing.txt")}",
        })
        {
            var r = Sh(failing);
            Assert.True(r.Exit != 0, failing);
            Assert.Contains("Permission denied", r.Err);
        }
        // The file system made them, but no entry reached the kernel: the references their creation took were given back.
        NodeTable nodes = v.Volume.Nodes!;
        foreach (string made in new[] { "fail-dir", "fail-fifo", "fail-link", "fail-new" })
        {
            Assert.True(Path.Exists(B(made)) || File.ResolveLinkTarget(B(made), false) is not null, made);
            Assert.Equal(0UL, nodes.Find(NodeIdentityTests.KeyOf(B(made))));
        }
        ShOk($"mkdir {M("dir")} && touch {M("new")} && ln {M("ok.txt")} {M("hard")} && ln -s ok.txt {M("link")} && cat {M("ok.txt")} {M("hard")}");
        Assert.NotEqual(0UL, nodes.Find(NodeIdentityTests.KeyOf(B("dir"))));   // what the kernel got an entry for is live
        // A holder keeps a file open while the connection dies under it: the kernel never sends its RELEASE.
        var holder = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sh",
            new[] { "-c", $"exec 3<'{M("ok.txt")}'; echo ready; exec sleep 600" }) { RedirectStandardOutput = true })!;
        try
        {
            Assert.Equal("ready", holder.StandardOutput.ReadLine());
            Assert.Equal(1, v.OpenHandles);
            v.Server.AbortConnection();
            Assert.True(v.WaitForExit(TimeSpan.FromSeconds(60)));
        }
        finally
        {
            holder.Kill();
            holder.WaitForExit();
        }
        v.Unmount();
        UnmountReport report = Assert.NotNull(v.Report);
        Assert.Equal(1, report.HandlesClosed);      // the holder's open, closed at teardown
        Assert.Equal(1, report.NodesLeft);          // only the root: no lookup leaked, failed post-ops included
        Assert.Equal(0, report.LookupUnderflows);   // and none was given back twice
        Assert.Equal(0, FdsInto(Backing));
    }
}
