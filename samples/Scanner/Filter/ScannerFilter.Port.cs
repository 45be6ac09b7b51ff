// \ScannerPort and the scan round trip: one connection at most (the scanner service), whose process is trusted; a
// scan sends SCANNER_NOTIFICATION and waits for SCANNER_REPLY. Without a connected scanner, or when the send fails or
// times out, there is no verdict, and FailMode decides.
using System.Buffers;

namespace Altitude.Samples.Scanner;

/// <summary>What one scan found.</summary>
public enum ScanVerdict
{
    Safe,
    Unsafe,
    /// <summary>No scanner connected, or the send failed or timed out (the settings' FailMode decides).</summary>
    None,
}

public sealed partial class ScannerFilter
{
    private ServerPort? serverPort;
    // The connected scanner (MaxConnections 1) and its process: passed by reference to SendMessage, cleared at disconnect.
    private ClientPort? clientPort;
    private volatile int clientProcessId;

    /// <summary>The connected scanner's process id, 0 without one.</summary>
    public int ScannerProcessId => clientProcessId;

    private NtStatus CreatePort(Filter filter)
    {
        // FltBuildDefaultSecurityDescriptor(FLT_PORT_ALL_ACCESS): root and the admin group only.
        string sd = FilterManager.BuildDefaultSecurityDescriptor(PortAccess.AllAccess);
        return filter.CreateCommunicationPort(new ObjectAttributes(ScannerProtocol.PortName, ObjectAttributes.PortDefaults, sd),
            null, Connect, Disconnect, null, 1, out serverPort);
    }

    /// <summary>ScannerPortConnect: keep the port and the connecting process (the one process never scanned).</summary>
    private NtStatus Connect(ClientPort port, object? serverPortCookie, ReadOnlySpan<byte> context, out object? connectionCookie)
    {
        connectionCookie = null;
        clientProcessId = port.ProcessId;
        Volatile.Write(ref clientPort, port);
        return NtStatus.Success;
    }

    /// <summary>ScannerPortDisconnect: forget the process and close our end (pending sends fail with STATUS_PORT_DISCONNECTED).</summary>
    private void Disconnect(object? connectionCookie)
    {
        clientProcessId = 0;
        Filter?.CloseClientPort(ref clientPort);
    }

    /// <summary>True when the verdict lets the operation through: safe, or no verdict in Open mode.</summary>
    private bool Allows(ScanVerdict verdict) => verdict == ScanVerdict.Safe || (verdict == ScanVerdict.None && settings.FailMode == ScannerFailMode.Open);

    /// <summary>
    /// Sends a notification whose contents were written at <see cref="ScannerNotification.ContentsOffset"/> of
    /// <paramref name="notification"/> and waits (ScanTimeoutMs, or forever) for the reply.
    /// </summary>
    private ScanVerdict Send(Span<byte> notification, int bytesToScan)
    {
        ScannerNotification.WriteHeader(notification, (uint)bytesToScan);
        Span<byte> reply = stackalloc byte[ScannerReply.Size];
        // No scanner (STATUS_PORT_DISCONNECTED), a failure or STATUS_TIMEOUT (a success code): no verdict.
        NtStatus st = Filter!.SendMessage(ref clientPort, notification[..ScannerNotification.Size], reply, out int replyLength, settings.ScanTimeout);
        if (!(st == NtStatus.Success || st == NtStatus.BufferOverflow) || replyLength < ScannerReply.Size) return ScanVerdict.None;
        return reply[0] != 0 ? ScanVerdict.Safe : ScanVerdict.Unsafe;
    }

    /// <summary>
    /// ScannerpScanFileInUserMode: reads the file's first 1024 bytes with filter I/O (FltReadFile at offset 0,
    /// non-cached, DO_NOT_UPDATE_BYTE_OFFSET: the caller's position does not move) and sends them. A write-only open
    /// reads too, as a Windows kernel read ignores the handle's access.
    /// </summary>
    private ScanVerdict ScanFile(Instance instance, FileObject fileObject)
    {
        if (Volatile.Read(ref clientPort) is null) return ScanVerdict.None;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ScannerNotification.Size);
        try
        {
            var contents = buffer.AsMemory(ScannerNotification.ContentsOffset, ScannerProtocol.ReadBufferSize);
            NtStatus st = instance.ReadFile(fileObject, 0, contents, FilterIoFlags.NonCached | FilterIoFlags.DoNotUpdateByteOffset, out int read);
            // An empty file or a failed read is not sent (the WDK's rule): nothing to judge.
            if (!st.IsSuccess() || read == 0) return ScanVerdict.Safe;
            return Send(buffer, read);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Scans the first 1024 bytes of a write's data.</summary>
    private ScanVerdict ScanBytes(ReadOnlySpan<byte> data)
    {
        if (Volatile.Read(ref clientPort) is null) return ScanVerdict.None;
        Span<byte> notification = stackalloc byte[ScannerNotification.Size];
        int n = Math.Min(data.Length, ScannerProtocol.ReadBufferSize);
        data[..n].CopyTo(notification[ScannerNotification.ContentsOffset..]);
        return Send(notification, n);
    }
}
