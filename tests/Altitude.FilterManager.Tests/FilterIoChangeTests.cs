// Volume.FilterIoChanged: what a filter's own I/O changed, as the engine reports it to front-ends that cache (the
// FUSE bridge turns it into kernel cache notifications). Only generated, successful operations report.
using System.Text;

namespace Altitude.Tests;

public sealed class FilterIoChangeTests : LoopbackStack
{
    private readonly TestMiniFilter scanner;
    private readonly List<string> changes = new();

    public FilterIoChangeTests()
    {
        scanner = Register("Scanner", "370000");
        Volume.FilterIoChanged += (Volume v, in FilterIoChange c) =>
        {
            lock (changes) changes.Add($"{c.Kind} {c.DirectoryNodeId} {Encoding.UTF8.GetString(c.Name)} node={(c.NodeId != 0 ? "set" : "0")} {c.Offset}+{c.Length}");
        };
    }

    private string[] Changes() { lock (changes) { var a = changes.ToArray(); changes.Clear(); return a; } }

    private FileObject FilterOpen(string path, int flags, uint mode = 0x1A4)
    {
        Assert.Equal(NtStatus.Success, scanner.Filter.CreateFile(Volume, scanner.Instance, path, flags, mode, out var fo, out _));
        return fo!;
    }

    [Fact]
    public void AFilterRenameReportsBothNamesAndTheNode()
    {
        Directory.CreateDirectory(InBacking("a"));
        Directory.CreateDirectory(InBacking("quarantine"));
        File.WriteAllText(InBacking("a/virus.txt"), "v");
        FileObject fo = FilterOpen("a/virus.txt", OpenFlags.O_RDONLY);
        Assert.Empty(Changes());   // opening changes nothing
        var p = new SetFileInformationParameters
        {
            FileInformationClass = FileInformationClass.FileRenameInformationEx,
            RenameFlags = RenameFlags.ReplaceIfExists | RenameFlags.PosixSemantics,
            DestinationName = Encoding.UTF8.GetBytes("quarantine/virus.txt"),
        };
        Assert.Equal(NtStatus.Success, scanner.Instance.SetInformationFile(fo, p));
        Assert.Equal(new[]
        {
            "Name 0 a/virus.txt node=set 0+0",
            "Name 0 quarantine/virus.txt node=set 0+0",
            "Attributes 0 quarantine/virus.txt node=set 0+0",
        }, Changes());
        scanner.Filter.Close(fo);
        Assert.Empty(Changes());
    }

    [Fact]
    public void AFilterCreateAndWriteReportTheNewNameAndTheWrittenRange()
    {
        FileObject fo = FilterOpen("report.txt", OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL);
        Assert.Equal(NtStatus.Success, scanner.Instance.WriteFile(fo, 10, Encoding.UTF8.GetBytes("hello"), FilterIoFlags.None, out _));
        Assert.Equal(new[] { "Name 0 report.txt node=set 0+0", "Data 0 report.txt node=set 10+5" }, Changes());
        scanner.Filter.Close(fo);
    }

    [Fact]
    public void AFilterDeleteReportsTheDeletedNameWithItsNode()
    {
        File.WriteAllText(InBacking("gone.txt"), "g");
        FileObject fo = FilterOpen("gone.txt", OpenFlags.O_RDONLY);
        var p = new SetFileInformationParameters
        {
            FileInformationClass = FileInformationClass.FileDispositionInformationEx,
            DispositionFlags = DispositionFlags.Delete | DispositionFlags.PosixSemantics,
        };
        Assert.Equal(NtStatus.Success, scanner.Instance.SetInformationFile(fo, p));
        Assert.Equal(new[] { "NameDeleted 0 gone.txt node=set 0+0" }, Changes());
        scanner.Filter.Close(fo);
    }

    [Fact]
    public void FailedFilterIoAndIoFromOutsideTheFiltersReportNothing()
    {
        var p = new SetFileInformationParameters
        {
            FileInformationClass = FileInformationClass.FileRenameInformationEx,
            RenameFlags = RenameFlags.PosixSemantics,
            DestinationName = Encoding.UTF8.GetBytes("b"),
        };
        var missing = new FileObject(Volume) { FileName = Encoding.UTF8.GetBytes("missing"), Flags = FileObjectFlags.Transient };
        Assert.NotEqual(NtStatus.Success, scanner.Instance.SetInformationFile(missing, p));
        FileObject fo = Open("client.txt");   // VolumeClient: not filter I/O
        Assert.True(Client.Write(fo, Encoding.UTF8.GetBytes("x"), 0, out _).IsSuccess());
        Client.CloseHandle(fo);
        Assert.Empty(Changes());
    }

    [Fact]
    public void InvalidateCachedInformationReportsTheNameAndTheNodeOrEverything()
    {
        // Instance.InvalidateCachedInformation (the StableInformation extension) goes out through the same channel.
        File.WriteAllText(InBacking("f.txt"), "f");
        FileObject fo = FilterOpen("f.txt", OpenFlags.O_RDONLY);
        Assert.Equal(NtStatus.Success, scanner.Instance.InvalidateCachedInformation(fo));
        Assert.Equal(new[] { "Name 0 f.txt node=0 0+0", "Attributes 0 f.txt node=set 0+0" }, Changes());
        Assert.Equal(NtStatus.Success, scanner.Instance.InvalidateCachedInformation(null));
        Assert.Equal(new[] { "Everything 0  node=0 0+0" }, Changes());
        scanner.Filter.Close(fo);
    }

    [Fact]
    public void InvalidateCachedInformationRefusesAnotherVolumesObjectAndADetachedInstance()
    {
        var other = Manager.AddVolume(new FakeFileSystem());
        var foreign = new FileObject(other);
        Assert.Equal(NtStatus.InvalidParameter, scanner.Instance.InvalidateCachedInformation(foreign));
        Assert.Equal(NtStatus.Success, scanner.Filter.DetachVolume(Volume, null));
        Assert.Equal(NtStatus.FltDeletingObject, scanner.Instance.InvalidateCachedInformation(null));
        Assert.Empty(Changes());
    }

    [Theory]
    [InlineData(MajorFunction.Read, false)]
    [InlineData(MajorFunction.Create, false)]
    [InlineData(MajorFunction.DirectoryControl, false)]
    [InlineData(MajorFunction.QueryInformation, true)]
    [InlineData(MajorFunction.NetworkQueryOpen, true)]
    public void StableInformationIsAcceptedOnQueryRowsOnly(MajorFunction major, bool accepted)
    {
        var registration = new FilterRegistration
        {
            OperationRegistration = new[] { new OperationRegistration(major, OperationRegistrationFlags.StableInformation,
                (CallbackData d, in RelatedObjects o, out object? c) => { c = null; return PreOperationStatus.SuccessNoCallback; }, null) },
        };
        NtStatus status = Manager.RegisterFilter(FilterConfiguration.Single("Stable" + major, "360000"), registration, out Filter? filter);
        Assert.Equal(accepted ? NtStatus.Success : NtStatus.InvalidParameter, status);
        Assert.Equal(accepted, filter is not null);
        filter?.Unregister();
    }
}
