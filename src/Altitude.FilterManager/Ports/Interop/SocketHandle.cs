// The descriptor of one accepted port connection. Every call on it holds a reference (PortSocket), so a
// close on another thread never lets the process reuse the number under a running recv or send.
using System.Runtime.InteropServices;

namespace Altitude.Ports.Interop;

internal sealed class SocketHandle : SafeHandle
{
    public SocketHandle(int fd) : base(-1, ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle == -1;

    /// <summary>The number, for epoll and poll; valid while the handle is not disposed.</summary>
    public int Fd => (int)handle;

    protected override bool ReleaseHandle()
    {
        PortInterop.Close((int)handle);
        return true;
    }
}
