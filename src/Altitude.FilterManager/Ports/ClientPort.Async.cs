// Filter.SendMessageAsync on one connection (an Altitude extension, docs/deviations.md section 10): the
// same rendezvous as FltSendMessage, but nobody blocks. The message is a pooled IValueTaskSource; the
// thread that decides it (the reader of its reply, the reader of the Get that takes a queued message,
// a timer, a cancellation, a close) publishes the result inline, so a caller that awaits it and sends
// the next message from its continuation keeps the pipe full from the reading thread with no hand-off.
// While such messages are pending, the connection is watched by the I/O thread (never left in grace), and
// continuations decided there run on the connection's lane instead: the I/O thread runs no filter code.
using Altitude.Ports;
using Altitude.Ports.Wire;

namespace Altitude;

public sealed partial class ClientPort
{
    // Async messages queued or awaiting their reply: while non-zero someone must read for them.
    private int asyncPending;

    internal ValueTask<SendResult> SendMessageAsync(ReadOnlyMemory<byte> senderBuffer, Memory<byte>? replyBuffer, TimeSpan? timeout, CancellationToken ct)
    {
        if (senderBuffer.Length > FrameHeader.MaxPayload) return new(new SendResult(NtStatus.InvalidParameter, 0));
        long deadline;
        if (timeout is not { } t) deadline = long.MaxValue;
        else if (t < TimeSpan.Zero) return new(new SendResult(NtStatus.InvalidParameter, 0));
        else deadline = Environment.TickCount64 + (long)Math.Ceiling(t.TotalMilliseconds);
        if (ct.IsCancellationRequested) return new(new SendResult(NtStatus.Cancelled, 0));
        bool expectsReply = replyBuffer.HasValue;
        int capacity = expectsReply ? Math.Min(replyBuffer!.Value.Length, FrameHeader.MaxPayload) : 0;

        var m = PendingMessage.RentAsync(this, senderBuffer.Length, capacity, expectsReply, replyBuffer ?? default);
        senderBuffer.Span.CopyTo(m.Frame.AsSpan(FrameHeader.Size));
        m.Deadline = deadline;
        m.NoWithdrawn = deadline == long.MaxValue && !ct.CanBeCanceled;
        int needed = 16 + senderBuffer.Length;
        bool write;
        while (true)
        {
            uint tooSmallTag = 0;
            NtStatus early = NtStatus.Success;
            lock (gate)
            {
                if (closed) early = NtStatus.PortDisconnected;
                else
                {
                    if (m.Id == 0) { m.Id = ++nextMessageId; activity++; }
                    if (credits.Count == 0)
                    {
                        // Polling (a zero timeout) with no reader: nothing took it, nothing to withdraw.
                        if (deadline != long.MaxValue && deadline <= Environment.TickCount64) early = NtStatus.Timeout;
                        else
                        {
                            waiting.Enqueue(m);
                            RegisterAsyncLocked(m);
                            write = false;
                            break;
                        }
                    }
                    else
                    {
                        var c = credits.Dequeue();
                        if (c.Capacity >= needed)
                        {
                            AssignLocked(m, c.Tag);
                            m.Writing = true;
                            if (m.ExpectsReply) RegisterAsyncLocked(m);
                            write = true;
                            break;
                        }
                        tooSmallTag = c.Tag;
                    }
                }
            }
            if (early != NtStatus.Success)
            {
                if (early == NtStatus.Timeout) Interlocked.Increment(ref ServerPort.Counters.Timeouts);
                m.Return();
                return new(new SendResult(early, 0));
            }
            // Only that get fails; try the next one.
            SendGetResult(tooSmallTag, NtStatus.BufferTooSmall, needed);
        }
        var task = m.AsValueTask();
        m.Arm(deadline, ct);
        if (write) WriteAsyncFrame(m);
        return task;
    }

    /// <summary>Under the gate: the message counts as pending, and someone must read for it.</summary>
    private void RegisterAsyncLocked(PendingMessage m)
    {
        m.Registered = true;
        // Someone must read for it: the I/O thread, now, not after a grace tick (once a sender holding the
        // token lets go, if one does).
        if (asyncPending++ == 0)
        {
            inGrace = false;
            if (!reading) RearmLocked();
        }
    }

    /// <summary>Under the gate: records the outcome once. True when the caller must publish it (after releasing the gate).</summary>
    private bool DecideLocked(PendingMessage m, NtStatus outcome)
    {
        if (m.Done) return false;
        m.Done = true;
        m.Outcome = outcome;
        if (m.Registered) { m.Registered = false; asyncPending--; }
        return !m.Writing;
    }

    /// <summary>Writes the Message frame of an async message that a get took, then settles what happened meanwhile.</summary>
    private void WriteAsyncFrame(PendingMessage m)
    {
        MessageHeader(m).Write(m.Frame);
        Interlocked.Increment(ref ServerPort.Counters.MessagesSent);
        bool ok = EmitRaw(m.Frame.AsSpan(0, m.FrameLength));
        bool publish = false;
        NtStatus expiry = 0;
        lock (gate)
        {
            m.Writing = false;
            if (m.Done) publish = true;   // replied, or closed, while the frame was written
            else if (!ok)
            {
                awaitingReply.Remove(m.Id);
                m.State = MessageState.Disconnected;
                publish = DecideLocked(m, NtStatus.PortDisconnected);
            }
            else if (!m.ExpectsReply) publish = DecideLocked(m, NtStatus.Success);
            else if (m.PendingExpiry != 0)
            {
                // The deadline passed (or the caller cancelled) during the write: withdraw it now.
                expiry = m.PendingExpiry;
                awaitingReply.Remove(m.Id);
                m.State = MessageState.Disconnected;
                publish = DecideLocked(m, expiry);
            }
        }
        if (publish) Complete(m);
    }

    /// <summary>Publishes a decided async message: its continuation runs here, or on the lane when this is the I/O thread.</summary>
    private void Complete(PendingMessage m)
    {
        if (PortDispatcher.OnIoThread) Post(m);
        else m.Publish();
    }

    /// <summary>
    /// The timer or the cancellation of an async message fired (possibly late, possibly for an older use of
    /// the object: checked here). Queued: withdrawn; delivered: a late reply finds no waiter. STATUS_TIMEOUT
    /// or STATUS_CANCELLED.
    /// </summary>
    internal void Expire(PendingMessage m, int generation, bool cancelled)
    {
        NtStatus status = cancelled ? NtStatus.Cancelled : NtStatus.Timeout;
        bool publish = false;
        lock (gate)
        {
            if (!ReferenceEquals(m.Port, this) || m.Generation != generation || !m.Registered || m.Done) return;
            // Early (timer granularity): wait for the rest. Under the gate, so it cannot re-arm a later use.
            if (!cancelled && Environment.TickCount64 < m.Deadline) m.Rearm(m.Deadline);
            else if (m.Writing) m.PendingExpiry = status;
            else
            {
                if (m.State == MessageState.Queued)
                {
                    for (int i = 0; i < waiting.Count; i++)
                        if (ReferenceEquals(waiting[i], m)) { waiting.RemoveAt(i); break; }
                }
                else if (m.State == MessageState.AwaitingReply) awaitingReply.Remove(m.Id);
                m.State = MessageState.Disconnected;
                publish = DecideLocked(m, status);
            }
        }
        if (publish && !cancelled) Interlocked.Increment(ref ServerPort.Counters.Timeouts);
        if (publish) m.Publish();
    }
}
