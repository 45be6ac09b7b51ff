// The port wire format (docs/port-protocol.md): one SOCK_SEQPACKET record per frame, a 32-byte
// little-endian header and a payload. Linked as source into Altitude.FilterLib so both sides share it.
using System.Buffers.Binary;

namespace Altitude.Ports.Wire;

/// <summary>Frame kinds. Odd numbers travel client to server, even numbers server to client.</summary>
internal enum FrameKind : byte
{
    Hello = 1,          // C->S: first frame, payload = connection context
    HelloResult = 2,    // S->C: outcome of the connect
    Get = 3,            // C->S: one FilterGetMessage posted (a credit), Value = buffer capacity
    Message = 4,        // S->C: a FltSendMessage for that get, Value = ReplyLength
    CancelGet = 5,      // C->S: withdraw a posted get
    GetResult = 6,      // S->C: a get failed (buffer too small: Value = size needed; cancelled)
    Reply = 7,          // C->S: FilterReplyMessage, Status = FILTER_REPLY_HEADER.Status
    ReplyResult = 8,    // S->C: outcome of that reply
    Send = 9,           // C->S: FilterSendMessage, Value = output capacity
    SendResult = 10,    // S->C: MessageNotify's status, Value = returned length, payload = output
    Error = 12,         // S->C: the server closes this connection; payload = UTF-8 reason
}

/// <summary>The 32-byte frame header. Field offsets are part of the protocol.</summary>
internal struct FrameHeader
{
    public const int Size = 32;
    /// <summary>The one protocol version: every frame of both sides carries it, and any other is refused.</summary>
    public const byte CurrentVersion = 4;
    /// <summary>Largest payload in either direction (a 64 KiB datagram fits the default AF_UNIX socket buffers).</summary>
    public const int MaxPayload = 65536;
    public const int MaxFrame = Size + MaxPayload;
    /// <summary>
    /// A client record may hold several frames back to back. Get and CancelGet are 32 bytes, Reply is
    /// 32 + Value; any other kind runs to the end of the record. This is that length, or -1 for a Reply
    /// whose Value exceeds what is left (<paramref name="available"/> bytes from the header on).
    /// </summary>
    public static int PackedLength(in FrameHeader h, int available) => h.Kind switch
    {
        FrameKind.Get or FrameKind.CancelGet => Size,
        FrameKind.Reply => h.Value <= (uint)(available - Size) ? Size + (int)h.Value : -1,
        _ => available,
    };

    /// <summary>The connection context is a WORD-sized count on Windows.</summary>
    public const int MaxContext = 65535;

    /// <summary>
    /// Message only (offset 2): the sender of this message waits with no deadline and cannot be cancelled,
    /// so a reply to it always finds its waiter and the client can decide FilterReplyMessage's outcome itself.
    /// </summary>
    public const ushort FlagNoWithdrawn = 1;

    /// <summary>
    /// SendResult only (offset 2): the record carries one descriptor as SCM_RIGHTS ancillary data (a data-scan
    /// section MessageNotify opened for the caller), and <see cref="HandleOffset"/> says where in the output the
    /// client writes its number as an 8-byte HANDLE.
    /// </summary>
    public const ushort FlagHasHandle = 2;

    public FrameKind Kind;      // offset 0, u8
    public byte Version;        // offset 1, u8: CurrentVersion
    public ushort Flags;        // offset 2, u16: Message flags (FlagNoWithdrawn); zero otherwise
    public uint Tag;            // offset 4: the client's request tag, echoed in the answer
    public ulong MessageId;     // offset 8
    public uint Value;          // offset 16: kind-specific length or capacity
    public int Status;          // offset 20: NTSTATUS
    public int HResult;         // offset 24: the HRESULT FilterLib reports for Status
    public uint HandleOffset;   // offset 28: SendResult with FlagHasHandle: the output offset of the HANDLE; zero otherwise

    public FrameHeader(FrameKind kind, uint tag = 0, ulong messageId = 0, uint value = 0, int status = 0, int hresult = 0)
    {
        Kind = kind; Version = CurrentVersion; Tag = tag; MessageId = messageId; Value = value; Status = status; HResult = hresult;
    }

    public readonly void Write(Span<byte> frame)
    {
        frame[0] = (byte)Kind;
        frame[1] = Version;
        BinaryPrimitives.WriteUInt16LittleEndian(frame.Slice(2), Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.Slice(4), Tag);
        BinaryPrimitives.WriteUInt64LittleEndian(frame.Slice(8), MessageId);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.Slice(16), Value);
        BinaryPrimitives.WriteInt32LittleEndian(frame.Slice(20), Status);
        BinaryPrimitives.WriteInt32LittleEndian(frame.Slice(24), HResult);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.Slice(28), HandleOffset);
    }

    /// <summary>Header and payload as one record in a pooled buffer (give it back to ArrayPool&lt;byte&gt;.Shared).</summary>
    public static byte[] RentRecord(in FrameHeader header, ReadOnlySpan<byte> payload, out int length)
    {
        length = Size + payload.Length;
        byte[] record = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        header.Write(record);
        payload.CopyTo(record.AsSpan(Size));
        return record;
    }

    /// <summary>Parses a received record. False (with a reason) for a truncated or malformed header.</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out FrameHeader header, out string? reason)
    {
        header = default;
        if (frame.Length < Size) { reason = "truncated frame (shorter than the 32-byte header)"; return false; }
        header.Kind = (FrameKind)frame[0];
        header.Version = frame[1];
        header.Flags = BinaryPrimitives.ReadUInt16LittleEndian(frame.Slice(2));
        header.Tag = BinaryPrimitives.ReadUInt32LittleEndian(frame.Slice(4));
        header.MessageId = BinaryPrimitives.ReadUInt64LittleEndian(frame.Slice(8));
        header.Value = BinaryPrimitives.ReadUInt32LittleEndian(frame.Slice(16));
        header.Status = BinaryPrimitives.ReadInt32LittleEndian(frame.Slice(20));
        header.HResult = BinaryPrimitives.ReadInt32LittleEndian(frame.Slice(24));
        header.HandleOffset = BinaryPrimitives.ReadUInt32LittleEndian(frame.Slice(28));
        if (header.Version != CurrentVersion) { reason = "unsupported protocol version"; return false; }
        bool flagsAllowed = header.Kind switch
        {
            FrameKind.Message => (header.Flags & ~FlagNoWithdrawn) == 0,
            FrameKind.SendResult => (header.Flags & ~FlagHasHandle) == 0,
            _ => false,
        };
        bool offsetAllowed = header.Kind == FrameKind.SendResult && (header.Flags & FlagHasHandle) != 0;
        if ((header.Flags != 0 && !flagsAllowed) || (header.HandleOffset != 0 && !offsetAllowed))
        {
            reason = "reserved header field is not zero";
            return false;
        }
        reason = null;
        return true;
    }

    /// <summary>How every error text names a frame kind: its number, and its name when it has one ("kind 3 (Get)", "kind 99 (unknown)").</summary>
    public static string Describe(FrameKind kind) =>
        Enum.IsDefined(kind) ? $"kind {(byte)kind} ({kind})" : $"kind {(byte)kind} (unknown)";
}
