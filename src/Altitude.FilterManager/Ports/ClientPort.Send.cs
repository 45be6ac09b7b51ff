// FltSendMessage on one connection: the rendezvous with a posted get, the wait for the reply (reading the
// socket itself while it holds the read token), the timeout with withdrawal, and cancellation. Runs on the
// sender's thread and never throws.
using Altitude.Ports;
using Altitude.Ports.Wire;

namespace Altitude;

public sealed partial class ClientPort
{
    internal NtStatus SendMessage(ReadOnlySpan<byte> senderBuffer, Span<byte> replyBuffer, bool expectsReply, out int replyLength, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        replyLength = 0;
        if (senderBuffer.Length > FrameHeader.MaxPayload) return NtStatus.InvalidParameter;
        long deadline;
        if (timeout is not { } t) deadline = long.MaxValue;
        else if (t < TimeSpan.Zero) return NtStatus.InvalidParameter;
        else deadline = Environment.TickCount64 + (long)Math.Ceiling(t.TotalMilliseconds);
        // A reply can never exceed the largest frame, so a bigger buffer is only partly usable.
        int capacity = expectsReply ? Math.Min(replyBuffer.Length, FrameHeader.MaxPayload) : 0;

        var m = PendingMessage.Rent(senderBuffer.Length, capacity, expectsReply);
        m.NoWithdrawn = deadline == long.MaxValue && !cancellationToken.CanBeCanceled;
        try
        {
            senderBuffer.CopyTo(m.Frame.AsSpan(FrameHeader.Size));
            NtStatus st = Deliver(m, deadline, cancellationToken);
            if (st == NtStatus.Timeout) Interlocked.Increment(ref ServerPort.Counters.Timeouts);
            if (st != NtStatus.Success) return st;
            if (!expectsReply) return NtStatus.Success;
            st = AwaitReply(m, deadline, cancellationToken);
            if (st == NtStatus.Timeout) Interlocked.Increment(ref ServerPort.Counters.Timeouts);
            if (st == NtStatus.Success || st == NtStatus.BufferOverflow)
            {
                m.ReplyBuffer.AsSpan(0, m.ReplyLength).CopyTo(replyBuffer);
                replyLength = m.ReplyLength;
            }
            return st;
        }
        finally
        {
            m.Return();
        }
    }

    /// <summary>Blocks until a get takes the message and its frame is written; withdraws it on expiry.</summary>
    private NtStatus Deliver(PendingMessage m, long deadline, CancellationToken ct)
    {
        int needed = 16 + m.FrameLength - FrameHeader.Size;
        while (true)
        {
            uint tooSmallTag = 0;
            bool tooSmall = false;
            lock (gate)
            {
                if (closed) return NtStatus.PortDisconnected;
                if (m.Id == 0) { m.Id = ++nextMessageId; activity++; }
                if (credits.Count == 0)
                {
                    waiting.Enqueue(m);
                    break;
                }
                var c = credits.Dequeue();
                if (c.Capacity >= needed) AssignLocked(m, c.Tag);
                else { tooSmall = true; tooSmallTag = c.Tag; }
            }
            if (!tooSmall) return WriteFrame(m);
            // Only that get fails; try the next one.
            SendGetResult(tooSmallTag, NtStatus.BufferTooSmall, needed);
        }

        // No reader yet: the sender blocks (the rendezvous), reading the socket itself if nobody else does.
        NtStatus waited = WaitFor(m, MessageState.Queued, deadline, ct);
        lock (gate)
        {
            switch (m.State)
            {
                case MessageState.Disconnected:
                    return NtStatus.PortDisconnected;
                case MessageState.Queued:
                    // Expired or cancelled before any reader took it: withdraw it.
                    for (int i = 0; i < waiting.Count; i++)
                        if (ReferenceEquals(waiting[i], m)) { waiting.RemoveAt(i); break; }
                    return waited;
            }
            // Assigned: a reader took it, even if the deadline passed meanwhile; write it.
        }
        return WriteFrame(m);
    }

    /// <summary>Called under the gate: the message goes to the get with this tag.</summary>
    private void AssignLocked(PendingMessage m, uint tag)
    {
        m.Tag = tag;
        m.State = MessageState.Assigned;
        // Registered before the frame leaves, so the fastest reply still finds its waiter.
        if (m.ExpectsReply)
        {
            awaitingReply.Add(m.Id, m);
            m.State = MessageState.AwaitingReply;
        }
    }

    private NtStatus WriteFrame(PendingMessage m)
    {
        MessageHeader(m).Write(m.Frame);
        Interlocked.Increment(ref ServerPort.Counters.MessagesSent);
        if (EmitRaw(m.Frame.AsSpan(0, m.FrameLength))) return NtStatus.Success;
        lock (gate)
        {
            awaitingReply.Remove(m.Id);
            m.State = MessageState.Disconnected;
        }
        return NtStatus.PortDisconnected;
    }

    /// <summary>The Message frame's header; the flag says when the sender cannot give up, so the client may decide its reply's outcome itself.</summary>
    private static FrameHeader MessageHeader(PendingMessage m) =>
        new(FrameKind.Message, tag: m.Tag, messageId: m.Id, value: m.ExpectsReply ? (uint)(m.ReplyCapacity + 16) : 0)
        {
            Flags = m.ExpectsReply && m.NoWithdrawn ? FrameHeader.FlagNoWithdrawn : (ushort)0,
        };

    private NtStatus AwaitReply(PendingMessage m, long deadline, CancellationToken ct)
    {
        NtStatus waited = WaitFor(m, MessageState.AwaitingReply, deadline, ct);
        lock (gate)
        {
            switch (m.State)
            {
                case MessageState.Replied:
                    return m.ReplyStatus;
                case MessageState.Disconnected:
                    return NtStatus.PortDisconnected;
            }
            // Delivered but unanswered: a late reply now gets NO_WAITER_FOR_REPLY.
            awaitingReply.Remove(m.Id);
            m.State = MessageState.Disconnected;
        }
        return waited;
    }

    /// <summary>
    /// Waits until the message leaves state <paramref name="from"/>: STATUS_TIMEOUT on expiry, STATUS_CANCELLED
    /// on cancellation, else SUCCESS. While nobody else reads the socket, the sender reads it itself (it
    /// holds the read token); otherwise it sleeps until its state changes or the token is handed to it.
    /// </summary>
    private NtStatus WaitFor(PendingMessage m, MessageState from, long deadline, CancellationToken ct)
    {
        while (true)
        {
            bool nested = false;
            lock (gate)
            {
                if (m.State != from || closed) return NtStatus.Success;
                m.Signal.Reset();
                if (!reading) reading = true;
                // Called from a SendMessageAsync continuation on the thread that holds the token.
                else if (ReferenceEquals(dispatching, this)) nested = true;
                else
                {
                    candidates.Enqueue(m);
                    m = WaitAsCandidate(m, from, deadline, ct, out var result);
                    if (result is { } r) return r;
                    if (!m.Promoted) continue;
                    m.Promoted = false;
                }
            }
            return Lead(m, from, deadline, ct, nested);
        }
    }

    /// <summary>
    /// Called with the gate held, <paramref name="m"/> queued as a candidate: sleeps (releasing the gate) until
    /// its state changes, the token comes to it (Promoted stays set), or it gives up (the result).
    /// </summary>
    private PendingMessage WaitAsCandidate(PendingMessage m, MessageState from, long deadline, CancellationToken ct, out NtStatus? result)
    {
        Monitor.Exit(gate);
        NtStatus waited;
        try { waited = Wait(m, deadline, ct); }
        finally { Monitor.Enter(gate); }
        result = null;
        if (m.Promoted)
        {
            if (m.State == from && waited == NtStatus.Success) return m;   // lead
            // Handed the token but done (or giving up): pass it on.
            m.Promoted = false;
            Monitor.Exit(gate);
            try { ReleaseToken(fromIoThread: false); }
            finally { Monitor.Enter(gate); }
        }
        else
        {
            for (int i = 0; i < candidates.Count; i++)
                if (ReferenceEquals(candidates[i], m)) { candidates.RemoveAt(i); break; }
        }
        if (m.State != from) result = NtStatus.Success;
        else if (waited != NtStatus.Success) result = waited;
        return m;
    }

    /// <summary>STATUS_TIMEOUT on expiry, STATUS_CANCELLED on cancellation, else SUCCESS (signalled).</summary>
    private static NtStatus Wait(PendingMessage m, long deadline, CancellationToken ct)
    {
        while (true)
        {
            int ms;
            if (deadline == long.MaxValue) ms = Timeout.Infinite;
            else
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0) return m.Signal.IsSet ? NtStatus.Success : NtStatus.Timeout;
                ms = (int)Math.Min(left, int.MaxValue - 1);
            }
            try
            {
                if (m.Signal.Wait(ms, ct)) return NtStatus.Success;
            }
            catch (OperationCanceledException)
            {
                // The file operation was interrupted: the caller withdraws the message, leaving no waiter.
                return m.Signal.IsSet ? NtStatus.Success : NtStatus.Cancelled;
            }
        }
    }
}
