// Per-port counters of a statistics snapshot.
namespace Altitude;

/// <summary>
/// One listening server port: connections holding a MaxConnections slot now, accepted and refused in total,
/// FltSendMessage messages sent, FilterSendMessage requests received (MessageNotify), replies received, and
/// FltSendMessage calls that timed out. <see cref="Filter"/> is null for a port the Filter Manager owns itself.
/// </summary>
public sealed record PortStatistics(
    string Port,
    string? Filter,
    long Connections,
    long ConnectionsAccepted,
    long ConnectionsRefused,
    long MessagesSent,
    long MessagesReceived,
    long Replies,
    long Timeouts);
