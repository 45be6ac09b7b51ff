// FilterManager.CreateControlPort: a port no filter owns, at an explicit path; no filter unload closes it, Dispose does.
using Altitude.FilterLib;

namespace Altitude.Ports.Tests;

public class ControlPortTests
{
    private static NtStatus Connect(ClientPort p, object? s, ReadOnlySpan<byte> c, out object? cookie) { cookie = p.UserId; return NtStatus.Success; }

    // Echoes the caller's uid (ClientPort.Credentials, SO_PEERCRED) as 4 bytes.
    private static NtStatus Echo(object? cookie, ReadOnlySpan<byte> input, Span<byte> output, out int returned)
    {
        BitConverter.TryWriteBytes(output, (uint)cookie!);
        returned = 4;
        return NtStatus.Success;
    }

    [Fact]
    public void AControlPortOutlivesFilterUnloadAndCloseCommunicationPortUntilTheManagerIsDisposed()
    {
        var host = new PortHost();
        try
        {
            string path = Path.Combine(host.Directory, "control");
            Assert.Equal(NtStatus.ObjectNameInvalid, host.Manager.CreateControlPort("relative/control", null, Connect, _ => { }, Echo, 4, out _));
            Assert.Equal(NtStatus.Success, host.Manager.CreateControlPort(path, "D:(A;;GA;;;WD)", Connect, _ => { }, Echo, 4, out var port));
            Assert.Null(port!.Filter);
            Assert.Same(host.Manager, port.Manager);
            Assert.Equal(path, port.SocketPath);
            Assert.Equal(NtStatus.ObjectNameCollision, host.Manager.CreateControlPort(path, null, Connect, _ => { }, Echo, 4, out _));

            // A filter cannot close it, and its unload leaves it listening.
            host.Filter.CloseCommunicationPort(port);
            Assert.Equal(NtStatus.Success, host.Manager.UnloadFilter(host.Filter));
            Assert.True(port.IsListening);

            using (var client = FltLib.FilterConnectCommunicationPort("control", portDirectory: host.Directory))
            {
                var reply = new byte[4];
                Assert.Equal(4, FltLib.FilterSendMessage(client, "x"u8, reply));
                Assert.Equal(Libc.GetEuid(), BitConverter.ToUInt32(reply));
            }

            host.Manager.Dispose();
            Assert.False(port.IsListening);
            Assert.False(File.Exists(path));
        }
        finally
        {
            host.Dispose();
        }
    }
}
