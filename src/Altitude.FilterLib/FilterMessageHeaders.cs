// FILTER_MESSAGE_HEADER and FILTER_REPLY_HEADER: the 16-byte headers at the start of get and reply buffers.
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Altitude.FilterLib;

/// <summary>
/// FILTER_MESSAGE_HEADER (16 bytes, x64 layout): ULONG ReplyLength at 0 (the expected reply size including
/// the 16-byte FILTER_REPLY_HEADER; 0 = no reply expected), 4 bytes padding, ULONGLONG MessageId at 8.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
public struct FilterMessageHeader
{
    public const int Size = 16;
    public uint ReplyLength;
    private uint padding;
    public ulong MessageId;

    /// <summary>Reads the header at the start of a buffer filled by FilterGetMessage.</summary>
    public static FilterMessageHeader Read(ReadOnlySpan<byte> buffer) => new()
    {
        ReplyLength = BinaryPrimitives.ReadUInt32LittleEndian(buffer),
        MessageId = BinaryPrimitives.ReadUInt64LittleEndian(buffer.Slice(8)),
    };

    public readonly void Write(Span<byte> buffer)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, ReplyLength);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(4), 0);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.Slice(8), MessageId);
    }
}

/// <summary>
/// FILTER_REPLY_HEADER (16 bytes): NTSTATUS Status at 0, 4 bytes padding, ULONGLONG MessageId at 8. The
/// reply payload follows; pass 16 + payload size to FilterReplyMessage.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
public struct FilterReplyHeader
{
    public const int Size = 16;
    /// <summary>Stored with the reply; FltSendMessage's result does not depend on it (docs/deviations.md).</summary>
    public int Status;
    private uint padding;
    public ulong MessageId;

    public static FilterReplyHeader Read(ReadOnlySpan<byte> buffer) => new()
    {
        Status = BinaryPrimitives.ReadInt32LittleEndian(buffer),
        MessageId = BinaryPrimitives.ReadUInt64LittleEndian(buffer.Slice(8)),
    };

    public readonly void Write(Span<byte> buffer)
    {
        BinaryPrimitives.WriteInt32LittleEndian(buffer, Status);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(4), 0);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.Slice(8), MessageId);
    }
}
