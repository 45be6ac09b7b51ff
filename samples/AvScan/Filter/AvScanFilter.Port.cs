// The three ports (communication.c): one ConnectNotify, DisconnectNotify and MessageNotify for all, the connection
// context telling which port a client is for. The scanner's commands come on any of its ports, as in the WDK.
using System.Buffers.Binary;

namespace Altitude.Samples.AvScan;

public sealed partial class AvScanFilter
{
    private ServerPort? scanPort, abortPort, queryPort;
    // The filter's ClientPort variables (MaxConnections 1 each); FltSendMessage reads them, CloseClientPort clears them.
    private ClientPort? scanClient, abortClient, queryClient;
    private readonly object portLock = new();

    private NtStatus CreatePort(string name, out ServerPort? port) =>
        filter.CreateCommunicationPort(new ObjectAttributes(name, ObjectAttributes.PortDefaults, FilterManager.BuildDefaultSecurityDescriptor()),
            null, Connect, Disconnect, MessageNotify, 1, out port);

    private void ClosePorts()
    {
        filter.CloseCommunicationPort(scanPort);
        filter.CloseCommunicationPort(abortPort);
        filter.CloseCommunicationPort(queryPort);
    }

    /// <summary>
    /// AvConnectNotifyCallback: AV_CONNECTION_CONTEXT {Type} (a ULONG) says which port this client is for. No context,
    /// a context of another size, or an unknown type: STATUS_INVALID_PARAMETER_3 (the WDK does not check the size;
    /// here a short context cannot be read past its end). The cookie is the type.
    /// </summary>
    private NtStatus Connect(ClientPort clientPort, object? serverCookie, ReadOnlySpan<byte> context, out object? cookie)
    {
        cookie = null;
        if (context.Length != 4) return NtStatus.InvalidParameter3;
        var type = (AvConnectionType)BinaryPrimitives.ReadUInt32LittleEndian(context);
        lock (portLock)
        {
            switch (type)
            {
                case AvConnectionType.Scan: scanClient = clientPort; break;
                case AvConnectionType.Abort: abortClient = clientPort; break;
                case AvConnectionType.Query: queryClient = clientPort; break;
                default: return NtStatus.InvalidParameter3;
            }
        }
        cookie = type;
        return NtStatus.Success;
    }

    /// <summary>
    /// AvDisconnectNotifyCallback: closes that type's client port. When the scanner goes, the scans waiting for it end
    /// Undetermined at once (the WDK lets them run into their timeout): a killed avscan lets files through now.
    /// </summary>
    private void Disconnect(object? cookie)
    {
        var type = (AvConnectionType)cookie!;
        lock (portLock)
        {
            switch (type)
            {
                case AvConnectionType.Scan: filter.CloseClientPort(ref scanClient); break;
                case AvConnectionType.Abort: filter.CloseClientPort(ref abortClient); break;
                case AvConnectionType.Query: filter.CloseClientPort(ref queryClient); break;
            }
        }
        // No abort: the abort thread of the avscan that left is not listening (each would wait its 1 s for nothing).
        if (type == AvConnectionType.Scan) FinishScans(null, abort: false);
    }

    /// <summary>
    /// AvMessageNotifyCallback: COMMAND_MESSAGE {Command, ScanId, ScanThreadId, union {FileHandle; Result}}. Shorter
    /// than the whole message, an unknown command, an output too small for the answer, or a Result out of range:
    /// STATUS_INVALID_PARAMETER. A ScanId no scan has: STATUS_NOT_FOUND. The section commands come only from the scan
    /// port's one client (the WDK takes them on any port); otherwise STATUS_ACCESS_DENIED, so no other client (the
    /// query port's, say) can read a file through a section or close a scan with a forged verdict.
    /// </summary>
    private NtStatus MessageNotify(object? cookie, ReadOnlySpan<byte> input, Span<byte> output, out int returned)
    {
        returned = 0;
        if (input.Length < AvCommandMessage.Size) return NtStatus.InvalidParameter;
        var command = AvCommandMessage.Read(input);
        bool scanner = cookie is AvConnectionType.Scan;
        switch (command.Command)
        {
            case AvCommand.CreateSectionForDataScan:
                if (!scanner) return NtStatus.AccessDenied;
                if (output.Length < 8) return NtStatus.InvalidParameter;
                return CreateSectionForScanner(command.ScanId, output, out returned);
            case AvCommand.CloseSectionForDataScan:
                if (!scanner) return NtStatus.AccessDenied;
                if (command.Result > AvScanResult.Clean) return NtStatus.InvalidParameter;
                if (FindScan(command.ScanId) is not { } scan) return NtStatus.NotFound;
                scan.Finish(filter, command.Result);
                return NtStatus.Success;
            case AvCommand.IsFileModified:
                // The WDK takes a FileHandle; a user-mode descriptor is not a file object here, so the ScanId names the file.
                if (output.Length < 1) return NtStatus.InvalidParameter;
                if (FindScan(command.ScanId) is not { } running) return NtStatus.NotFound;
                output[0] = running.Stream.State == AvFileState.Modified ? (byte)1 : (byte)0;
                returned = 1;
                return NtStatus.Success;
            default:
                return NtStatus.InvalidParameter;
        }
    }

    /// <summary>
    /// AvHandleCmdCreateSectionForDataScan: a section of the scan's file, opened in the caller's process; its HANDLE
    /// (the descriptor number) is the 8-byte output. A scan that already ended: STATUS_CANCELLED.
    /// </summary>
    private NtStatus CreateSectionForScanner(long scanId, Span<byte> output, out int returned)
    {
        returned = 0;
        if (FindScan(scanId) is not { } scan) return NtStatus.NotFound;
        NtStatus st = scan.CreateSection(filter, out DataScanSection? section);
        if (!st.IsSuccess()) return st;
        BinaryPrimitives.WriteInt64LittleEndian(output, -1);   // FilterLib writes the descriptor's number here
        st = filter.OpenSectionForCaller(section!, 0);
        if (!st.IsSuccess()) return st;
        returned = 8;
        return NtStatus.Success;
    }

    private AvScanContext? FindScan(long scanId)
    {
        lock (scans) return scans.TryGetValue(scanId, out var scan) ? scan : null;
    }
}
