// A data-scan section handed to the FilterSendMessage caller (FltCreateSectionForDataScan + ObOpenObjectByPointer's
// role): the descriptor rides on the SendResult as SCM_RIGHTS and FilterLib writes its number into the output.
// The client is PortTestClient in its own process, so the descriptor really crosses processes.
using Altitude.FileSystem;
using Altitude.FilterLib;

namespace Altitude.Ports.Tests;

public sealed class DataScanSectionTests : IDisposable
{
    private const string PortName = @"\DataScanPort";
    private readonly string backing = Directory.CreateTempSubdirectory("altitude-datascan-").FullName;
    private readonly string ports;
    private readonly FilterManager manager;
    private readonly LoopbackDriver driver;
    private readonly VolumeClient volumeClient;
    private readonly Filter filter;
    private readonly Instance instance;
    private readonly string file;
    private readonly ManualResetEventSlim entered = new(), release = new(), disconnected = new();
    private NtStatus sendStatus = (NtStatus)(-1);
    private readonly List<NtStatus> misuse = new();

    public DataScanSectionTests()
    {
        ports = backing + "-ports";
        Directory.CreateDirectory(ports);
        File.SetUnixFileMode(ports, (UnixFileMode)0x1ED);
        file = Path.Combine(backing, "scanned.txt");
        File.WriteAllText(file, "hello section");
        manager = new FilterManager(new FilterManagerOptions { PortDirectory = ports });
        driver = new LoopbackDriver(backing);
        var volume = manager.AddVolume(driver);
        volumeClient = new VolumeClient(volume);
        var registration = new FilterRegistration
        {
            ContextRegistration = new[] { new ContextRegistration(ContextType.Section, 8) },
            FilterUnload = _ => NtStatus.Success,
        };
        Assert.Equal(NtStatus.Success, manager.RegisterFilter(FilterConfiguration.Single("DataScanTest", "265010"), registration, out var f));
        filter = f!;
        Assert.Equal(NtStatus.Success, filter.StartFiltering());
        instance = filter.Instances.Single();
        Assert.Equal(NtStatus.Success, instance.RegisterForDataScan());
        Assert.Equal(NtStatus.Success, filter.CreateCommunicationPort(new ObjectAttributes(PortName, ObjectAttributes.PortDefaults, "D:(A;;GA;;;WD)"), null,
            (ClientPort c, object? s, ReadOnlySpan<byte> ctx, out object? cookie) => { cookie = c; return NtStatus.Success; },
            _ => disconnected.Set(), Message, 1, out _));
    }

    /// <summary>
    /// "section": a section of the file opened for the caller at offset 8; "hold": the same, then waits for the test;
    /// "misuse": the same after a negative offset and one past the output, then a second handle; else "pong", no handle.
    /// </summary>
    private NtStatus Message(object? cookie, ReadOnlySpan<byte> input, Span<byte> output, out int returned)
    {
        returned = 0;
        string command = System.Text.Encoding.UTF8.GetString(input);
        if (command is not ("section" or "hold" or "misuse"))
        {
            "pong"u8.CopyTo(output);
            returned = 4;
            return NtStatus.Success;
        }
        Assert.True(volumeClient.Create("scanned.txt", OpenFlags.O_RDONLY, 0, out var fo, out _).IsSuccess());
        Assert.Equal(NtStatus.Success, filter.AllocateContext(ContextType.Section, 8, out FltContext? context));
        NtStatus st = instance.CreateSectionForDataScan(fo!, context!, out var section);
        context!.Release();
        if (!st.IsSuccess()) return st;
        "scan"u8.CopyTo(output);
        output.Slice(4, 12).Clear();
        if (command == "misuse")
        {
            misuse.Add(filter.OpenSectionForCaller(section!, -1));
            misuse.Add(filter.OpenSectionForCaller(section!, output.Length - 7));
        }
        st = filter.OpenSectionForCaller(section!, 8);
        if (command == "misuse") misuse.Add(filter.OpenSectionForCaller(section!, 8));
        returned = 16;
        if (command == "hold")
        {
            entered.Set();
            release.Wait(TimeSpan.FromSeconds(60));
        }
        // Closed before the result leaves: the caller's handle is its own open and stays valid.
        filter.CloseSectionForDataScan(section!.SectionContext);
        volumeClient.Cleanup(fo!);
        volumeClient.Close(fo!);
        sendStatus = st;
        return st;
    }

    [Fact]
    public void TheSectionArrivesAsAReadOnlyHandleAtItsOffset()
    {
        using var child = new ChildProcess(ports, PortName, null, "section", "section");
        string line = child.WaitForLine("section ");
        var parts = line.Split(' ');
        // section 0x00000000 16 fd <n> read hello section write-errno 9
        Assert.Equal("0x00000000", parts[1]);
        Assert.Equal("16", parts[2]);
        Assert.True(long.Parse(parts[4]) >= 3, line);
        Assert.Contains("read hello section write-errno 9", line);   // EBADF: opened O_RDONLY
        Assert.Equal(NtStatus.Success, sendStatus);
        Assert.True(child.WaitForExit(60_000));
        Assert.Equal(0, DescriptorsOf(file));   // the server's copy went with the send
    }

    [Fact]
    public void InsideMessageNotifyABadOffsetOrASecondHandleIsRefusedAndTheGoodOneStillArrives()
    {
        using var child = new ChildProcess(ports, PortName, null, "section", "misuse");
        string line = child.WaitForLine("section ");
        Assert.Contains("read hello section write-errno 9", line);
        Assert.Equal([NtStatus.InvalidParameter, NtStatus.InvalidParameter, NtStatus.InvalidParameter], misuse);
        Assert.Equal(NtStatus.Success, sendStatus);
        Assert.True(child.WaitForExit(60_000));
        Assert.Equal(0, DescriptorsOf(file));
    }

    [Fact]
    public void ASendWithoutAHandleIsUnchanged()
    {
        using var child = new ChildProcess(ports, PortName, null, "send", "plain");
        Assert.Equal("send 0x00000000 pong", child.WaitForLine("send "));
    }

    [Fact]
    public void AHandleForACallerThatDisconnectedIsClosedOnTheServer()
    {
        Assert.Equal(0, DescriptorsOf(file));
        using (var child = new ChildProcess(ports, PortName, null, "section", "hold"))
        {
            child.WaitForLine("sending");
            Assert.True(entered.Wait(TimeSpan.FromSeconds(60)), "MessageNotify did not run");
            // The open's descriptor, the node's O_PATH descriptor, the section, and the caller's own open queued for it.
            Assert.Equal(4, DescriptorsOf(file));
            child.Kill();
            Assert.True(child.WaitForExit(60_000));
        }
        release.Set();
        Assert.True(disconnected.Wait(TimeSpan.FromSeconds(60)), "no DisconnectNotify");
        Assert.Equal(NtStatus.Success, sendStatus);
        // The descriptor for the dead caller was closed with its failed send (the rest closed in MessageNotify).
        Assert.Equal(0, DescriptorsOf(file));
    }

    [Fact]
    public void OpenSectionForCallerOutsideMessageNotifyIsRefused()
    {
        Assert.True(volumeClient.Create("scanned.txt", OpenFlags.O_RDONLY, 0, out var fo, out _).IsSuccess());
        Assert.Equal(NtStatus.Success, filter.AllocateContext(ContextType.Section, 8, out FltContext? context));
        Assert.Equal(NtStatus.Success, instance.CreateSectionForDataScan(fo!, context!, out var section));
        Assert.Equal(NtStatus.FltContextAlreadyLinked, instance.CreateSectionForDataScan(fo!, context!, out _));
        Assert.Equal(NtStatus.Success, instance.GetSectionContext(fo!, out var found));
        Assert.Same(context, found);
        found!.Release();
        Assert.Equal(NtStatus.InvalidParameter, filter.OpenSectionForCaller(section!, 0));
        Assert.Equal(13, section!.FileSize);
        Assert.Equal(NtStatus.Success, filter.CloseSectionForDataScan(context!));
        Assert.True(section.IsClosed);
        Assert.Equal(NtStatus.InvalidParameter, filter.CloseSectionForDataScan(context!));
        context!.Release();
        volumeClient.Cleanup(fo!);
        volumeClient.Close(fo!);
    }

    /// <summary>This process's descriptors open on <paramref name="path"/> (other tests' descriptors never point at it).</summary>
    private static int DescriptorsOf(string path)
    {
        int n = 0;
        foreach (var entry in new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos())
        {
            try { if (entry.LinkTarget == path) n++; }
            catch (IOException) { }   // closed while listing
        }
        return n;
    }

    public void Dispose()
    {
        release.Set();
        filter.Unregister();
        manager.Dispose();
        driver.Dispose();
        try { Directory.Delete(backing, recursive: true); } catch (IOException) { }
        try { Directory.Delete(ports, recursive: true); } catch (IOException) { }
    }
}
