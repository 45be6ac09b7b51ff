// FltSendMessage / FilterGetMessage / FilterReplyMessage: delivery, replies, timeouts, overflow, too-small
// buffers, unknown and late replies, disconnects and cancellation (spec 1.1 and 1.2).
using System.Text;
using Altitude.FilterLib;

namespace Altitude.Ports.Tests;

public class MessageTests
{
    private static readonly byte[] Hello = Encoding.ASCII.GetBytes("hello, user mode");

    private static (PortHost host, FilterPortHandle handle) Start()
    {
        var host = new PortHost();
        Assert.Equal(NtStatus.Success, host.Create());
        return (host, host.Connect());
    }

    [Fact]
    public void SendWithReplyRoundTrips()
    {
        var (host, h) = Start();
        using (host) using (h)
        {
            var getter = Task.Run(() =>
            {
                var buf = new byte[1024];
                int n = FltLib.FilterGetMessage(h, buf);
                var header = FilterMessageHeader.Read(buf);
                Assert.Equal(16 + Hello.Length, n);
                Assert.Equal(16u + 8, header.ReplyLength);   // the reply header counts
                Assert.Equal(Hello, buf.AsSpan(16, n - 16).ToArray());
                FltLib.FilterReplyMessage(h, Bytes.Reply(header.MessageId, "verdict!"u8));
                return header.MessageId;
            });
            var reply = new byte[8];
            Assert.Equal(NtStatus.Success, host.Filter.SendMessage(ref host.Client, Hello, reply, out int len));
            Assert.Equal(8, len);
            Assert.Equal("verdict!"u8.ToArray(), reply);
            Assert.NotEqual(0ul, getter.Result);
        }
    }

    [Fact]
    public void SendWithoutReplyBufferCompletesOnDeliveryAndRefusesReplies()
    {
        var (host, h) = Start();
        using (host) using (h)
        {
            var get = FltLib.FilterGetMessageAsync(h, new byte[100]).AsTask();
            Assert.Equal(NtStatus.Success, host.Filter.SendMessage(ref host.Client, Hello));
            Assert.Equal(16 + Hello.Length, get.Result);
            Assert.Equal(HResults.NoWaiterForReply, FltLib.TryFilterReplyMessage(h, Bytes.Reply(1, "x"u8)));
        }
    }

    [Fact]
    public void ReplyHeaderReplyLengthIsZeroWithoutReplyBuffer()
    {
        var (host, h) = Start();
        using (host) using (h)
        {
            var buf = new byte[100];
            var get = FltLib.FilterGetMessageAsync(h, buf).AsTask();
            Assert.Equal(NtStatus.Success, host.Filter.SendMessage(ref host.Client, Hello));
            get.Wait();
            var header = FilterMessageHeader.Read(buf);
            Assert.Equal(0u, header.ReplyLength);
            Assert.Equal(HResults.NoWaiterForReply, FltLib.TryFilterReplyMessage(h, Bytes.Reply(header.MessageId, default)));
        }
    }

    [Fact]
    public void UnknownAndDuplicateRepliesGetNoWaiter()
    {
        var (host, h) = Start();
        using (host) using (h)
        {
            Assert.Equal(HResults.NoWaiterForReply, FltLib.TryFilterReplyMessage(h, Bytes.Reply(12345, "x"u8)));
            var e = Assert.Throws<FilterException>(() => FltLib.FilterReplyMessage(h, Bytes.Reply(999, default)));
            Assert.Equal(HResults.NoWaiterForReply, e.HResult);
            Assert.Equal(HResults.InvalidArgument, FltLib.TryFilterReplyMessage(h, new byte[15]));

            var buf = new byte[100];
            var get = FltLib.FilterGetMessageAsync(h, buf).AsTask();
            var send = Task.Run(() => { var r = new byte[4]; return host.Filter.SendMessage(ref host.Client, Hello, r, out _); });
            get.Wait();
            var id = FilterMessageHeader.Read(buf).MessageId;
            Assert.Equal(HResults.S_OK, FltLib.TryFilterReplyMessage(h, Bytes.Reply(id, "abcd"u8)));
            Assert.Equal(HResults.NoWaiterForReply, FltLib.TryFilterReplyMessage(h, Bytes.Reply(id, "abcd"u8)));
            Assert.Equal(NtStatus.Success, send.Result);
        }
    }

    [Fact]
    public void ReplyHeaderStatusIsStoredButDoesNotChangeTheResult()
    {
        var (host, h) = Start();
        using (host) using (h)
        {
            var buf = new byte[100];
            var get = FltLib.FilterGetMessageAsync(h, buf).AsTask();
            var send = Task.Run(() => { var r = new byte[1]; return host.Filter.SendMessage(ref host.Client, Hello, r, out _); });
            get.Wait();
            FltLib.FilterReplyMessage(h, Bytes.Reply(FilterMessageHeader.Read(buf).MessageId, "\x01"u8, status: unchecked((int)0xC0000022)));
            Assert.Equal(NtStatus.Success, send.Result);
        }
    }

    [Fact]
    public void UndeliveredMessageTimesOutAndIsWithdrawn()
    {
        var (host, h) = Start();
        using (host) using (h)
        {
            var reply = new byte[4];
            // Nobody reads: the message expires in the queue.
            var st = host.Filter.SendMessage(ref host.Client, "first"u8, reply, out int len, TimeSpan.FromMilliseconds(200));
            Assert.Equal(NtStatus.Timeout, st);
            Assert.True(st.IsSuccess());   // STATUS_TIMEOUT is a success code: callers must test for it
            Assert.Equal(0, len);
            // The withdrawn message never reaches a later reader: the next one does.
            var buf = new byte[100];
            var get = FltLib.FilterGetMessageAsync(h, buf).AsTask();
            Assert.Equal(NtStatus.Success, host.Filter.SendMessage(ref host.Client, "second"u8));
            Assert.Equal(16 + 6, get.Result);
            Assert.Equal("second"u8.ToArray(), buf.AsSpan(16, 6).ToArray());
        }
    }

    [Fact]
    public void DeliveredMessageTimesOutAndALateReplyFails()
    {
        var (host, h) = Start();
        using (host) using (h)
        {
            var buf = new byte[100];
            var get = FltLib.FilterGetMessageAsync(h, buf).AsTask();
            PortHost.RoundTrip(h);   // the get waits at the server: the message is delivered at once, then nobody replies
            var reply = new byte[4];
            Assert.Equal(NtStatus.Timeout, host.Filter.SendMessage(ref host.Client, Hello, reply, out int len, TimeSpan.FromMilliseconds(100)));
            Assert.Equal(0, len);
            Assert.Equal(16 + Hello.Length, get.Result);   // it was delivered before it expired
            Assert.Equal(16u + 4, FilterMessageHeader.Read(buf).ReplyLength);
            // The Withdrawn notice left before SendMessage returned; a round trip reads past it (another thread may
            // still hold the read token after completing the get, and then the reply below would not look).
            PortHost.RoundTrip(h);
            Assert.Equal(HResults.NoWaiterForReply, FltLib.TryFilterReplyMessage(h, Bytes.Reply(FilterMessageHeader.Read(buf).MessageId, "late"u8)));
        }
    }

    [Fact]
    public void ZeroTimeoutPolls()
    {
        var (host, h) = Start();
        using (host) using (h)
        {
            // Nobody reads: the poll gives STATUS_TIMEOUT (a poll that waited for a reader would hang the test here).
            Assert.Equal(NtStatus.Timeout, host.Filter.SendMessage(ref host.Client, "polled"u8, TimeSpan.Zero));
            // With a reader waiting at the server, one poll delivers; the expired poll was withdrawn, not delivered.
            var buf = new byte[100];
            var get = FltLib.FilterGetMessageAsync(h, buf).AsTask();
            PortHost.RoundTrip(h);
            Assert.Equal(NtStatus.Success, host.Filter.SendMessage(ref host.Client, Hello, TimeSpan.Zero));
            Assert.Equal(16 + Hello.Length, get.Result);
            Assert.Equal(Hello, buf.AsSpan(16, Hello.Length).ToArray());
            Assert.Equal(NtStatus.InvalidParameter, host.Filter.SendMessage(ref host.Client, Hello, TimeSpan.FromSeconds(-1)));
        }
    }

    [Fact]
    public void LargerReplyOverflowsAndKeepsTheFirstBytes()
    {
        var (host, h) = Start();
        using (host) using (h)
        {
            var buf = new byte[100];
            var get = FltLib.FilterGetMessageAsync(h, buf).AsTask();
            var reply = new byte[4];
            int len = 0;
            var send = Task.Run(() => host.Filter.SendMessage(ref host.Client, Hello, reply, out len));
            get.Wait();
            Assert.Equal(16u + 4, FilterMessageHeader.Read(buf).ReplyLength);
            // The classic cause: a padded reply struct bigger than 16 + the data.
            Assert.Equal(HResults.MoreData, FltLib.TryFilterReplyMessage(h, Bytes.Reply(FilterMessageHeader.Read(buf).MessageId, "0123456789"u8)));
            Assert.Equal(NtStatus.BufferOverflow, send.Result);
            Assert.Equal(4, len);
            Assert.Equal("0123"u8.ToArray(), reply);
        }
    }

    [Fact]
    public void TooSmallGetBufferFailsOnlyThatGetAndKeepsTheMessage()
    {
        var (host, h) = Start();
        using (host) using (h)
        {
            var payload = new byte[100];
            Random.Shared.NextBytes(payload);
            var send = Task.Run(() => { var r = new byte[2]; var st = host.Filter.SendMessage(ref host.Client, payload, r, out _, TimeSpan.FromSeconds(30)); return (st, r); });
            var small = new byte[40];
            Assert.Equal(HResults.InsufficientBuffer, FltLib.TryFilterGetMessage(h, small, out int needed));
            Assert.Equal(116, needed);
            var e = Assert.Throws<FilterException>(() => FltLib.FilterGetMessage(h, small));
            Assert.Equal(HResults.InsufficientBuffer, e.HResult);
            Assert.Equal(116, e.RequiredSize);
            // Async too, and a buffer below the header size.
            var ae = Assert.ThrowsAsync<FilterException>(async () => await FltLib.FilterGetMessageAsync(h, new byte[8])).Result;
            Assert.Equal(HResults.InsufficientBuffer, ae.HResult);
            var big = new byte[116];
            Assert.Equal(116, FltLib.FilterGetMessage(h, big));
            Assert.Equal(payload, big.AsSpan(16).ToArray());
            FltLib.FilterReplyMessage(h, Bytes.Reply(FilterMessageHeader.Read(big).MessageId, "ok"u8));
            var (st, r) = send.Result;
            Assert.Equal(NtStatus.Success, st);
            Assert.Equal("ok"u8.ToArray(), r);
        }
    }

    [Fact]
    public void TooSmallGetPostedBeforeTheMessageFailsWhenItArrives()
    {
        var (host, h) = Start();
        using (host) using (h)
        {
            var small = FltLib.FilterGetMessageAsync(h, new byte[20]).AsTask();
            var big = FltLib.FilterGetMessageAsync(h, new byte[200]).AsTask();
            PortHost.RoundTrip(h);   // both gets are credits at the server, in this order, before the message
            Assert.Equal(NtStatus.Success, host.Filter.SendMessage(ref host.Client, new byte[50]));
            var e = Assert.ThrowsAsync<FilterException>(() => small).Result;
            Assert.Equal(HResults.InsufficientBuffer, e.HResult);
            Assert.Equal(66, e.RequiredSize);
            Assert.Equal(66, big.Result);
        }
    }

    [Fact]
    public void DisconnectedPortGivesPortDisconnected()
    {
        var (host, h) = Start();
        using (host)
        {
            ClientPort? none = null;
            Assert.Equal(NtStatus.PortDisconnected, host.Filter.SendMessage(ref none, Hello));
            // The client goes away while the sender waits for a reader.
            var reply = new byte[4];
            var send = Task.Run(() => host.Filter.SendMessage(ref host.Client, Hello, reply, out _));
            PortHost.WaitForQueuedMessage(h, Hello.Length);   // the sender is at the server, waiting for a reader
            h.Dispose();
            Assert.Equal(NtStatus.PortDisconnected, send.Result);
            Assert.True(host.Disconnected.Wait(60_000));
            Assert.Equal(NtStatus.PortDisconnected, host.Filter.SendMessage(ref host.Client, Hello));
        }
    }

    [Fact]
    public void ClientCloseWhileAwaitingReplyGivesPortDisconnected()
    {
        var (host, h) = Start();
        using (host)
        {
            var get = FltLib.FilterGetMessageAsync(h, new byte[100]).AsTask();
            var reply = new byte[4];
            var send = Task.Run(() => host.Filter.SendMessage(ref host.Client, Hello, reply, out _));
            get.Wait();
            h.Dispose();
            Assert.Equal(NtStatus.PortDisconnected, send.Result);
        }
    }

    [Fact]
    public void CancelledSendLeavesNoWaiter()
    {
        var (host, h) = Start();
        using (host) using (h)
        {
            using var cts = new CancellationTokenSource(100);
            var reply = new byte[4];
            Assert.Equal(NtStatus.Cancelled, host.Filter.SendMessage(ref host.Client, "cancelled"u8, reply, out _, null, cts.Token));
            var buf = new byte[100];
            var get = FltLib.FilterGetMessageAsync(h, buf).AsTask();
            Assert.Equal(NtStatus.Success, host.Filter.SendMessage(ref host.Client, "next"u8));
            Assert.Equal(20, get.Result);
            // Cancelled after delivery: the late reply has no waiter.
            using var cts2 = new CancellationTokenSource();
            get = FltLib.FilterGetMessageAsync(h, buf).AsTask();
            var send = Task.Run(() => host.Filter.SendMessage(ref host.Client, Hello, reply, out _, null, cts2.Token));
            get.Wait();
            cts2.Cancel();
            Assert.Equal(NtStatus.Cancelled, send.Result);
            PortHost.RoundTrip(h);   // past the Withdrawn notice the cancellation sent
            Assert.Equal(HResults.NoWaiterForReply, FltLib.TryFilterReplyMessage(h, Bytes.Reply(FilterMessageHeader.Read(buf).MessageId, "x"u8)));
        }
    }

    [Fact]
    public void PendingGetsFailOnServerCloseAndOnHandleClose()
    {
        var (host, h) = Start();
        using (host)
        {
            var a = FltLib.FilterGetMessageAsync(h, new byte[100]).AsTask();
            var b = BlockedGet(h);
            host.Filter.CloseClientPort(ref host.Client);
            Assert.Null(host.Client);
            Assert.Equal(HResults.InvalidHandle, Assert.ThrowsAsync<FilterException>(() => a).Result.HResult);
            Assert.Equal(HResults.InvalidHandle, b.Result);
            Assert.Equal(HResults.InvalidHandle, FltLib.TryFilterReplyMessage(h, Bytes.Reply(1, default)));
            Assert.False(h.IsConnected);
            Assert.True(host.Disconnected.Wait(60_000));
            Assert.Equal(1, host.Disconnects);
            h.Dispose();

            var h2 = host.Connect();
            var c = FltLib.FilterGetMessageAsync(h2, new byte[100]).AsTask();
            var d = BlockedGet(h2);
            h2.Dispose();   // CloseHandle: pending gets are aborted
            Assert.Equal(HResults.OperationAborted, Assert.ThrowsAsync<FilterException>(() => c).Result.HResult);
            Assert.Equal(HResults.OperationAborted, d.Result);
            Assert.Equal(HResults.InvalidHandle, FltLib.TryFilterGetMessage(h2, new byte[100], out _));
        }
    }

    /// <summary>A synchronous get on its own thread, returned once that thread is blocked in it.</summary>
    private static Task<int> BlockedGet(FilterPortHandle h)
    {
        var tcs = new TaskCompletionSource<int>();
        var t = new Thread(() => tcs.SetResult(FltLib.TryFilterGetMessage(h, new byte[100], out _)));
        t.Start();
        PortHost.WaitUntil(() => (t.ThreadState & ThreadState.WaitSleepJoin) != 0);
        return tcs.Task;
    }

    [Fact]
    public void CancelledAsyncGetDoesNotLoseMessages()
    {
        var (host, h) = Start();
        using (host) using (h)
        {
            using var cts = new CancellationTokenSource();
            var cancelled = FltLib.FilterGetMessageAsync(h, new byte[100], cts.Token).AsTask();
            PortHost.RoundTrip(h);   // the get is a credit at the server when it is cancelled
            cts.Cancel();
            Assert.Equal(HResults.OperationAborted, Assert.ThrowsAsync<FilterException>(() => cancelled).Result.HResult);
            var buf = new byte[100];
            var get = FltLib.FilterGetMessageAsync(h, buf).AsTask();
            PortHost.RoundTrip(h);
            // The only credit left is the live get: a poll is delivered to it, not to the cancelled one.
            Assert.Equal(NtStatus.Success, host.Filter.SendMessage(ref host.Client, Hello, TimeSpan.Zero));
            Assert.True(get.Wait(60_000), "the message went to the cancelled get");
            Assert.Equal(16 + Hello.Length, get.Result);
            Assert.Equal(Hello, buf.AsSpan(16, Hello.Length).ToArray());
        }
    }

    [Fact]
    public void ManyOutstandingAsyncGetsEachGetOneMessage()
    {
        var (host, h) = Start();
        using (host) using (h)
        {
            var gets = new Task<int>[32];
            var bufs = new byte[32][];
            for (int i = 0; i < gets.Length; i++) { bufs[i] = new byte[64]; gets[i] = FltLib.FilterGetMessageAsync(h, bufs[i]).AsTask(); }
            for (int i = 0; i < gets.Length; i++)
                Assert.Equal(NtStatus.Success, host.Filter.SendMessage(ref host.Client, BitConverter.GetBytes(i)));
            Task.WaitAll(gets);
            var seen = new HashSet<int>();
            foreach (var b in bufs) Assert.True(seen.Add(BitConverter.ToInt32(b, 16)));
            Assert.Equal(32, seen.Count);
        }
    }
}
