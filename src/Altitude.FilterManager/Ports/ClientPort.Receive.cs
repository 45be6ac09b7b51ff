// Reading one connection: whoever holds the read token reads one record at a time and acts on it. A
// FltSendMessage waiting for its get or its reply takes the token itself when nobody holds it, so a
// waiting sender usually reads its own reply with no thread hand-off; otherwise the I/O thread reads when
// epoll says there is something (PortDispatcher.cs), a batch at a time. Anything malformed, truncated,
// oversized or out of order closes this connection with a logged reason and nothing else.
using Altitude.Ports;
using Altitude.Ports.Interop;
using Altitude.Ports.Wire;

namespace Altitude;

public sealed partial class ClientPort
{
    private enum ReadResult { Handled, WouldBlock, Closed }

    // The connection whose frame this thread is handling (it holds that connection's read token).
    [ThreadStatic] private static ClientPort? dispatching;
    // Slice of a leader's wait on the socket when it must notice cancellation (a token cannot interrupt recv(2)).
    private const int CancellationSliceMilliseconds = 10;

    // The read token: only its holder calls recv(2).
    private bool reading;
    // The epoll interest armed now (0 after an event: the registration is one-shot).
    private uint armed;
    // Released by a sender, waiting a grace tick before epoll watches it again (PortDispatcher.cs).
    private bool inGrace;
    private long graceSeen;
    private long graceSince;   // Stopwatch timestamp of the last change of activity seen
    // Counts FltSendMessage calls, so a connection in grace stays unwatched while senders keep reading.
    private long activity;

    /// <summary>I/O thread: the descriptor is readable, writable or hung up.</summary>
    internal void OnEvent(uint events)
    {
        Phase p;
        bool paused;
        lock (gate)
        {
            armed = 0;
            if (closed) return;
            p = phase;
            paused = p == Phase.Connected && !reading && ReadPaused();
        }
        // Reading is paused (only a hang-up was watched): the client went away, and what it sent and we did
        // not read yet (FilterSendMessage requests beyond the pause) is never run.
        if (paused && (events & (PortInterop.EpollRdHup | PortInterop.EpollHup | PortInterop.EpollErr)) != 0) { Close(null); return; }
        if ((events & PortInterop.EpollOut) != 0) FlushBacklog();
        if (p == Phase.AwaitingHello) { ReadHello(); return; }
        bool forAsync;
        lock (gate)
        {
            // A sender reads (it re-arms when it lets go), the handshake is not done, or only output was wanted.
            if (closed || reading || phase != Phase.Connected || ReadPaused()) { RearmLocked(); return; }
            reading = true;
            forAsync = asyncPending > 0;
        }
        // Replies for SendMessageAsync: read where their continuations may run, on the lane (ReadForAsync).
        if (forAsync) { Post(asyncReader ??= new AsyncReadWork(this)); return; }
        var b = dispatcher.IoBuffers;
        var result = ReadResult.Handled;
        for (int i = 0; i < PortDispatcher.ReadBatch && result == ReadResult.Handled && !ReadPaused(); i++)
            result = ReadOne(b, dontWait: true);
        // A record read ahead is this reader's to handle before it lets go.
        while (b.ReadAhead >= 0 && result != ReadResult.Closed) result = ReadOne(b, dontWait: true);
        b.ReadAhead = -1;
        ReleaseToken(fromIoThread: true);
    }

    // Answers waiting for the client beyond which its requests are not read either (below MaxBacklogBytes, so
    // its Replies and Gets still flow while a little output waits).
    private const int PauseReadingAtBacklog = 1 << 20;

    private bool ReadPaused() => Volatile.Read(ref laneSends) >= PauseReadingAtSends || Volatile.Read(ref backlogBytes) >= PauseReadingAtBacklog;

    /// <summary>
    /// Under the gate: arms epoll for what this connection waits for now. Reading, when nobody holds the token,
    /// the connection is not in grace and the client is not paused; writing, while records wait.
    /// </summary>
    private void RearmLocked()
    {
        if (closed) return;
        uint want = 0;
        if (phase == Phase.AwaitingHello || (phase == Phase.Connected && !reading && !inGrace))
            // Paused: only a hang-up, so a client that dies with requests unread is still noticed.
            want = phase == Phase.Connected && ReadPaused() ? PortInterop.EpollRdHup : PortInterop.EpollIn | PortInterop.EpollRdHup;
        if (OutputBlocked) want |= PortInterop.EpollOut;
        // Nothing wanted: leave it as it is (an armed read fires at most once, and is then handled above).
        if (want == 0 || want == armed) return;
        armed = want;
        dispatcher.Arm(fd, key, want);
    }

    /// <summary>I/O thread, every tick for connections in grace: true when it is out of grace (re-armed or closed).</summary>
    internal bool ProcessGrace()
    {
        lock (gate)
        {
            // Out of grace: closed, cleared by an async send, or a sender reads (it puts it back when it lets go).
            if (closed || !inGrace || reading) { inGrace = false; return true; }
            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            if (activity != graceSeen) { graceSeen = activity; graceSince = now; return false; }
            if (now - graceSince < PortDispatcher.GraceTicks) return false;
            inGrace = false;
            RearmLocked();
            return true;
        }
    }

    // Per read turn on the lane: what one connection's async replies may take of a worker before others' turn.
    private const int AsyncReadRecords = 256;
    private static readonly long AsyncReadTicks = System.Diagnostics.Stopwatch.Frequency / 500;   // 2 ms
    private const int AsyncReadIdleMilliseconds = 1;
    private AsyncReadWork? asyncReader;

    /// <summary>
    /// Lane, holding the read token the I/O thread took: reads while SendMessageAsync messages are pending and
    /// runs their continuations right here (a worker, not the I/O thread), so a loop of awaits that sends again
    /// from its continuation costs one wake-up per message, as a blocked reader would. It waits for the next
    /// record up to 1 ms, and gives the token back after a budget (records or time), when a synchronous sender
    /// wants it, or when no async message is pending any more.
    /// </summary>
    private void ReadForAsync()
    {
        var b = ReadBuffers.Rent();
        try
        {
            long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + AsyncReadTicks;
            for (int records = 0; ; records++)
            {
                if (b.ReadAhead < 0)
                {
                    lock (gate)
                        if (closed || candidates.Count > 0 || asyncPending == 0) break;
                    if (records >= AsyncReadRecords || System.Diagnostics.Stopwatch.GetTimestamp() > deadline) break;
                    bool ready;
                    try { ready = PortSocket.PollReadable(socket, AsyncReadIdleMilliseconds); }
                    catch (ObjectDisposedException) { break; }
                    if (!ready) break;
                }
                if (ReadOne(b, dontWait: true) == ReadResult.Closed) break;
            }
        }
        finally
        {
            ReadBuffers.Return(b);
            ReleaseToken(fromIoThread: true);
        }
    }

    private sealed class AsyncReadWork(ClientPort port) : ILaneWork
    {
        public bool IsSend => false;
        public void Run() => port.ReadForAsync();
        public void Drop() { }
    }

    /// <summary>
    /// Gives up the token: to the oldest waiting sender, else back to epoll. A sender's release waits a grace
    /// tick first unless SendMessageAsync messages wait for frames (nobody else would read for them).
    /// </summary>
    private void ReleaseToken(bool fromIoThread)
    {
        bool addGrace = false;
        lock (gate)
        {
            reading = false;
            if (closed) return;
            if (candidates.Count > 0)
            {
                var next = candidates.Dequeue();
                reading = true;
                next.Promoted = true;
                next.Signal.Set();
                return;
            }
            if (!fromIoThread && asyncPending == 0 && !inGrace)
            {
                inGrace = addGrace = true;
                graceSeen = activity;
                graceSince = System.Diagnostics.Stopwatch.GetTimestamp();
            }
            RearmLocked();
        }
        if (addGrace) dispatcher.AddGrace(this);
    }

    /// <summary>
    /// Token held: handles the record read ahead, else reads one record (and a second if it is already there:
    /// recvmmsg, so a Reply and the Get the client sent right after it cost one system call) and acts on
    /// each frame in it.
    /// </summary>
    private ReadResult ReadOne(ReadBuffers b, bool dontWait)
    {
        if (b.ReadAhead >= 0)
        {
            int length = b.ReadAhead;
            b.ReadAhead = -1;
            return HandleRecord(b.Second, length);
        }
        int n, second;
        try
        {
            int count = PortSocket.ReceiveTwo(socket, b.First, b.Second, out n, out second, dontWait);
            if (dontWait && PortSocket.WouldBlock(count)) return ReadResult.WouldBlock;
            if (count < 0) n = count;
            else if (count == 2) b.ReadAhead = second;
        }
        catch (ObjectDisposedException)
        {
            Close(null);
            return ReadResult.Closed;
        }
        return HandleRecord(b.First, n);
    }

    /// <summary>Acts on a record of <paramref name="n"/> bytes read into <paramref name="buffer"/> (or on the read's failure).</summary>
    private ReadResult HandleRecord(byte[] buffer, int n)
    {
        if (n < 0) { Close(IsConnected ? "receive failed: " + PortSocket.Describe(n) : null); return ReadResult.Closed; }
        if (n == 0) { Close(null); return ReadResult.Closed; }   // the client closed its handle or died
        // The buffer is one byte larger than the largest frame, so a full buffer means a record was cut.
        if (n == FrameHeader.MaxFrame + 1) { ProtocolError("oversized frame"); return ReadResult.Closed; }
        var outer = dispatching;
        dispatching = this;
        try
        {
            int offset = 0;
            while (offset < n)
            {
                var frame = buffer.AsSpan(offset, n - offset);
                if (!FrameHeader.TryRead(frame, out var h, out var reason)) { ProtocolError(reason!); return ReadResult.Closed; }
                int length = FrameHeader.PackedLength(h, frame.Length);
                if (length < 0) { ProtocolError("malformed reply"); return ReadResult.Closed; }
                var payload = frame.Slice(FrameHeader.Size, length - FrameHeader.Size);
                string? violation = h.Kind switch
                {
                    FrameKind.Get => OnGet(h),
                    FrameKind.CancelGet => OnCancelGet(h),
                    FrameKind.Reply => OnReply(h, payload),
                    FrameKind.Send => OnSend(h, payload),
                    FrameKind.Hello => "second hello",
                    _ => "unexpected frame " + FrameHeader.Describe(h.Kind),
                };
                if (violation is not null) { ProtocolError(violation); return ReadResult.Closed; }
                offset += length;
                // A frame's handler may have closed the connection (a failed send): stop there.
                if (Volatile.Read(ref closed)) return ReadResult.Closed;
            }
            return ReadResult.Handled;
        }
        finally { dispatching = outer; }
    }

    /// <summary>
    /// A sender with the token: reads until its message leaves <paramref name="from"/>, its deadline passes
    /// (after reading what is already there) or it is cancelled; then passes the token on.
    /// </summary>
    private NtStatus Lead(PendingMessage m, MessageState from, long deadline, CancellationToken ct, bool nested = false)
    {
        var b = ReadBuffers.Rent();
        try
        {
            bool bounded = deadline != long.MaxValue || ct.CanBeCanceled;
            while (true)
            {
                // Done, once a record read ahead is handled too (usually the client's next Get: a credit
                // for the next send, instead of a record nobody looks at until then).
                if (m.State != from && b.ReadAhead < 0) return NtStatus.Success;
                if (bounded && b.ReadAhead < 0)
                {
                    if (ct.IsCancellationRequested) return NtStatus.Cancelled;
                    long left = deadline == long.MaxValue ? long.MaxValue : deadline - Environment.TickCount64;
                    int slice = left <= 0 ? 0 : (int)Math.Min(left, ct.CanBeCanceled ? CancellationSliceMilliseconds : int.MaxValue);
                    bool ready;
                    try { ready = PortSocket.PollReadable(socket, slice); }
                    catch (ObjectDisposedException) { Close(null); return NtStatus.Success; }
                    if (!ready)
                    {
                        if (left <= 0) return NtStatus.Timeout;
                        continue;
                    }
                }
                if (ReadOne(b, dontWait: false) == ReadResult.Closed) return NtStatus.Success;   // the state says PORT_DISCONNECTED
            }
        }
        catch (Exception e)
        {
            // Nothing a peer sends may fail the filter's call; drop this connection only.
            Microsoft.Extensions.Logging.LoggerExtensions.LogError(logger, e, "Port {Port}: connection ({Peer}) failed", ServerPort.Name, Credentials.ToString());
            Close("internal error: " + e.GetType().Name);
            return NtStatus.Success;
        }
        finally
        {
            ReadBuffers.Return(b);
            // Nested: the outer frame's handler on this thread still holds the token.
            if (!nested) ReleaseToken(fromIoThread: false);
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

    /// <summary>Withdraws an unused get (GetResult CANCELLED). A tag that is not an unused get gets no answer.</summary>
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
        // Not found: the get was already answered (the answer is on its way), or never existed.
        if (found) SendGetResult(h.Tag, NtStatus.Cancelled, 0);
        return null;
    }

    /// <summary>FilterReplyMessage: completes the waiting FltSendMessage, or NO_WAITER_FOR_REPLY; answered when the tag is not 0.</summary>
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
            else
            {
                int copy = Math.Min(payload.Length, m.ReplyCapacity);
                payload.Slice(0, copy).CopyTo(m.IsAsync ? m.UserReply.Span : m.ReplyBuffer);
                m.ReplyLength = copy;
                m.ReplyHeaderStatus = h.Status;
                // [inf] a reply larger than the sender's buffer: the first ReplyLength bytes, BUFFER_OVERFLOW.
                result = payload.Length > m.ReplyCapacity ? NtStatus.BufferOverflow : NtStatus.Success;
                m.State = MessageState.Replied;
                Interlocked.Increment(ref ServerPort.Counters.Replies);
                if (!m.IsAsync)
                {
                    m.ReplyStatus = result;
                    m.Signal.Set();
                }
                else if (DecideLocked(m, result)) publish = m;
            }
        }
        if (h.Tag != 0)
            Emit(new FrameHeader(FrameKind.ReplyResult, tag: h.Tag, messageId: h.MessageId, status: (int)result, hresult: StatusMapping.ToHResult(result)), default);
        // Last: the awaiting continuation runs on the lane (from the I/O thread) or here.
        if (publish is not null) Complete(publish);
        return null;
    }

    /// <summary>FilterSendMessage: queued on the connection's lane, so one slow callback blocks neither the reading nor other connections.</summary>
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
        if (Volatile.Read(ref laneSends) >= MaxOutstandingSends) return "too many outstanding sends";
        Interlocked.Increment(ref ServerPort.Counters.MessagesReceived);
        Post(MessageNotifyWorkItem.Rent(this, notify, connectionCookie, h.Tag, payload, capacity));
        return null;
    }

    /// <summary>
    /// The answer to a Send. With <paramref name="handleFd"/> (owned: always closed here, once sent or failed) the
    /// record carries it as SCM_RIGHTS and the header says where the client writes its number.
    /// </summary>
    internal void SendSendResult(uint tag, NtStatus status, ReadOnlySpan<byte> output, int handleFd = -1, int handleOffset = 0)
    {
        var h = new FrameHeader(FrameKind.SendResult, tag: tag, value: (uint)output.Length, status: (int)status, hresult: StatusMapping.ToHResult(status));
        if (handleFd >= 0)
        {
            h.Flags = FrameHeader.FlagHasHandle;
            h.HandleOffset = (uint)handleOffset;
        }
        Emit(h, output, handleFd);
    }

    private void SendGetResult(uint tag, NtStatus status, int needed) =>
        Emit(new FrameHeader(FrameKind.GetResult, tag: tag, value: (uint)needed, status: (int)status, hresult: StatusMapping.ToHResult(status)), default);
}
