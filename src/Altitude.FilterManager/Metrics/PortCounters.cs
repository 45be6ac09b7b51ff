// What one server port did: connections accepted and refused, FltSendMessage messages written to clients, their
// replies and timeouts, and the FilterSendMessage requests that reached MessageNotify. Plain fields owned by the port.
namespace Altitude;

internal sealed class PortCounters
{
    /// <summary>Connections whose ConnectNotify accepted them.</summary>
    public long Accepted;
    /// <summary>Connections refused: by the security descriptor, the handshake cap, MaxConnections or ConnectNotify.</summary>
    public long Refused;
    /// <summary>FltSendMessage messages written to a client.</summary>
    public long MessagesSent;
    /// <summary>FilterSendMessage requests queued for MessageNotify.</summary>
    public long MessagesReceived;
    /// <summary>FilterReplyMessage replies that found their waiting FltSendMessage.</summary>
    public long Replies;
    /// <summary>FltSendMessage calls that ended with STATUS_TIMEOUT.</summary>
    public long Timeouts;
}
