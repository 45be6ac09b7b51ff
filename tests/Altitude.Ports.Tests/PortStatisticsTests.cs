// A port's counters in FilterManager.GetStatistics after a known exchange with client processes: connections accepted
// and refused, FilterSendMessage requests received, FltSendMessage messages sent, replies and a timeout.
using Altitude.FilterLib;

namespace Altitude.Ports.Tests;

public class PortStatisticsTests
{
    [Fact]
    public void CountersMatchAKnownExchangeExactly()
    {
        using var host = new PortHost();
        Assert.Equal(NtStatus.Success, host.Create(maxConnections: 1, message: (object? cookie, ReadOnlySpan<byte> input, Span<byte> output, out int n) =>
        {
            n = 0;
            return NtStatus.Success;
        }));

        // 7 FilterSendMessage requests reach MessageNotify.
        using (var sender = new ChildProcess(host.Directory, PortHost.PortName, null, "sendloop", "7"))
        {
            Assert.Equal("done 7 0 first 0x00000000", sender.WaitForLine("done"));
            Assert.True(sender.WaitForExit(60_000));
        }
        PortHost.WaitUntil(() => host.Port!.ConnectionCount == 0, "the sender's slot freed");

        // 5 FltSendMessage messages, each answered.
        using (var server = new ChildProcess(host.Directory, PortHost.PortName, null, "serve", "5"))
        {
            server.WaitForLine("connect 0x00000000");
            PortHost.WaitUntil(() => host.Client is { ProcessId: var pid } && pid == server.Id, "the server connected");
            var reply = new byte[64];
            for (int i = 0; i < 5; i++)
                Assert.Equal(NtStatus.Success, host.Filter.SendMessage(ref host.Client, "ping"u8, reply, out _, TimeSpan.FromSeconds(60)));
            Assert.True(server.WaitForExit(60_000));
        }
        PortHost.WaitUntil(() => host.Port!.ConnectionCount == 0, "the server's slot freed");

        // A client that never reads: one FltSendMessage times out; it holds the only slot, so the next client is refused.
        using var holder = new ChildProcess(host.Directory, PortHost.PortName, null, "hold");
        holder.WaitForLine("held");
        PortHost.WaitUntil(() => host.Client is { ProcessId: var pid } && pid == holder.Id, "the holder connected");
        Assert.Equal(NtStatus.Timeout, host.Filter.SendMessage(ref host.Client, "unread"u8, new byte[16], out _, TimeSpan.FromMilliseconds(50)));
        using (var refused = new ChildProcess(host.Directory, PortHost.PortName, null, "connect"))
            Assert.Equal($"connect 0x{unchecked((uint)HResults.ConnectionCountLimit):X8}", refused.WaitForLine("connect"));

        var stats = Assert.Single(host.Manager.GetStatistics().Ports);
        Assert.Equal(new PortStatistics(PortHost.PortName, "PortTest", Connections: 1, ConnectionsAccepted: 3, ConnectionsRefused: 1,
            MessagesSent: 5, MessagesReceived: 7, Replies: 5, Timeouts: 1), stats);
    }
}
