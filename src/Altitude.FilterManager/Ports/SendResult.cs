namespace Altitude;

/// <summary>
/// The outcome of <see cref="Filter.SendMessageAsync"/>: what FltSendMessage returns (<paramref name="Status"/>)
/// and the reply bytes copied (<paramref name="ReplyLength"/>; set for STATUS_SUCCESS and STATUS_BUFFER_OVERFLOW).
/// </summary>
public readonly record struct SendResult(NtStatus Status, int ReplyLength);
