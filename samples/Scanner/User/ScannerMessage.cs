// scanuser.h: the FltLib transport around the shared payloads. SCANNER_MESSAGE is what one get receives
// (FILTER_MESSAGE_HEADER + SCANNER_NOTIFICATION, 1048 bytes); SCANNER_REPLY_MESSAGE is what a reply sends
// (FILTER_REPLY_HEADER + SCANNER_REPLY, packed to 17 bytes, as FilterReplyMessage wants 16 + payload).
using Altitude.FilterLib;

namespace Altitude.Samples.Scanner.User;

internal static class ScannerMessage
{
    /// <summary>sizeof(SCANNER_MESSAGE) without the OVERLAPPED the WDK appends: the get buffer.</summary>
    public const int Size = FilterMessageHeader.Size + ScannerNotification.Size;

    /// <summary>sizeof(SCANNER_REPLY_MESSAGE), packed.</summary>
    public const int ReplySize = FilterReplyHeader.Size + ScannerReply.Size;

    /// <summary>The notification inside a received message.</summary>
    public static ReadOnlySpan<byte> Notification(ReadOnlySpan<byte> message) => message[FilterMessageHeader.Size..];

    /// <summary>Writes the reply {Status 0, MessageId, SafeToOpen}.</summary>
    public static void WriteReply(Span<byte> reply, ulong messageId, bool safeToOpen)
    {
        new FilterReplyHeader { Status = 0, MessageId = messageId }.Write(reply);
        reply[FilterReplyHeader.Size] = safeToOpen ? (byte)1 : (byte)0;
    }
}
