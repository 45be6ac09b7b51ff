// Connection and port lifetimes: DisconnectNotify, CloseClientPort, CloseCommunicationPort, filter unload.
using Altitude.FilterLib;

namespace Altitude.Ports.Tests;

public class LifecycleTests
{
    [Fact]
    public void ClientCloseRunsDisconnectNotifyOnce()
    {
        using var host = new PortHost();
        Assert.Equal(NtStatus.Success, host.Create());
        var h = host.Connect();
        var client = host.Client!;
        Assert.True(client.IsConnected);
        h.Dispose();
        Assert.True(host.Disconnected.Wait(60_000));
        Assert.False(client.IsConnected);
        // The slot is freed just after DisconnectNotify returns: the connection's teardown is over.
        PortHost.WaitUntil(() => host.Port!.ConnectionCount == 0, "the slot is freed");
        Assert.Equal(1, host.Disconnects);
        // Nothing that could end the connection again runs DisconnectNotify a second time: closing the
        // (already closed) client port, closing the server port, unloading the filter.
        var variable = client;
        host.Filter.CloseClientPort(ref variable);
        Assert.Null(variable);
        host.Filter.CloseCommunicationPort(host.Port);
        Assert.Equal(NtStatus.Success, host.Manager.UnloadFilter(host.Filter));   // runs every DisconnectNotify still owed before it returns
        Assert.Equal(1, host.Disconnects);
    }

    [Fact]
    public void CloseClientPortDisconnectsAndClearsTheVariable()
    {
        using var host = new PortHost();
        Assert.Equal(NtStatus.Success, host.Create());
        using var h = host.Connect();
        host.Filter.CloseClientPort(ref host.Client);
        Assert.Null(host.Client);
        host.Filter.CloseClientPort(ref host.Client);   // NULL: nothing to do
        Assert.True(host.Disconnected.Wait(60_000));
        Assert.Equal(1, host.Disconnects);
        PortHost.WaitUntil(() => !h.IsConnected, "the client sees the close");
    }

    [Fact]
    public void CloseCommunicationPortStopsNewConnectionsButExistingOnesGoOn()
    {
        using var host = new PortHost();
        Assert.Equal(NtStatus.Success, host.Create());
        using var h = host.Connect();
        host.Filter.CloseCommunicationPort(host.Port);
        Assert.False(host.Port!.IsListening);
        Assert.Equal(HResults.FileNotFound, host.TryConnect(out _));
        // The live connection still carries messages both ways.
        var buf = new byte[64];
        var get = FltLib.FilterGetMessageAsync(h, buf).AsTask();
        var reply = new byte[2];
        var send = Task.Run(() => host.Filter.SendMessage(ref host.Client, "still here"u8, reply, out _, TimeSpan.FromSeconds(60)));
        get.Wait();
        FltLib.FilterReplyMessage(h, Bytes.Reply(FilterMessageHeader.Read(buf).MessageId, "ok"u8));
        Assert.Equal(NtStatus.Success, send.Result);
        Assert.Equal(0, host.Disconnects);
        // Unload still closes it.
        host.Filter.Unregister();
        Assert.Equal(1, host.Disconnects);
        PortHost.WaitUntil(() => !h.IsConnected, "the client sees the unload");
    }

    [Fact]
    public void UnloadWithClientsConnectedClosesEverything()
    {
        using var host = new PortHost();
        Assert.Equal(NtStatus.Success, host.Create());
        using var a = host.Connect();
        var clientA = host.Client;
        using var b = host.Connect();
        var clientB = host.Client;
        var pendingGet = FltLib.FilterGetMessageAsync(a, new byte[64]).AsTask();
        PortHost.RoundTrip(a);   // the get waits at the server
        var reply = new byte[4];
        // A sender blocked on b (no reader there).
        var blocked = Task.Run(() => host.Filter.SendMessage(ref clientB, "x"u8, reply, out _));
        PortHost.WaitForQueuedMessage(b, 1);

        Assert.Equal(NtStatus.Success, host.Manager.UnloadFilter(host.Filter));
        // Every DisconnectNotify ran before the unload returned.
        Assert.Equal(2, host.Disconnects);
        Assert.Equal(NtStatus.PortDisconnected, blocked.Result);
        Assert.Equal(HResults.InvalidHandle, Assert.ThrowsAsync<FilterException>(() => pendingGet).Result.HResult);
        Assert.Equal(HResults.InvalidHandle, FltLib.TryFilterGetMessage(b, new byte[64], out _));
        Assert.Equal(NtStatus.PortDisconnected, host.Filter.SendMessage(ref clientA, "x"u8));
        Assert.False(File.Exists(host.Port!.SocketPath));
        Assert.Equal(HResults.FileNotFound, host.TryConnect(out _));
    }

    [Fact]
    public void ManagerDisposeClosesPorts()
    {
        var host = new PortHost();
        Assert.Equal(NtStatus.Success, host.Create());
        using var h = host.Connect();
        host.Manager.Dispose();
        Assert.Equal(1, host.Disconnects);
        host.Dispose();
    }
}
