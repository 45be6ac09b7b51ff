// FilterSendMessage served by MessageNotify (spec 1.1 MessageNotify, 1.2 FilterSendMessage).
using Altitude.FilterLib;

namespace Altitude.Ports.Tests;

public class FilterSendMessageTests
{
    private static NtStatus Echo(object? cookie, ReadOnlySpan<byte> input, Span<byte> output, out int returned)
    {
        Assert.IsType<ClientPort>(cookie);   // the connection cookie ConnectNotify set
        if (input.SequenceEqual("fail"u8)) { returned = 0; return NtStatus.AccessDenied; }
        if (input.SequenceEqual("throw"u8)) throw new InvalidOperationException("filter bug");
        if (input.SequenceEqual("warn"u8)) { returned = output.Length; output.Fill(7); return NtStatus.NoMoreEntries; }
        int n = Math.Min(input.Length, output.Length);
        input.Slice(0, n).CopyTo(output);
        returned = n;
        return NtStatus.Success;
    }

    [Fact]
    public void MessageNotifyServesSendsAndItsStatusBecomesTheHResult()
    {
        using var host = new PortHost();
        Assert.Equal(NtStatus.Success, host.Create(message: Echo));
        using var h = host.Connect();
        var output = new byte[16];
        Assert.Equal(5, FltLib.FilterSendMessage(h, "hello"u8, output));
        Assert.Equal("hello"u8.ToArray(), output.AsSpan(0, 5).ToArray());
        Assert.Equal(0, FltLib.FilterSendMessage(h, "hello"u8, Memory<byte>.Empty));
        Assert.Equal(HResults.AccessDenied, Assert.Throws<FilterException>(() => FltLib.FilterSendMessage(h, "fail"u8, output)).HResult);
        // A warning is an error HRESULT in user mode (minispy's NO_MORE_ITEMS); the bytes still arrive.
        Assert.Equal(unchecked((int)0x80070103), FltLib.TryFilterSendMessage(h, "warn"u8, output, out int n));
        Assert.Equal(16, n);
        // A throwing callback fails only that send, and counts as a fault.
        long faults = host.Manager.FaultCount;
        Assert.True(FltLib.TryFilterSendMessage(h, "throw"u8, output, out _) < 0);
        Assert.Equal(faults + 1, host.Manager.FaultCount);
        Assert.Equal(5, FltLib.FilterSendMessage(h, "again"u8, output));
        Assert.Equal(HResults.InvalidArgument, FltLib.TryFilterSendMessage(h, new byte[65537], output, out _));
    }

    [Fact]
    public void ConcurrentSendsOnOneHandle()
    {
        using var host = new PortHost();
        Assert.Equal(NtStatus.Success, host.Create(message: Echo));
        using var h = host.Connect();
        Parallel.For(0, 8, t =>
        {
            var output = new byte[8];
            for (int i = 0; i < 500; i++)
            {
                long v = (long)t << 32 | (uint)i;
                Assert.Equal(8, FltLib.FilterSendMessage(h, BitConverter.GetBytes(v), output));
                Assert.Equal(v, BitConverter.ToInt64(output));
            }
        });
    }

    [Fact]
    public void PortWithoutMessageNotifyRejectsSends()
    {
        using var host = new PortHost();
        Assert.Equal(NtStatus.Success, host.Create(message: null));
        using var h = host.Connect();
        Assert.Equal(HResults.InvalidArgument, FltLib.TryFilterSendMessage(h, "x"u8, new byte[4], out _));
    }

    [Fact]
    public void SendOnADisconnectedPortGivesInvalidHandle()
    {
        using var host = new PortHost();
        Assert.Equal(NtStatus.Success, host.Create(message: Echo));
        using var h = host.Connect();
        host.Filter.CloseClientPort(ref host.Client);
        PortHost.WaitUntil(() => !h.IsConnected);
        Assert.Equal(HResults.InvalidHandle, FltLib.TryFilterSendMessage(h, "x"u8, new byte[4], out _));
        Assert.Equal(HResults.InvalidHandle, Assert.Throws<FilterException>(() => FltLib.FilterSendMessage(h, "x"u8, new byte[4])).HResult);
    }
}
