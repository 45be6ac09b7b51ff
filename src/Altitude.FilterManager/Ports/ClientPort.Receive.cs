// Reading one connection: whoever holds the read token (a FltSendMessage waiting for its get or its reply,
// else the connection thread) reads one record at a time and acts on it, so a waiting sender usually reads
// its own reply with no thread hand-off. Anything malformed, truncated, oversized or out of order closes
// this connection with a logged reason and nothing else.
using System.Buffers;
using System.Net.Sockets;
using Altitude.Ports;
using Microsoft.Extensions.Logging;
using Altitude.Ports.Wire;

namespace Altitude;

public sealed partial class ClientPort
{
    // The connection whose frame this thread is handling (it holds that connection's read token).
    [ThreadStatic] private static ClientPort? dispatching;
    // Slice of a leader's wait on the socket when it must notice cancellation (a token cannot interrupt recv(2)).
    private const int CancellationSliceMilliseconds = 10;

    /// <summary>
    /// The connection thread after the hello. It holds the read token at first and whenever no sender has
    /// used it for a while (a parking period without send activity); it gives the token to a waiting
    /// sender after each frame. Returns when the connection ends.
    /// </summary>
    private void ReceiveLoop()
    {
        ConfigureSocket();
        while (true)
        {
            if (PassTokenToCandidate() && !ParkUntilIdle()) return;
            if (!ReadOne()) return;
        }
    }

    /// <summary>Token held: gives it to the oldest waiting sender, if any.</summary>
    private bool PassTokenToCandidate()
    {
        lock (gate)
        {
            if (candidates.Count == 0) return false;
            var next = candidates.Dequeue();
            next.Promoted = true;
            next.Signal.Set();
            return true;
        }
    }

    /// <summary>
    /// Without the token: waits until nobody read for a whole parking period with no FltSendMessage
    /// activity, or until SendMessageAsync messages are pending and nobody reads, then takes the token
    /// (true); false once the connection closed. Synchronous senders never wake this thread: frames that
    /// arrive while no sender reads wait at most a couple of periods.
    /// </summary>
    private bool ParkUntilIdle()
    {
        lock (gate)
        {
            long seen = activity;
            bool waited = false;
            while (!closed)
            {
                if (!reading && (asyncPending > 0 || (waited && activity == seen)))
                {
                    reading = true;
                    return true;
                }
                seen = activity;
                Monitor.Wait(gate, ParkMilliseconds);
                waited = true;
            }
            return false;
        }
    }

    /// <summary>Gives up the token: to the oldest waiting sender, else to nobody (the connection thread takes it when idle).</summary>
    private void ReleaseToken()
    {
        lock (gate)
        {
            reading = false;
            if (closed) { Monitor.PulseAll(gate); return; }
            if (candidates.Count == 0)
            {
                // Async messages still wait for frames: the connection thread reads for them.
                if (asyncPending > 0) Monitor.PulseAll(gate);
                return;
            }
            var next = candidates.Dequeue();
            reading = true;
            next.Promoted = true;
            next.Signal.Set();
        }
    }

    /// <summary>
    /// Token held: reads one record and acts on each frame in it (version 3 packs several; earlier versions
    /// one). A read also takes a second record if one is already there (recvmmsg: a Reply and the next Get
    /// that a client sent right after it cost one system call); that one is handled by the next read, by
    /// whoever holds the token then. False once the connection ended (it is then closed).
    /// </summary>
    private bool ReadOne()
    {
        if (readAhead >= 0)
        {
            int length = readAhead;
            readAhead = -1;
            return HandleRecord(readAheadBuffer, length);
        }
        // A nested read (a continuation on this thread sending synchronously) must not overwrite the
        // record the outer read is still walking through.
        if (ReferenceEquals(dispatching, this))
        {
            byte[] rented = ArrayPool<byte>.Shared.Rent(FrameHeader.MaxFrame + 1);
            try { return HandleRecord(rented, Receive(rented.AsSpan(0, FrameHeader.MaxFrame + 1))); }
            finally { ArrayPool<byte>.Shared.Return(rented); }
        }
        int n, second;
        try
        {
            int count = PortSocket.ReceiveTwo(socket.SafeHandle, receiveBuffer, readAheadBuffer, out n, out second);
            if (count < 0) n = count;
            else if (count == 2) readAhead = second;
        }
        catch (ObjectDisposedException)
        {
            Close(null);
            return false;
        }
        return HandleRecord(receiveBuffer, n);
    }

    /// <summary>One recv(2): the length, 0 at EOF, a negative errno, or <see cref="int.MinValue"/> when the socket is disposed.</summary>
    private int Receive(Span<byte> buffer)
    {
        try { return PortSocket.Receive(socket.SafeHandle, buffer); }
        catch (ObjectDisposedException) { return int.MinValue; }
    }

    /// <summary>Acts on a record of <paramref name="n"/> bytes read into <paramref name="buffer"/> (or on the read's failure).</summary>
    private bool HandleRecord(byte[] buffer, int n)
    {
        if (n == int.MinValue) { Close(null); return false; }
        if (n < 0) { Close(IsConnected ? "receive failed: " + PortSocket.Describe(n) : null); return false; }
        if (n == 0) { Close(null); return false; }   // the client closed its handle or died
        // The buffer is one byte larger than the largest frame, so a full buffer means a record was cut.
        if (n == FrameHeader.MaxFrame + 1) { ProtocolError("oversized frame"); return false; }
        // Continuations of SendMessageAsync run inline below; a synchronous SendMessage they make on this
        // connection reads with the token this thread already holds (WaitFor).
        var outer = dispatching;
        dispatching = this;
        try
        {
            int offset = 0;
            while (offset < n)
            {
                var frame = buffer.AsSpan(offset, n - offset);
                if (!FrameHeader.TryRead(frame, out var h, out var reason)) { ProtocolError(reason!); return false; }
                if (h.Version != version) { ProtocolError("unsupported protocol version"); return false; }
                int length = version >= 3 ? FrameHeader.PackedLength(h, frame.Length) : frame.Length;
                if (length < 0) { ProtocolError("malformed reply"); return false; }
                var payload = frame.Slice(FrameHeader.Size, length - FrameHeader.Size);
                string? violation = h.Kind switch
                {
                    FrameKind.Get => OnGet(h),
                    FrameKind.CancelGet => OnCancelGet(h),
                    FrameKind.Reply => OnReply(h, payload),
                    FrameKind.Send => OnSend(h, payload),
                    FrameKind.Hello => "second hello",
                    _ => "unexpected frame kind " + (byte)h.Kind,
                };
                if (violation is not null) { ProtocolError(violation); return false; }
                offset += length;
                // A frame's handler may have closed the connection (a failed send): stop there.
                if (Volatile.Read(ref closed)) return false;
            }
            return true;
        }
        finally { dispatching = outer; }
    }

    /// <summary>
    /// A sender with the token: reads until its message leaves <paramref name="from"/>, its deadline passes
    /// (after reading what is already there) or it is cancelled; then passes the token on.
    /// </summary>
    private NtStatus Lead(PendingMessage m, MessageState from, long deadline, CancellationToken ct, bool nested = false)
    {
        try
        {
            bool bounded = deadline != long.MaxValue || ct.CanBeCanceled;
            while (true)
            {
                // Done, once a record read ahead is handled too (usually the client's next Get: a credit
                // for the next send, instead of a record nobody looks at until then).
                if (m.State != from && readAhead < 0) return NtStatus.Success;
                // A record read ahead is handled before looking at the socket.
                if (bounded && readAhead < 0)
                {
                    if (ct.IsCancellationRequested) return NtStatus.Cancelled;
                    long left = deadline == long.MaxValue ? long.MaxValue : deadline - Environment.TickCount64;
                    int slice = left <= 0 ? 0 : (int)Math.Min(left, ct.CanBeCanceled ? CancellationSliceMilliseconds : int.MaxValue / 1000);
                    bool ready;
                    try { ready = socket.Poll(slice * 1000L > int.MaxValue ? -1 : slice * 1000, SelectMode.SelectRead); }
                    catch (ObjectDisposedException) { Close(null); return NtStatus.Success; }
                    if (!ready)
                    {
                        if (left <= 0) return NtStatus.Timeout;
                        continue;
                    }
                }
                if (!ReadOne()) return NtStatus.Success;   // closed: the state says PORT_DISCONNECTED
            }
        }
        catch (Exception e)
        {
            // Nothing a peer sends may fail the filter's call; drop this connection only.
            logger.LogError(e, "Port {Port}: connection ({Peer}) failed", ServerPort.Name, Credentials.ToString());
            Close("internal error: " + e.GetType().Name);
            return NtStatus.Success;
        }
        finally
        {
            // Nested: the outer frame's handler on this thread still holds the token.
            if (!nested) ReleaseToken();
        }
    }

    /// <summary>A posted FilterGetMessage: hand it the oldest blocked message, or keep it as a credit.</summary>
    private string? OnGet(in FrameHeader h)
    {
        if (h.MessageId != 0 || h.Status != 0 || h.HResult != 0) return "malformed get";
        int capacity = (int)Math.Min(h.Value, int.MaxValue);
        PendingMessage? assigned = null;
        int needed = 0;
        lock (gate)
        {
            if (closed) return null;
            if (credits.Count >= MaxOutstandingGets) return "too many outstanding gets";
            for (int i = 0; i < credits.Count; i++)
                if (credits[i].Tag == h.Tag) return "get tag already outstanding";
            if (waiting.Count > 0)
            {
                var m = waiting[0];
                // The byte count of a get is FILTER_MESSAGE_HEADER (16) + payload.
                needed = 16 + m.FrameLength - FrameHeader.Size;
                if (capacity >= needed)
                {
                    waiting.Dequeue();
                    AssignLocked(m, h.Tag);
                    // The sender wakes (or, leading, sees it) and writes the message itself (it owns the
                    // frame); an async message is written by this thread.
                    if (m.IsAsync) m.Writing = true;
                    else m.Signal.Set();
                    assigned = m;
                }
            }
            else
            {
                credits.Enqueue(new Credit { Tag = h.Tag, Capacity = capacity });
                return null;
            }
        }
        if (assigned is not null)
        {
            if (assigned.IsAsync) WriteAsyncFrame(assigned);
            return null;
        }
        // Too small: only this get fails; the message stays queued for a large enough one.
        SendGetResult(h.Tag, NtStatus.BufferTooSmall, needed);
        return null;
    }

    private string? OnCancelGet(in FrameHeader h)
    {
        if (h.MessageId != 0 || h.Value != 0 || h.Status != 0 || h.HResult != 0) return "malformed cancel";
        bool found = false;
        lock (gate)
        {
            for (int i = 0; i < credits.Count; i++)
            {
                if (credits[i].Tag != h.Tag) continue;
                credits.RemoveAt(i);
                found = true;
                break;
            }
        }
        // Not found: the get was already answered (the answer is on its way); nothing to do.
        if (found) SendGetResult(h.Tag, NtStatus.Cancelled, 0);
        return null;
    }

    /// <summary>FilterReplyMessage: completes the waiting FltSendMessage, or NO_WAITER_FOR_REPLY.</summary>
    private string? OnReply(in FrameHeader h, ReadOnlySpan<byte> payload)
    {
        if (h.Value != payload.Length || h.HResult != 0) return "malformed reply";
        NtStatus result;
        PendingMessage? publish = null;
        lock (gate)
        {
            if (closed) return null;
            if (!awaitingReply.Remove(h.MessageId, out var m))
            {
                // Unknown id, a sender that timed out or was cancelled, a message sent without a reply
                // buffer, or a duplicate reply.
                result = NtStatus.FltNoWaiterForReply;
            }
            else if (m.IsAsync)
            {
                int copy = Math.Min(payload.Length, m.ReplyCapacity);
                payload.Slice(0, copy).CopyTo(m.UserReply.Span);
                m.ReplyLength = copy;
                m.ReplyHeaderStatus = h.Status;
                result = payload.Length > m.ReplyCapacity ? NtStatus.BufferOverflow : NtStatus.Success;
                m.State = MessageState.Replied;
                if (DecideLocked(m, result)) publish = m;
            }
            else
            {
                int copy = Math.Min(payload.Length, m.ReplyCapacity);
                payload.Slice(0, copy).CopyTo(m.ReplyBuffer);
                m.ReplyLength = copy;
                m.ReplyHeaderStatus = h.Status;
                // [inf] a reply larger than the sender's buffer: the first ReplyLength bytes, BUFFER_OVERFLOW.
                result = payload.Length > m.ReplyCapacity ? NtStatus.BufferOverflow : NtStatus.Success;
                m.ReplyStatus = result;
                m.State = MessageState.Replied;
                m.Signal.Set();
            }
        }
        // Version 2: only a reply with a tag asks for a ReplyResult (FilterLib checks replies itself).
        if (h.Tag != 0 || version == 1)
            Send(new FrameHeader(FrameKind.ReplyResult, tag: h.Tag, messageId: h.MessageId, status: (int)result, hresult: StatusMapping.ToHResult(result)), default);
        // Last: the awaiting continuation runs here, on this reading thread.
        publish?.Publish();
        return null;
    }

    /// <summary>FilterSendMessage: runs MessageNotify on the thread pool, so one slow callback blocks neither this loop nor other senders.</summary>
    private string? OnSend(in FrameHeader h, ReadOnlySpan<byte> payload)
    {
        if (h.MessageId != 0 || h.Status != 0 || h.HResult != 0) return "malformed send";
        int capacity = (int)Math.Min(h.Value, (uint)FrameHeader.MaxPayload);
        var notify = ServerPort.MessageNotify;
        if (notify is null)
        {
            // [inf] a port without MessageNotify rejects every send with STATUS_INVALID_PARAMETER.
            SendSendResult(h.Tag, NtStatus.InvalidParameter, ReadOnlySpan<byte>.Empty);
            return null;
        }
        if (Interlocked.Increment(ref outstandingSends) > MaxOutstandingSends)
        {
            Interlocked.Decrement(ref outstandingSends);
            return "too many outstanding sends";
        }
        var work = MessageNotifyWorkItem.Rent(this, notify, connectionCookie, h.Tag, payload, capacity);
        ThreadPool.UnsafeQueueUserWorkItem(work, preferLocal: false);
        return null;
    }

    internal void SendCompleted() => Interlocked.Decrement(ref outstandingSends);

    internal void SendSendResult(uint tag, NtStatus status, ReadOnlySpan<byte> output) =>
        Send(new FrameHeader(FrameKind.SendResult, tag: tag, value: (uint)output.Length, status: (int)status, hresult: StatusMapping.ToHResult(status)), output);

    private void SendGetResult(uint tag, NtStatus status, int needed) =>
        Send(new FrameHeader(FrameKind.GetResult, tag: tag, value: (uint)needed, status: (int)status, hresult: StatusMapping.ToHResult(status)), default);
}
