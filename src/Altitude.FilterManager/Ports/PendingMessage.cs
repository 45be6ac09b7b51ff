// One FltSendMessage in flight: its frame, its reply buffer, its state and the event its sender waits on.
// Pooled, so a send allocates nothing in the steady state.
using System.Buffers;
using System.Collections.Concurrent;
using Altitude.Ports.Wire;

namespace Altitude.Ports;

internal enum MessageState
{
    /// <summary>Waiting for a get (no reader yet): withdrawable.</summary>
    Queued,
    /// <summary>A get was consumed for it; the sender has still to write the frame.</summary>
    Assigned,
    /// <summary>Written; waiting for FilterReplyMessage (only when a reply buffer was given).</summary>
    AwaitingReply,
    Replied,
    Disconnected,
}

internal sealed class PendingMessage
{
    private static readonly ConcurrentQueue<PendingMessage> Pool = new();
    private const int PoolLimit = 1024;

    // Set (under the connection's gate) when the state changes or the sender is handed the read token.
    // A short spin before blocking: on two cores the reply usually arrives within a few microseconds of
    // the wake-up that a futex wait would cost.
    public readonly ManualResetEventSlim Signal = new(false, 100);
    public byte[] Frame = Array.Empty<byte>();
    public int FrameLength;
    public ulong Id;
    public uint Tag;
    public volatile MessageState State;
    /// <summary>Set under the connection's gate when this waiting sender is handed the read token.</summary>
    public bool Promoted;
    public bool ExpectsReply;
    public byte[] ReplyBuffer = Array.Empty<byte>();
    public int ReplyCapacity;
    public int ReplyLength;
    public NtStatus ReplyStatus;
    /// <summary>FILTER_REPLY_HEADER.Status as the client sent it: stored, never returned ([inf], docs/deviations.md).</summary>
    public int ReplyHeaderStatus;

    public static PendingMessage Rent(int payloadLength, int replyCapacity, bool expectsReply)
    {
        if (!Pool.TryDequeue(out var m)) m = new PendingMessage();
        m.FrameLength = FrameHeader.Size + payloadLength;
        m.Frame = ArrayPool<byte>.Shared.Rent(m.FrameLength);
        m.ExpectsReply = expectsReply;
        m.ReplyCapacity = replyCapacity;
        m.ReplyBuffer = expectsReply && replyCapacity > 0 ? ArrayPool<byte>.Shared.Rent(replyCapacity) : Array.Empty<byte>();
        m.State = MessageState.Queued;
        return m;
    }

    /// <summary>Back to the pool. Only the sender calls this, once nothing else can reach the message.</summary>
    public void Return()
    {
        ArrayPool<byte>.Shared.Return(Frame);
        if (ReplyBuffer.Length > 0) ArrayPool<byte>.Shared.Return(ReplyBuffer);
        Frame = ReplyBuffer = Array.Empty<byte>();
        Id = 0; Tag = 0; Promoted = false; ReplyLength = 0; ReplyStatus = 0; ReplyHeaderStatus = 0;
        Signal.Reset();
        if (Pool.Count < PoolLimit) Pool.Enqueue(this);
    }
}
