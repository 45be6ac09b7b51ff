// Many filter threads sending on one connection while many user threads get and reply on it: every
// message is answered exactly once and no reply reaches the wrong sender.
using System.Buffers.Binary;
using System.Collections.Concurrent;
using Altitude.FilterLib;

namespace Altitude.Ports.Tests;

public class ConcurrencyTests
{
    // Every reply here is acknowledged (the senders have a timeout), so each message costs the getters two waits:
    // 3,000 per sender keeps the test well inside its bounds on a loaded 2-core machine.
    private const int Senders = 16, Getters = 16, MessagesPerSender = 3_000;

    [Fact]
    public void SixteenSendersSixteenGettersThreeThousandMessagesEach()
    {
        using var host = new PortHost();
        Assert.Equal(NtStatus.Success, host.Create());
        using var h = host.Connect();
        var client = host.Client;
        var answered = new ConcurrentDictionary<ulong, byte>();
        int duplicates = 0, getterFailures = 0;
        using var stop = new CancellationTokenSource();

        // The reply is the message's (sender, sequence) pair with its bits inverted, so a crossed reply shows.
        void Answer(byte[] buf, byte[] reply)
        {
            var header = FilterMessageHeader.Read(buf);
            if (!answered.TryAdd(header.MessageId, 0)) Interlocked.Increment(ref duplicates);
            new FilterReplyHeader { MessageId = header.MessageId }.Write(reply);
            BinaryPrimitives.WriteUInt64LittleEndian(reply.AsSpan(16), ~BinaryPrimitives.ReadUInt64LittleEndian(buf.AsSpan(16)));
            if (FltLib.TryFilterReplyMessage(h, reply) != 0) Interlocked.Increment(ref getterFailures);
        }

        var getters = new List<Thread>();
        // Half block in the synchronous get, half keep an asynchronous get outstanding.
        for (int g = 0; g < Getters / 2; g++)
        {
            var t = new Thread(() =>
            {
                var buf = new byte[64];
                var reply = new byte[24];
                while (FltLib.TryFilterGetMessage(h, buf, out _) == 0) Answer(buf, reply);
            }) { IsBackground = true };
            t.Start();
            getters.Add(t);
        }
        var asyncGetters = new List<Task>();
        for (int g = 0; g < Getters / 2; g++)
        {
            asyncGetters.Add(Task.Run(async () =>
            {
                var buf = new byte[64];
                var reply = new byte[24];
                try
                {
                    while (true)
                    {
                        await FltLib.FilterGetMessageAsync(h, buf, stop.Token);
                        Answer(buf, reply);
                    }
                }
                catch (FilterException) { }
            }));
        }

        int crossed = 0, failed = 0;
        var senders = new Thread[Senders];
        for (int s = 0; s < Senders; s++)
        {
            int sender = s;
            senders[s] = new Thread(() =>
            {
                Span<byte> msg = stackalloc byte[8];
                Span<byte> reply = stackalloc byte[8];
                for (int i = 0; i < MessagesPerSender; i++)
                {
                    ulong v = (ulong)sender << 32 | (uint)i;
                    BinaryPrimitives.WriteUInt64LittleEndian(msg, v);
                    var st = host.Filter.SendMessage(ref client, msg, reply, out int len, TimeSpan.FromSeconds(60));
                    if (st != NtStatus.Success || len != 8) { Interlocked.Increment(ref failed); continue; }
                    if (BinaryPrimitives.ReadUInt64LittleEndian(reply) != ~v) Interlocked.Increment(ref crossed);
                }
            }) { IsBackground = true };
            senders[s].Start();
        }
        foreach (var t in senders) Assert.True(t.Join(TimeSpan.FromSeconds(120)), "senders did not finish");

        Assert.Equal(0, failed);
        Assert.Equal(0, crossed);
        Assert.Equal(0, duplicates);
        Assert.Equal(0, getterFailures);
        Assert.Equal(Senders * MessagesPerSender, answered.Count);
        // Closing the handle ends the getters (their gets are aborted).
        stop.Cancel();
        h.Dispose();
        foreach (var t in getters) Assert.True(t.Join(TimeSpan.FromSeconds(60)));
        Assert.True(Task.WaitAll(asyncGetters.ToArray(), TimeSpan.FromSeconds(60)));
    }
}
