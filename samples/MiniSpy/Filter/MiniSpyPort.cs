// \MiniSpyPort: one connection at a time (MaxConnections 1), and a pull model: the user program asks for records with
// GetMiniSpyLog and the filter never sends on its own, so a slow or absent reader only fills the capped pool.
// SpyConnect, SpyDisconnect and SpyMessage of the WDK's minispy.c.
using System.Buffers.Binary;

namespace Altitude.Samples.MiniSpy;

public sealed partial class MiniSpyFilter
{
    private ServerPort? serverPort;
    private ClientPort? clientPort;

    /// <summary>FltCreateCommunicationPort with the default security descriptor (SY and BA) and all three callbacks.</summary>
    private NtStatus CreatePort(Filter registered) =>
        registered.CreateCommunicationPort(new ObjectAttributes(MiniSpyProtocol.PortName, ObjectAttributes.PortDefaults), null,
            Connect, Disconnect, Message, maxConnections: 1, out serverPort);

    /// <summary>SpyConnect: remembers the one client.</summary>
    private NtStatus Connect(ClientPort client, object? serverPortCookie, ReadOnlySpan<byte> connectionContext, out object? connectionPortCookie)
    {
        connectionPortCookie = null;
        Volatile.Write(ref clientPort, client);
        return NtStatus.Success;
    }

    /// <summary>SpyDisconnect: closes our end. The queue stays: records gathered meanwhile wait for the next client.</summary>
    private void Disconnect(object? connectionPortCookie) => filter?.CloseClientPort(ref clientPort);

    /// <summary>
    /// SpyMessage: COMMAND_MESSAGE in, records or the version out. STATUS_INVALID_PARAMETER for an input shorter than the
    /// command, an empty output buffer, or an unknown command. The WDK also refuses an output buffer that is not
    /// pointer-aligned (STATUS_DATATYPE_MISALIGNMENT); over a socket the filter writes into its own aligned buffer and
    /// never sees the client's address, so there is nothing to check (docs/deviations.md).
    /// </summary>
    private NtStatus Message(object? connectionPortCookie, ReadOnlySpan<byte> inputBuffer, Span<byte> outputBuffer, out int returnOutputBufferLength)
    {
        returnOutputBufferLength = 0;
        if (inputBuffer.Length < sizeof(uint)) return NtStatus.InvalidParameter;
        switch (BinaryPrimitives.ReadUInt32LittleEndian(inputBuffer))
        {
            case MiniSpyProtocol.GetMiniSpyLog:
                if (outputBuffer.IsEmpty) return NtStatus.InvalidParameter;
                return records.Drain(outputBuffer, out returnOutputBufferLength);
            case MiniSpyProtocol.GetMiniSpyVersion:
                if (outputBuffer.Length < MiniSpyProtocol.VersionSize) return NtStatus.InvalidParameter;
                BinaryPrimitives.WriteUInt16LittleEndian(outputBuffer, MiniSpyProtocol.MajorVersion);
                BinaryPrimitives.WriteUInt16LittleEndian(outputBuffer.Slice(2), MiniSpyProtocol.MinorVersion);
                returnOutputBufferLength = MiniSpyProtocol.VersionSize;
                return NtStatus.Success;
            default:
                return NtStatus.InvalidParameter;
        }
    }
}
