// The port handle FilterConnectCommunicationPort returns (a HANDLE on Windows). Disposing it is CloseHandle:
// the filter's DisconnectNotify runs, and gets still pending fail with ERROR_OPERATION_ABORTED.
using System.Runtime.InteropServices;

namespace Altitude.FilterLib;

/// <summary>A connected communication port. Thread-safe: any number of threads may send, get and reply at once.</summary>
public sealed class FilterPortHandle : SafeHandle
{
    internal FilterPortHandle(PortConnection connection) : base(IntPtr.Zero, ownsHandle: true)
    {
        Connection = connection;
        SetHandle(connection.SocketHandle);
    }

    internal PortConnection Connection { get; }

    public override bool IsInvalid => handle == IntPtr.Zero || handle == new IntPtr(-1);

    /// <summary>False once the filter side closed the connection or unloaded.</summary>
    public bool IsConnected => !IsClosed && Connection.IsConnected;

    /// <summary>Why the server closed the connection, if it said (protocol errors); null otherwise.</summary>
    public string? DisconnectReason => Connection.ServerReason;

    protected override bool ReleaseHandle()
    {
        Connection.Close(HResults.OperationAborted);
        return true;
    }
}
