// Filters seen through the mount: what a minifilter does to an operation is what a program on the mount observes.
using System.Text;

namespace Altitude.Fuse.Tests;

public class FilterTests : MountTestBase
{

    [MountFact]
    public void DenyingExeCreationMakesTouchFailWithEacces()
    {
        AddFilter("NoExe", "320000", new OperationRegistration(MajorFunction.Create, 0,
            (CallbackData d, in RelatedObjects o, out object? c) =>
            {
                c = null;
                if (!NameOf(d).EndsWith(".exe", StringComparison.Ordinal) || d.Iopb.Parameters.Create.Disposition == CreateDisposition.Open)
                    return PreOperationStatus.SuccessNoCallback;
                d.IoStatus = new IoStatusBlock(NtStatus.AccessDenied, 0);
                return PreOperationStatus.Complete;
            }, null));
        Mount();
        var r = Sh($"touch {M("x.exe")}");
        Assert.NotEqual(0, r.Exit);
        Assert.Contains("Permission denied", r.Err);
        Assert.False(File.Exists(B("x.exe")));
        ShOk($"touch {M("x.txt")}");
        Assert.True(File.Exists(B("x.txt")));
    }

    [MountFact]
    public void HidingANameRemovesItFromLsAndStat()
    {
        File.WriteAllText(B("secret.txt"), "s");
        File.WriteAllText(B("public.txt"), "p");
        byte[] secret = Utf8("secret.txt");
        AddFilter("Hide", "320000",
            new OperationRegistration(MajorFunction.NetworkQueryOpen, 0,
                (CallbackData d, in RelatedObjects o, out object? c) =>
                {
                    c = null;
                    if (!d.Iopb.TargetFileObject!.FileName.Span.SequenceEqual(secret)) return PreOperationStatus.SuccessNoCallback;
                    d.IoStatus = new IoStatusBlock(NtStatus.ObjectNameNotFound, 0);
                    return PreOperationStatus.Complete;
                }, null),
            new OperationRegistration(MajorFunction.DirectoryControl, 0, null,
                (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
                {
                    DirectoryEntryList? list = d.Iopb.Parameters.DirectoryControl.Entries;
                    int i = list?.IndexOf(secret) ?? -1;
                    if (i >= 0) list!.RemoveAt(i);
                    return PostOperationStatus.FinishedProcessing;
                }));
        var v = Mount();
        Assert.Equal(0ul, v.EntryTimeoutSeconds);   // a lookup filter turns the entry cache off
        string listing = ShOk($"ls -a {MountPoint}");
        Assert.Contains("public.txt", listing);
        Assert.DoesNotContain("secret", listing);
        var stat = Sh($"stat {M("secret.txt")}");
        Assert.NotEqual(0, stat.Exit);
        Assert.Contains("No such file", stat.Err);
        Assert.True(File.Exists(B("secret.txt")));
    }

    [MountFact]
    public void ChangingReadDataChangesWhatCatPrints()
    {
        File.WriteAllText(B("story.txt"), "quiet words\n");
        AddFilter("Shout", "320000", new OperationRegistration(MajorFunction.Read, 0, null,
            (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
            {
                if (!d.IoStatus.Status.IsSuccess()) return PostOperationStatus.FinishedProcessing;
                Span<byte> data = d.Iopb.Parameters.Read.ReadBuffer.Span[..(int)d.IoStatus.Information];
                for (int i = 0; i < data.Length; i++) if (data[i] is >= (byte)'a' and <= (byte)'z') data[i] -= 32;
                return PostOperationStatus.FinishedProcessing;
            }));
        var v = Mount();
        Assert.False(v.PassthroughActive);   // a data filter turns passthrough off
        Assert.Equal("QUIET WORDS\n", ShOk($"cat {M("story.txt")}"));
        Assert.Equal("quiet words\n", File.ReadAllText(B("story.txt")));
    }

    [MountFact]
    public void PreAndPostOrderAcrossThreeFilters()
    {
        var order = new List<string>();
        foreach (var (name, altitude) in new[] { ("Top", "330000"), ("Middle", "320000"), ("Bottom", "310000") })
        {
            string n = name;
            AddFilter(n, altitude, new OperationRegistration(MajorFunction.Create, 0,
                (CallbackData d, in RelatedObjects o, out object? c) =>
                {
                    c = null;
                    if (NameOf(d) == "ordered") lock (order) order.Add("pre " + n);
                    return PreOperationStatus.SuccessWithCallback;
                },
                (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
                {
                    if (NameOf(d) == "ordered") lock (order) order.Add("post " + n);
                    return PostOperationStatus.FinishedProcessing;
                }));
        }
        Mount();
        ShOk($"echo x > {M("ordered")}");
        lock (order)
            Assert.Equal(["pre Top", "pre Middle", "pre Bottom", "post Bottom", "post Middle", "post Top"], order);
    }

    [MountFact]
    public void InterruptCancelsAPendedRead()
    {
        File.WriteAllText(B("slow"), "data");
        int cancelled = 0, pended = 0;
        AddFilter("Slow", "320000", new OperationRegistration(MajorFunction.Read, 0,
            (CallbackData d, in RelatedObjects o, out object? c) =>
            {
                c = null;
                // Never completes by itself: only the requestor's INTERRUPT (or the pending watchdog) ends it.
                d.SetCancelCompletion(op =>
                {
                    Interlocked.Increment(ref cancelled);
                    op.Complete(NtStatus.Cancelled);
                });
                Interlocked.Increment(ref pended);
                return PreOperationStatus.Pending;
            }, null));
        Mount();
        // O_DIRECT makes the READ synchronous: the kernel sends INTERRUPT only for requests a caller waits on.
        // env resets SIGINT to its default action: a test run started in the background by a non-interactive shell
        // inherits it ignored (then dd would ignore it too, and no INTERRUPT would be sent).
        var psi = new System.Diagnostics.ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (string a in new[] { "--default-signal=INT", "dd", $"if={M("slow")}", "of=/dev/null", "bs=4096", "count=1", "iflag=direct" }) psi.ArgumentList.Add(a);
        using var dd = System.Diagnostics.Process.Start(psi)!;
        try
        {
            // The READ is with the daemon once the filter pended it: a signal now makes the kernel send INTERRUPT
            // (a signal before that would end dd without any request to cancel).
            WaitUntil(() => Volatile.Read(ref pended) > 0 || dd.HasExited, "the READ reaches the filter");
            Assert.False(dd.HasExited, "dd finished although its READ never completes by itself");
            Assert.Equal(0, Volatile.Read(ref cancelled));
            Run("kill", ["-INT", dd.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            // The kernel waits for the answer to a READ the daemon has: dd exits once the cancel routine completed it.
            Assert.True(dd.WaitForExit(60_000), "dd exits after its interrupted READ is completed");
            Assert.NotEqual(0, dd.ExitCode);
        }
        finally
        {
            if (!dd.HasExited) dd.Kill();
        }
        Assert.Equal(1, Volatile.Read(ref cancelled));
        ShOk($"ls {MountPoint}");   // the mount still serves
    }

    [MountFact]
    public void AttachingAFilterAfterMountTurnsTheFastPathsOff()
    {
        File.WriteAllText(B("f.txt"), "abc\n");
        var v = Mount();
        Assert.True(v.EntryTimeoutSeconds > 0);
        Assert.Equal("abc\n", ShOk($"cat {M("f.txt")}"));
        int reads = 0;
        AddFilter("Late", "320000", new OperationRegistration(MajorFunction.Read, 0,
            (CallbackData d, in RelatedObjects o, out object? c) => { c = null; Interlocked.Increment(ref reads); return PreOperationStatus.SuccessNoCallback; }, null),
            new OperationRegistration(MajorFunction.QueryInformation, 0,
            (CallbackData d, in RelatedObjects o, out object? c) => { c = null; return PreOperationStatus.SuccessNoCallback; }, null));
        Assert.Equal(0ul, v.EntryTimeoutSeconds);
        Assert.False(v.PassthroughActive);
        // The kernel caches are invalidated from a pool thread: until that has run, a read may still be served from
        // the page cache. Every read gives the file's content; once the caches are gone, one reaches the new filter.
        WaitUntil(() =>
        {
            Assert.Equal("abc\n", ShOk($"cat {M("f.txt")}"));
            return Volatile.Read(ref reads) > 0;
        }, "the new filter sees reads of a file cached before it attached");
    }
    [MountFact]
    public void NoCacheServesAsIfAFilterWatchedEverything()
    {
        // fltmgrd --no-cache: the baseline bench/fs-workloads.sh compares three PassThrough instances with.
        File.WriteAllText(B("g.txt"), "nocache\n");
        var v = Mount(new FuseVolumeOptions { NoCache = true });
        Assert.Empty(v.Volume.Instances);
        Assert.Equal(0ul, v.EntryTimeoutSeconds);
        Assert.False(v.PassthroughActive);
        Assert.Equal("nocache\n", ShOk($"cat {M("g.txt")}"));
        File.WriteAllText(B("g.txt"), "changed below\n");   // nothing cached: the change shows at once
        Assert.Equal("changed below\n", ShOk($"cat {M("g.txt")}"));
    }
}
