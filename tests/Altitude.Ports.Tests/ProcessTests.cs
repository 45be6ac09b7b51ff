// Clients in real separate processes: identity from SO_PEERCRED, the descriptor's verdict for another uid,
// messages across processes, and process death (SIGKILL) ending in DisconnectNotify.
using Altitude.FilterLib;

namespace Altitude.Ports.Tests;

public class ProcessTests
{
    private const uint Nobody = 65534;

    [RootFact]
    public void DescriptorRefusesAUidItDoesNotAdmitAndAdmitsOneItDoes()
    {
        RootFactAttribute.Require();
        using var host = new PortHost();
        // FltBuildDefaultSecurityDescriptor: SY and BA only.
        Assert.Equal(NtStatus.Success, host.Create(@"\Default", sddl: null));
        // Only uid 65534.
        Assert.Equal(NtStatus.Success, host.Create(@"\NobodyOnly", sddl: $"D:(A;;GA;;;S-1-22-1-{Nobody})"));
        // Everyone but uid 65534 (deny first).
        Assert.Equal(NtStatus.Success, host.Create(@"\NotNobody", sddl: $"D:(D;;GA;;;S-1-22-1-{Nobody})(A;;GA;;;WD)"));

        using (var c = new ChildProcess(host.Directory, @"\Default", Nobody, "connect"))
            Assert.Equal("connect 0x80070005", c.WaitForLine("connect"));
        using (var c = new ChildProcess(host.Directory, @"\Default", null, "connect"))
            Assert.Equal("connect 0x00000000", c.WaitForLine("connect"));
        using (var c = new ChildProcess(host.Directory, @"\NotNobody", Nobody, "connect"))
            Assert.Equal("connect 0x80070005", c.WaitForLine("connect"));
        using (var c = new ChildProcess(host.Directory, @"\NobodyOnly", null, "connect"))
            Assert.Equal("connect 0x80070005", c.WaitForLine("connect"));
        int before = host.Disconnects;
        using (var c = new ChildProcess(host.Directory, @"\NobodyOnly", Nobody, "hold"))
        {
            Assert.Equal("connect 0x00000000", c.WaitForLine("connect"));
            c.WaitForLine("held");
            // ConnectNotify saw the child's identity, as the kernel recorded it.
            Assert.Equal(Nobody, host.Client!.UserId);
            Assert.Equal(Nobody, host.Client.GroupId);
            Assert.Equal(c.Id, host.Client.ProcessId);
            Assert.Equal($"pid {c.Id}", System.Text.Encoding.UTF8.GetString(host.LastContext!));
        }
        PortHost.WaitUntil(() => host.Disconnects == before + 1);
    }

    [Fact]
    public void MessagesCrossProcesses()
    {
        using var host = new PortHost();
        Assert.Equal(NtStatus.Success, host.Create(sddl: "D:(A;;GA;;;WD)", message: (object? cookie, ReadOnlySpan<byte> input, Span<byte> output, out int n) =>
        {
            "pong:"u8.CopyTo(output);
            input.CopyTo(output.Slice(5));
            n = 5 + input.Length;
            return NtStatus.Success;
        }));
        using (var c = new ChildProcess(host.Directory, PortHost.PortName, null, "send", "ping"))
            Assert.Equal("send 0x00000000 pong:ping", c.WaitForLine("send"));

        using var server = new ChildProcess(host.Directory, PortHost.PortName, null, "serve", "50");
        server.WaitForLine("connect");
        PortHost.WaitUntil(() => host.Client is { ProcessId: var pid } && pid == server.Id);
        var reply = new byte[64];
        for (int i = 0; i < 50; i++)
        {
            var msg = System.Text.Encoding.ASCII.GetBytes($"message {i:D3}");
            Assert.Equal(NtStatus.Success, host.Filter.SendMessage(ref host.Client, msg, reply, out int len, TimeSpan.FromSeconds(30)));
            Array.Reverse(msg);
            Assert.Equal(msg, reply.AsSpan(0, len).ToArray());
        }
        Assert.True(server.WaitForExit(30_000));
    }

    [Fact]
    public void KilledClientEndsInDisconnectNotify()
    {
        using var host = new PortHost();
        Assert.Equal(NtStatus.Success, host.Create(maxConnections: 1));
        using var c = new ChildProcess(host.Directory, PortHost.PortName, null, "probe");
        c.WaitForLine("held");
        Assert.Equal(c.Id, host.Client!.ProcessId);
        Assert.Equal(HResults.ConnectionCountLimit, host.TryConnect(out _));
        // A sender blocked on the doomed client wakes with PORT_DISCONNECTED. The child's get is too small for
        // the message and fails, which it reports: from then on the message is queued, the sender waiting.
        var reply = new byte[4];
        var client = host.Client;
        var blocked = Task.Run(() => host.Filter.SendMessage(ref client, "x"u8, reply, out _));
        Assert.Equal("probe 0x8007007A 17", c.WaitForLine("probe"));
        Assert.False(blocked.IsCompleted);
        c.Kill();
        Assert.True(host.Disconnected.Wait(60_000));
        Assert.Equal(NtStatus.PortDisconnected, blocked.Result);
        // Its slot is free again.
        PortHost.WaitUntil(() => host.Port!.ConnectionCount == 0, "the slot is freed");
        using var h = host.Connect();
    }
}
