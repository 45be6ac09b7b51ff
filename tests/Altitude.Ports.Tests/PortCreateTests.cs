// FltCreateCommunicationPort and FilterConnectCommunicationPort: every status and HRESULT of spec 1.1/1.2.
using Altitude.FilterLib;

namespace Altitude.Ports.Tests;

public class PortCreateTests
{
    private static NtStatus Nop(ClientPort p, object? s, ReadOnlySpan<byte> c, out object? cookie) { cookie = null; return NtStatus.Success; }

    [Fact]
    public void CreateValidatesItsArguments()
    {
        using var host = new PortHost();
        var good = new ObjectAttributes(@"\A", ObjectAttributes.PortDefaults);
        Assert.Equal(NtStatus.InvalidParameter, host.Filter.CreateCommunicationPort(good with { Attributes = ObjectAttributeFlags.CaseInsensitive }, null, Nop, _ => { }, null, 1, out var p));
        Assert.Null(p);
        Assert.Equal(NtStatus.InvalidParameter, host.Filter.CreateCommunicationPort(good, null, Nop, _ => { }, null, 0, out _));
        Assert.Equal(NtStatus.InvalidParameter, host.Filter.CreateCommunicationPort(good, null, Nop, _ => { }, null, -1, out _));
        Assert.Equal(NtStatus.InvalidParameter, host.Filter.CreateCommunicationPort(good, null, null!, _ => { }, null, 1, out _));
        Assert.Equal(NtStatus.InvalidParameter, host.Filter.CreateCommunicationPort(good, null, Nop, null!, null, 1, out _));
        Assert.Equal(NtStatus.InvalidParameter, host.Filter.CreateCommunicationPort(good with { SecurityDescriptor = "D:(A;;GA;;;NOPE)" }, null, Nop, _ => { }, null, 1, out _));
        Assert.Equal(NtStatus.ObjectNameInvalid, host.Filter.CreateCommunicationPort(good with { ObjectName = @"\" }, null, Nop, _ => { }, null, 1, out _));
        // Only OBJ_KERNEL_HANDLE is required; the name then maps to a socket file.
        Assert.Equal(NtStatus.Success, host.Filter.CreateCommunicationPort(good with { Attributes = ObjectAttributeFlags.KernelHandle }, null, Nop, _ => { }, null, 1, out p));
        Assert.True(File.Exists(Path.Combine(host.Directory, "a")));
    }

    [Fact]
    public void DuplicateNameCollidesCaseInsensitively()
    {
        using var host = new PortHost();
        Assert.Equal(NtStatus.Success, host.Create(@"\ScannerPort"));
        Assert.True(File.Exists(Path.Combine(host.Directory, "scannerport")));
        Assert.Equal(NtStatus.ObjectNameCollision, host.Create(@"\ScannerPort"));
        Assert.Equal(NtStatus.ObjectNameCollision, host.Create(@"\SCANNERPORT"));
        // A second manager over the same directory sees the live socket file.
        using var other = new FilterManager(new FilterManagerOptions { PortDirectory = host.Directory });
        Assert.Equal(NtStatus.Success, other.RegisterFilter(FilterConfiguration.Single("Other", "370001"), new FilterRegistration(), out var f));
        Assert.Equal(NtStatus.ObjectNameCollision, f!.CreateCommunicationPort(new ObjectAttributes(@"\scannerport", ObjectAttributes.PortDefaults), null, Nop, _ => { }, null, 1, out _));
        // Closing frees the name.
        host.Filter.CloseCommunicationPort(host.Port);
        Assert.False(File.Exists(Path.Combine(host.Directory, "scannerport")));
        Assert.Equal(NtStatus.Success, host.Create(@"\ScannerPort"));
    }

    [Fact]
    public void StaleSocketFileIsReplaced()
    {
        using var host = new PortHost();
        using (var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Seqpacket, System.Net.Sockets.ProtocolType.Unspecified))
            s.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Combine(host.Directory, "testport")));
        Assert.Equal(NtStatus.Success, host.Create());
        using var h = host.Connect();
    }

    [Fact]
    public void NamesWithOtherCharactersAreEscaped()
    {
        using var host = new PortHost();
        Assert.Equal(NtStatus.Success, host.Create(@"\My Port/ü"));
        Assert.True(File.Exists(Path.Combine(host.Directory, "my%20port%2F%C3%BC")));
        using var h = host.Connect(name: @"\MY PORT/Ü");
    }

    [Fact]
    public void CreateWhileUnloadingGivesDeletingObject()
    {
        using var host = new PortHost();
        NtStatus during = NtStatus.Success;
        Assert.Equal(NtStatus.Success, host.Filter.CreateCommunicationPort(new ObjectAttributes(@"\U", ObjectAttributes.PortDefaults, "D:(A;;GA;;;WD)"), null, Nop,
            c => during = host.Filter.CreateCommunicationPort(new ObjectAttributes(@"\V", ObjectAttributes.PortDefaults), null, Nop, _ => { }, null, 1, out _),
            null, 1, out _));
        using var h = FltLib.FilterConnectCommunicationPort(@"\U", 0, default, host.Directory);
        host.Filter.Unregister();
        Assert.Equal(NtStatus.FltDeletingObject, during);
        Assert.Equal(NtStatus.FltDeletingObject, host.Filter.CreateCommunicationPort(new ObjectAttributes(@"\W", ObjectAttributes.PortDefaults), null, Nop, _ => { }, null, 1, out _));
    }

    [Fact]
    public void ConnectDeliversContextAndIdentity()
    {
        using var host = new PortHost();
        Assert.Equal(NtStatus.Success, host.Create());
        var context = new byte[65535];
        Random.Shared.NextBytes(context);
        using var h = host.Connect(context);
        Assert.True(h.IsConnected);
        Assert.Equal(context, host.LastContext);
        Assert.Equal(Environment.ProcessId, host.Client!.ProcessId);
        Assert.Equal(Libc.GetUid(), host.Client.UserId);
        Assert.Equal(Libc.GetGid(), host.Client.GroupId);
        Assert.Equal(1, host.Port!.ConnectionCount);
        // Empty context.
        using var h2 = host.Connect();
        Assert.Empty(host.LastContext!);
    }

    [Fact]
    public void ConnectFailuresGiveTheirHResults()
    {
        using var host = new PortHost();
        Assert.Equal(HResults.FileNotFound, host.TryConnect(out var h));
        Assert.Null(h);
        Assert.Equal(HResults.FileNotFound, Assert.Throws<FilterException>(() => host.Connect()).HResult);
        Assert.Equal(HResults.InvalidArgument, FltLib.TryFilterConnectCommunicationPort(PortHost.PortName, 0, new byte[65536], out _, host.Directory));
        Assert.Equal(HResults.InvalidArgument, FltLib.TryFilterConnectCommunicationPort(PortHost.PortName, 2, default, out _, host.Directory));

        // Denied by the descriptor: only a uid that is not us.
        Assert.Equal(NtStatus.Success, host.Create(sddl: "D:(A;;GA;;;S-1-22-1-4000000000)"));
        Assert.Equal(HResults.AccessDenied, host.TryConnect(out _));
        Assert.Equal(0, host.Port!.ConnectionCount);
        Assert.Null(host.LastContext);   // ConnectNotify never ran
    }

    [Theory]
    [InlineData(NtStatus.InvalidParameter, unchecked((int)0x80070057))]
    [InlineData(NtStatus.AccessDenied, unchecked((int)0x80070005))]
    [InlineData(NtStatus.InvalidParameter3, unchecked((int)0x80070057))]
    [InlineData(NtStatus.FltDoNotAttach, unchecked((int)0x801F000F))]
    [InlineData(NtStatus.BufferOverflow, unchecked((int)0x800700EA))]   // a warning does not accept a connect
    public void RejectingConnectNotifyGivesTheConvertedStatus(NtStatus status, int hresult)
    {
        using var host = new PortHost();
        Assert.Equal(NtStatus.Success, host.Create(maxConnections: 1));
        host.OnConnect = (_, _) => status;
        Assert.Equal(hresult, host.TryConnect(out _));
        Assert.Equal(0, host.Port!.ConnectionCount);
        Assert.Equal(0, host.Disconnects);
        // The rejected attempt did not use the only slot.
        host.OnConnect = null;
        using var h = host.Connect();
    }

    [Fact]
    public void MaxConnectionsIsEnforcedAndFreedAfterDisconnectNotify()
    {
        using var host = new PortHost();
        Assert.Equal(NtStatus.Success, host.Create(maxConnections: 2));
        var a = host.Connect();
        using var b = host.Connect();
        Assert.Equal(HResults.ConnectionCountLimit, host.TryConnect(out _));
        a.Dispose();
        PortHost.WaitUntil(() => host.Port!.ConnectionCount == 1);
        Assert.Equal(1, host.Disconnects);
        using var c = host.Connect();
    }
}
