// Conformance of filter-issued I/O to spec section 5, over three instances (Top 380000, Mid 370000, Bottom 360000)
// that record what they see: an operation issued with an instance reaches only the instances below it.
using System.Text;

namespace Altitude.Tests;

public sealed class FilterIoTests : LoopbackStack
{
    private readonly TestMiniFilter top, mid, bottom;

    public FilterIoTests()
    {
        top = Register("Top", "380000");
        mid = Register("Mid", "370000");
        bottom = Register("Bottom", "360000");
        foreach (var f in new[] { top, mid, bottom })
        {
            var me = f;
            f.Pre = (d, o) => { if (d.IsGeneratedIo) me.Log($"{d.Iopb.MajorFunction}"); return PreOperationStatus.SuccessWithCallback; };
        }
    }

    private void ClearLogs() { foreach (var f in new[] { top, mid, bottom }) lock (f.Seen) f.Seen.Clear(); }

    private FileObject CreateFromMid(string path, int flags = OpenFlags.O_RDWR | OpenFlags.O_CREAT)
    {
        Assert.Equal(NtStatus.Success, mid.Filter.CreateFile(Volume, mid.Instance, path, flags, 0x1A4, out var fo, out var io));
        Assert.True(io.Status.IsSuccess());
        return fo!;
    }

    [Fact]
    public void CreateFileWithAnInstanceIsSeenOnlyByTheInstancesBelowIt()
    {
        var fo = CreateFromMid("a");
        Assert.Empty(top.SeenNow());
        Assert.Empty(mid.SeenNow());
        Assert.Equal(new[] { "Create" }, bottom.SeenNow());
        Assert.Equal(NtStatus.Success, mid.Filter.Close(fo));
        Assert.Equal(new[] { "Create", "Cleanup", "Close" }, bottom.SeenNow());
        Assert.Empty(top.SeenNow());
    }

    [Fact]
    public void CreateFileWithoutAnInstanceStartsAtTheTopAndIsMarkedGenerated()
    {
        Assert.Equal(NtStatus.Success, mid.Filter.CreateFile(Volume, null, "/" + "b", OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0x1A4, out var fo, out _));
        Assert.Equal(new[] { "Create" }, top.SeenNow());
        Assert.Equal(new[] { "Create" }, mid.SeenNow());
        Assert.Equal(new[] { "Create" }, bottom.SeenNow());
        mid.Filter.Close(fo!);
    }

    [Fact]
    public void CreateFileAcceptsAFullNormalizedName()
    {
        File.WriteAllText(InBacking("full"), "x");
        Assert.Equal(NtStatus.Success, mid.Filter.CreateFile(Volume, mid.Instance, Volume.Name + "/full", OpenFlags.O_RDONLY, 0, out var fo, out _));
        mid.Filter.Close(fo!);
    }

    [Fact]
    public void ReadFileAndWriteFileAreSynchronousWithoutACallback()
    {
        var fo = CreateFromMid("data");
        Assert.Equal(NtStatus.Success, mid.Instance.WriteFile(fo, 0, Encoding.UTF8.GetBytes("hello"), FilterIoFlags.None, out int written));
        Assert.Equal(5, written);
        var buffer = new byte[16];
        Assert.Equal(NtStatus.Success, mid.Instance.ReadFile(fo, 1, buffer, FilterIoFlags.None, out int read));
        Assert.Equal("ello", Encoding.UTF8.GetString(buffer, 0, read));
        Assert.Equal(NtStatus.EndOfFile, mid.Instance.ReadFile(fo, 5, buffer, FilterIoFlags.None, out _));
        Assert.Equal(new[] { "Create", "Write", "Read", "Read" }, bottom.SeenNow());
        Assert.Empty(top.SeenNow());
        mid.Filter.Close(fo);
        Assert.Equal("hello", File.ReadAllText(InBacking("data")));
    }

    [Fact]
    public void AnAsynchronousReadReturnsPendingAndCallsItsCompletionCallback()
    {
        File.WriteAllText(InBacking("async"), "0123456789");
        var fo = CreateFromMid("async", OpenFlags.O_RDONLY);
        var done = new ManualResetEventSlim();
        long information = -1;
        bool generated = false;
        object? seenContext = null;
        var buffer = new byte[4];
        NtStatus st = mid.Instance.ReadFile(fo, 3, buffer, FilterIoFlags.None, out _, (d, ctx) =>
        {
            information = d.IoStatus.Information;
            generated = d.IsGeneratedIo;
            seenContext = ctx;
            done.Set();
        }, "ctx");
        Assert.Equal(NtStatus.Pending, st);
        Assert.True(done.Wait(60_000));
        Assert.Equal(4, information);
        Assert.True(generated);
        Assert.Equal("ctx", seenContext);
        Assert.Equal("3456", Encoding.UTF8.GetString(buffer));
        mid.Filter.Close(fo);
    }

    [Fact]
    public void DoNotUpdateByteOffsetLeavesTheFilePositionWhereItWas()
    {
        File.WriteAllText(InBacking("pos"), "0123456789");
        var fo = CreateFromMid("pos", OpenFlags.O_RDONLY);
        var buffer = new byte[3];
        mid.Instance.ReadFile(fo, -1, buffer, FilterIoFlags.None, out _);
        Assert.Equal(3, fo.CurrentByteOffset);
        mid.Instance.ReadFile(fo, -1, buffer, FilterIoFlags.DoNotUpdateByteOffset, out _);
        Assert.Equal("345", Encoding.UTF8.GetString(buffer));
        Assert.Equal(3, fo.CurrentByteOffset);
        mid.Filter.Close(fo);
    }

    [Fact]
    public void ReadFileNeedsAnOpenObjectBeforeCleanup()
    {
        var fo = CreateFromMid("c");
        mid.Instance.ReadFile(fo, 0, new byte[1], FilterIoFlags.None, out _);
        var client = Open("c");
        Client.Cleanup(client);
        Assert.Equal(NtStatus.FileClosed, mid.Instance.ReadFile(client, 0, new byte[1], FilterIoFlags.None, out _));
        Client.Close(client);
        Assert.Equal(NtStatus.InvalidParameter, mid.Instance.ReadFile(new FileObject(Volume), 0, new byte[1], FilterIoFlags.None, out _));
        mid.Filter.Close(fo);
    }

    [Fact]
    public void QueryInformationFileOnAnOpenFileWhoseNameWasRemovedGivesFileDeleted()
    {
        var fo = CreateFromMid("gone");
        Assert.Equal(NtStatus.Success, mid.Instance.QueryInformationFile(fo, FileInformationClass.FileStandardInformation, out var info));
        Assert.Equal(1u, info.LinkCount);
        Assert.Equal(NtStatus.Success, Client.Delete("gone"));
        Assert.Equal(NtStatus.FileDeleted, mid.Instance.QueryInformationFile(fo, FileInformationClass.FileStandardInformation, out _));
        // fstat keeps working on unlinked files (POSIX): the Linux class still answers.
        Assert.Equal(NtStatus.Success, mid.Instance.QueryInformationFile(fo, FileInformationClass.FileStatLxInformation, out info));
        Assert.Equal(0u, info.LinkCount);
        mid.Filter.Close(fo);
    }

    [Fact]
    public void SetInformationFileRenamesBelowTheIssuer()
    {
        var fo = CreateFromMid("before");
        var p = new SetFileInformationParameters
        {
            FileInformationClass = FileInformationClass.FileRenameInformationEx,
            RenameFlags = RenameFlags.ReplaceIfExists | RenameFlags.PosixSemantics,
            DestinationName = Encoding.UTF8.GetBytes("after"),
        };
        var transient = new FileObject(Volume) { FileName = Encoding.UTF8.GetBytes("before"), Flags = FileObjectFlags.Transient };
        Assert.Equal(NtStatus.Success, mid.Instance.SetInformationFile(transient, p));
        Assert.True(File.Exists(InBacking("after")));
        Assert.Contains("SetInformation", bottom.SeenNow());
        Assert.Empty(top.SeenNow());
        mid.Filter.Close(fo);
    }

    [Fact]
    public void QueryDirectoryFileListsTheEntries()
    {
        Directory.CreateDirectory(InBacking("dir"));
        File.WriteAllText(InBacking("dir/one"), "");
        var dir = CreateFromMid("dir", OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY);
        var entries = new DirectoryEntryList();
        Assert.Equal(NtStatus.Success, mid.Instance.QueryDirectoryFile(dir, entries));
        Assert.True(entries.IndexOf("one"u8) >= 0);
        Assert.Contains("DirectoryControl", bottom.SeenNow());
        mid.Filter.Close(dir);
    }

    [Fact]
    public void AllocatePerformSynchronousReuseAndFreeRunBelowTheIssuer()
    {
        File.WriteAllText(InBacking("cbd"), "abc");
        var fo = CreateFromMid("cbd", OpenFlags.O_RDONLY);
        ClearLogs();
        Assert.Equal(NtStatus.Success, mid.Instance.AllocateCallbackData(fo, out var d));
        d!.Iopb.MajorFunction = MajorFunction.QueryInformation;
        d.Iopb.Parameters.QueryFileInformation.FileInformationClass = FileInformationClass.FileStatLxInformation;
        Assert.Equal(NtStatus.Success, d.PerformSynchronousIo());
        Assert.Equal(3, d.Iopb.Parameters.QueryFileInformation.Stat.EndOfFile);
        d.Reuse();
        d.Iopb.MajorFunction = MajorFunction.Read;
        var buffer = new byte[3];
        d.Iopb.Parameters.Read = new ReadParameters { ByteOffset = 0, Length = 3, ReadBuffer = buffer };
        var sink = new CompletionSink();
        NtStatus st = d.PerformAsynchronousIo(sink);
        Assert.True(st == NtStatus.Success || st == NtStatus.Pending);
        Assert.True(sink.Done.Wait(60_000));
        Assert.Equal(3, sink.Status.Information);
        d.Free();
        Assert.Equal(new[] { "QueryInformation", "Read" }, bottom.SeenNow());
        Assert.Empty(top.SeenNow());
        mid.Filter.Close(fo);
    }

    [Fact]
    public void PerformAsynchronousIoGivesIoCompleteWhenALowerPreOpCompletedIt()
    {
        var fo = CreateFromMid("x");
        bottom.Pre = (d, o) =>
        {
            if (d.Iopb.MajorFunction != MajorFunction.QueryInformation) return PreOperationStatus.SuccessWithCallback;
            d.IoStatus = new IoStatusBlock(NtStatus.AccessDenied, 0);
            return PreOperationStatus.Complete;
        };
        mid.Instance.AllocateCallbackData(fo, out var d);
        d!.Iopb.MajorFunction = MajorFunction.QueryInformation;
        var sink = new CompletionSink();
        Assert.Equal(NtStatus.FltIoComplete, d.PerformAsynchronousIo(sink));
        Assert.Equal(1, sink.Calls);
        Assert.Equal(NtStatus.AccessDenied, sink.Status.Status);
        d.Reuse();
        d.Iopb.MajorFunction = MajorFunction.Create;
        Assert.Equal(NtStatus.FltInvalidAsynchronousRequest, d.PerformAsynchronousIo(sink));
        d.Free();
        bottom.Pre = null;
        mid.Filter.Close(fo);
    }

    [Fact]
    public void ReissueSynchronousIoFromAPostOpAfterSynchronizeIsSeenOnlyBelow()
    {
        File.WriteAllText(InBacking("re"), "0123456789");
        var client = Open("re", OpenFlags.O_RDONLY);
        NtStatus reissued = NtStatus.Unsuccessful;
        int bottomReads = 0, topReads = 0;
        top.Pre = (d, o) => { if (d.Iopb.MajorFunction == MajorFunction.Read) topReads++; return PreOperationStatus.SuccessWithCallback; };
        bottom.Pre = (d, o) => { if (d.Iopb.MajorFunction == MajorFunction.Read) bottomReads++; return PreOperationStatus.SuccessWithCallback; };
        mid.Pre = (d, o) => d.Iopb.MajorFunction == MajorFunction.Read ? PreOperationStatus.Synchronize : PreOperationStatus.SuccessWithCallback;
        mid.Post = (d, o) =>
        {
            if (d.Iopb.MajorFunction != MajorFunction.Read || reissued != NtStatus.Unsuccessful) return;
            d.Iopb.Parameters.Read.ByteOffset = 5;   // read elsewhere instead
            d.SetDirty();
            reissued = mid.Instance.ReissueSynchronousIo(d);
        };
        var buffer = new byte[3];
        Assert.Equal(NtStatus.Success, Client.Read(client, buffer, 0, out int read));
        Assert.Equal(NtStatus.Success, reissued);
        Assert.Equal("567", Encoding.UTF8.GetString(buffer, 0, read));
        Assert.Equal(2, bottomReads);
        Assert.Equal(1, topReads);
        Client.CloseHandle(client);
    }

    [Fact]
    public void ReissueSynchronousIoWithoutSynchronizeIsRefused()
    {
        var client = Open("nr");
        NtStatus st = NtStatus.Success;
        mid.Post = (d, o) => { if (d.Iopb.MajorFunction == MajorFunction.QueryInformation) st = mid.Instance.ReissueSynchronousIo(d); };
        Client.QueryInformation(client, out _);
        Assert.Equal(NtStatus.InvalidParameter, st);
        Client.CloseHandle(client);
    }

    [Fact]
    public void CancelFileOpenFailsTheCreateAboveAndShowsAnOpenAndACloseBelow()
    {
        var log = new List<string>();
        top.Post = (d, o) => { if (d.Iopb.MajorFunction == MajorFunction.Create) log.Add("top.post-create:" + d.IoStatus.Status); };
        bottom.Pre = (d, o) => { log.Add("bottom.pre-" + d.Iopb.MajorFunction); return PreOperationStatus.SuccessWithCallback; };
        mid.Post = (d, o) =>
        {
            if (d.Iopb.MajorFunction != MajorFunction.Create || !d.IoStatus.Status.IsSuccess()) return;
            log.Add("mid.cancel:" + mid.Instance.CancelFileOpen(o.FileObject!));
            d.IoStatus = new IoStatusBlock(NtStatus.AccessDenied, 0);
        };
        Assert.Equal(NtStatus.AccessDenied, Client.Create("denied", OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0x1A4, out var fo, out _));
        Assert.Null(fo);
        Assert.Equal(new[] { "bottom.pre-Create", "bottom.pre-Cleanup", "bottom.pre-Close", "mid.cancel:Success", "top.post-create:AccessDenied" }, log);
        Assert.Equal(1, Driver.FileSystem.NodeCount);   // only the root: the cancelled open gave its node back
    }
}
