// One FltSendMessage in flight: its frame, its reply buffer, its state and the event its sender waits on;
// or one Filter.SendMessageAsync: then it is the IValueTaskSource the caller awaits, completed inline by
// whichever thread decides it (the reader of its reply, a timer, a cancellation, a close).
// Pooled, so a send allocates nothing in the steady state.
using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;
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

internal sealed class PendingMessage : IValueTaskSource<SendResult>, ILaneWork
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
    /// <summary>No deadline and no cancellation: no Withdrawn can follow the Message (FrameHeader.FlagNoWithdrawn).</summary>
    public bool NoWithdrawn;
    public byte[] ReplyBuffer = Array.Empty<byte>();
    public int ReplyCapacity;
    public int ReplyLength;
    public NtStatus ReplyStatus;
    /// <summary>FILTER_REPLY_HEADER.Status as the client sent it: stored, never returned ([inf], docs/deviations.md).</summary>
    public int ReplyHeaderStatus;

    // SendMessageAsync only; every field below is read and written under the connection's gate, except
    // where noted.
    public bool IsAsync;
    /// <summary>The connection (set at rent, read by the timer callback without the gate).</summary>
    public ClientPort? Port;
    /// <summary>Counts rents, so a late timer callback cannot expire a later use of this object.</summary>
    public int Generation;
    /// <summary>In the connection's waiting queue or awaiting its reply (counted in its pending-async total).</summary>
    public bool Registered;
    /// <summary>A thread is writing the Message frame: the outcome, if decided meanwhile, is published after the write.</summary>
    public bool Writing;
    /// <summary>The outcome is decided (<see cref="Outcome"/>); published once <see cref="Writing"/> is false.</summary>
    public bool Done;
    public NtStatus Outcome;
    /// <summary>The deadline expired or the send was cancelled while the frame was being written.</summary>
    public NtStatus PendingExpiry;
    /// <summary>Environment.TickCount64 deadline, or long.MaxValue.</summary>
    public long Deadline;
    /// <summary>The caller's reply buffer (the reply is copied there directly).</summary>
    public Memory<byte> UserReply;
    private Timer? timer;
    private CancellationTokenRegistration registration;
    private ManualResetValueTaskSourceCore<SendResult> core = new() { RunContinuationsAsynchronously = false };

    private static PendingMessage Take()
    {
        if (Pool.TryDequeue(out var m)) return m;
        long mark = PoolGrowth.Begin();   // more messages in flight in the process than ever before
        m = new PendingMessage();
        PoolGrowth.End(mark);
        return m;
    }

    public static PendingMessage Rent(int payloadLength, int replyCapacity, bool expectsReply)
    {
        var m = Take();
        m.FrameLength = FrameHeader.Size + payloadLength;
        m.Frame = ArrayPool<byte>.Shared.Rent(m.FrameLength);
        m.ExpectsReply = expectsReply;
        m.ReplyCapacity = replyCapacity;
        m.ReplyBuffer = expectsReply && replyCapacity > 0 ? ArrayPool<byte>.Shared.Rent(replyCapacity) : Array.Empty<byte>();
        m.State = MessageState.Queued;
        return m;
    }

    public static PendingMessage RentAsync(ClientPort port, int payloadLength, int replyCapacity, bool expectsReply, Memory<byte> reply)
    {
        var m = Take();
        m.FrameLength = FrameHeader.Size + payloadLength;
        m.Frame = ArrayPool<byte>.Shared.Rent(m.FrameLength);
        m.ExpectsReply = expectsReply;
        m.ReplyCapacity = replyCapacity;
        m.UserReply = reply;
        m.State = MessageState.Queued;
        m.IsAsync = true;
        m.Deadline = long.MaxValue;
        m.Generation++;
        Volatile.Write(ref m.Port, port);
        return m;
    }

    public ValueTask<SendResult> AsValueTask() => new(this, core.Version);

    /// <summary>Arms the timeout and the cancellation (after the message was published to the connection).</summary>
    public void Arm(long deadline, CancellationToken ct)
    {
        if (deadline != long.MaxValue) Rearm(deadline);
        if (ct.CanBeCanceled)
            registration = ct.UnsafeRegister(static s => { var m = (PendingMessage)s!; Volatile.Read(ref m.Port)?.Expire(m, Volatile.Read(ref m.Generation), cancelled: true); }, this);
    }

    public void Rearm(long deadline)
    {
        timer ??= new Timer(static s =>
        {
            // May run late, even for a later rent of this object: Expire checks the generation, the
            // registration and the deadline under the connection's gate.
            var m = (PendingMessage)s!;
            Volatile.Read(ref m.Port)?.Expire(m, Volatile.Read(ref m.Generation), cancelled: false);
        }, this, Timeout.Infinite, Timeout.Infinite);
        long left = Math.Max(0, deadline - Environment.TickCount64);
        timer.Change(Math.Min(left, uint.MaxValue - 2), Timeout.Infinite);
    }

    /// <summary>Publishes the decided outcome; the awaiting continuation runs inline on this thread. Never under the gate.</summary>
    public void Publish()
    {
        if (Deadline != long.MaxValue) timer?.Change(Timeout.Infinite, Timeout.Infinite);
        core.SetResult(new SendResult(Outcome, Outcome == NtStatus.Success || Outcome == NtStatus.BufferOverflow ? ReplyLength : 0));
    }

    // On the connection's lane: an async outcome decided on the I/O thread is published here.
    bool ILaneWork.IsSend => false;
    void ILaneWork.Run() => Publish();
    void ILaneWork.Drop() { }

    SendResult IValueTaskSource<SendResult>.GetResult(short token)
    {
        var result = core.GetResult(token);
        Return();
        return result;
    }

    ValueTaskSourceStatus IValueTaskSource<SendResult>.GetStatus(short token) => core.GetStatus(token);

    void IValueTaskSource<SendResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        core.OnCompleted(continuation, state, token, flags);

    /// <summary>Back to the pool. Only the sender calls this, once nothing else can reach the message.</summary>
    public void Return()
    {
        if (IsAsync)
        {
            registration.Dispose();   // waits for a running cancellation callback
            registration = default;
            Volatile.Write(ref Port, null);
            UserReply = default;
            IsAsync = Registered = Writing = Done = false;
            Outcome = PendingExpiry = 0;
            core.Reset();
        }
        ArrayPool<byte>.Shared.Return(Frame);
        if (ReplyBuffer.Length > 0) ArrayPool<byte>.Shared.Return(ReplyBuffer);
        Frame = ReplyBuffer = Array.Empty<byte>();
        Id = 0; Tag = 0; Promoted = false; NoWithdrawn = false; ReplyLength = 0; ReplyStatus = 0; ReplyHeaderStatus = 0;
        Signal.Reset();
        if (Pool.Count < PoolLimit) Pool.Enqueue(this);
    }
}
