// The client end of a port connection: the socket, the reading of answers (leader/follower), the
// replies the client still owes, and the handshake. Wire format: docs/port-protocol.md.
//
// Reading. Only the holder of the read token calls recv(2), into the connection's one receive buffer.
// A synchronous call (get, send) that has to wait for its answer takes the token if nobody holds it
// and reads the socket itself: a get with one outstanding request reads its Message directly, with no
// thread hand-off. Frames for other requests are dispatched to them (their event). When the token
// holder's own answer arrives it passes the token to the next synchronous waiter, else to the
// background reader if asynchronous gets are outstanding, else nobody reads until the next call
// (nothing arrives unasked, except EOF, which the next call picks up).
// Omitted on purpose: no dedicated receive thread for synchronous-only use.
//
// Asynchronous gets complete inline on the reading thread. Gets and replies their continuations make
// there are deferred into one outgoing record (packed frames, docs/port-protocol.md section 2), sent once the socket has
// nothing more to read (before a blocking recv) or when the thread gives up the token. Whether anything
// more can be there is guessed first: when every outstanding request is among the deferred frames (one
// asynchronous get at a time), no answer can be on its way, and the record goes out without a probe.
//
// Per-message I/O is recvmsg(2)/send(2) on the descriptor (PortSocket), not the Socket methods. Every read
// takes SCM_RIGHTS descriptors too: a SendResult flagged HasHandle carries one (a data-scan section the
// filter opened for this process), which becomes the caller's HANDLE; any other descriptor is closed at once.
using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Altitude.Ports.Wire;

namespace Altitude.FilterLib;

internal sealed class PortConnection
{
    // The connection whose frame this thread is dispatching (it holds that connection's read token);
    // async continuations run inside the dispatch.
    [ThreadStatic] private static PortConnection? dispatching;
    private readonly Socket socket;
    private readonly object gate = new();
    private readonly Dictionary<uint, PortRequest> pending = new();
    // Messages received with ReplyLength > 0 and not yet answered: id -> ReplyLength, with NoWithdrawnBit
    // when the server said their sender cannot give up. A reply to an id not here (unknown,
    // duplicate, sent without a reply buffer, or withdrawn) is refused locally.
    private readonly Dictionary<ulong, uint> owed = new();
    private const uint NoWithdrawnBit = 0x8000_0000;   // ReplyLength is at most 16 + 65536
    // Synchronous waiters that would read if they had the token, oldest first.
    private readonly Queue<PortRequest> candidates = new();
    // Exactly one byte more than the largest frame, so a full read means a cut record. Used by the token holder only.
    private readonly byte[] buffer = GC.AllocateUninitializedArray<byte>(FrameHeader.MaxFrame + 1);
    // Descriptors that came with the record in buffer (token holder only); Dispatch takes or closes them.
    private readonly int[] received = new int[PortSocket.MaxReceivedDescriptors];
    private int receivedCount;
    // Frames deferred by continuations on the reading thread (async gets, replies), sent as one record
    // (packed) before the reader blocks or gives up the token.
    private readonly object sendGate = new();
    private readonly byte[] outgoing = GC.AllocateUninitializedArray<byte>(FrameHeader.MaxFrame);
    private int outLength;        // under sendGate
    private int deferredGets;     // Get frames among them (under sendGate; read without it as a hint)
    // Deferred frames beyond this are sent at once, so a reader kept busy does not hold them back.
    private const int FlushThreshold = 8192;
    private uint nextTag;
    private int closedHResult;   // 0 while connected
    private bool reading;        // the read token is held
    private bool backgroundOwns; // ... by the background reader
    private int asyncOutstanding;
    private Thread? background;

    private PortConnection(Socket socket) { this.socket = socket; }

    public IntPtr SocketHandle => socket.Handle;
    /// <summary>Reads what is already on the socket first (when nobody reads), so a server close is seen at once.</summary>
    public bool IsConnected
    {
        get
        {
            DrainIfIdle();
            lock (gate) return closedHResult == 0;
        }
    }
    public string? ServerReason { get; private set; }

    /// <summary>Connects, sends the hello with the context and waits for the connect's outcome.</summary>
    public static int Connect(string path, ReadOnlySpan<byte> context, out PortConnection? connection)
    {
        connection = null;
        var socket = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            return e.SocketErrorCode switch
            {
                SocketError.AccessDenied => HResults.AccessDenied,
                // No socket file, or a leftover file nobody listens on: no such port.
                _ => HResults.FileNotFound,
            };
        }
        var c = new PortConnection(socket);
        byte[] buffer = c.buffer;
        new FrameHeader(FrameKind.Hello, value: (uint)context.Length).Write(buffer);
        context.CopyTo(buffer.AsSpan(FrameHeader.Size));
        // A server that refused at accept (the descriptor, the handshake cap) may have closed already: the
        // hello then fails, but its Error frame is still there to read.
        PortSocket.Send(socket.SafeHandle, buffer.AsSpan(0, FrameHeader.Size + context.Length));
        int n = c.ReceiveAfterReset(buffer);
        if (n <= 0) { socket.Dispose(); return HResults.FileNotFound; }
        if (!FrameHeader.TryRead(buffer.AsSpan(0, n), out var h, out _) || h.Kind is not (FrameKind.HelloResult or FrameKind.Error))
        {
            socket.Dispose();
            return HResults.InvalidHandle;
        }
        if (h.Kind == FrameKind.Error || h.HResult != 0)
        {
            socket.Dispose();
            return h.HResult != 0 ? h.HResult : HResults.InvalidHandle;
        }
        connection = c;
        return HResults.S_OK;
    }

    /// <summary>
    /// One blocking recv(2). A server that closes with records we have not read yet makes the kernel report
    /// ECONNRESET once before those records (its Error frame among them): read on after it.
    /// </summary>
    private int ReceiveAfterReset(Span<byte> into)
    {
        int n = PortSocket.Receive(socket.SafeHandle, into);
        return n == PortSocket.ConnectionResetResult ? PortSocket.Receive(socket.SafeHandle, into) : n;
    }

    /// <summary>Registers a request under a fresh tag and sends its frame. An HRESULT if either failed (the request is then not registered).</summary>
    public int Start(PortRequest request, in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var h = header;
        bool wakeBackground = false;
        lock (gate)
        {
            if (closedHResult != 0) return closedHResult;
            do { h.Tag = ++nextTag; } while (h.Tag == 0 || pending.ContainsKey(h.Tag));
            request.Tag = h.Tag;
            pending.Add(h.Tag, request);
            if (request.IsAsync && ++asyncOutstanding == 1 && !reading)
            {
                // Nobody will wait on this one: the background reader reads for it.
                reading = backgroundOwns = true;
                wakeBackground = true;
            }
        }
        if (wakeBackground) WakeBackground();
        if (Send(h, payload, deferrable: request.IsAsync)) return HResults.S_OK;
        lock (gate)
        {
            // Already completed by a close that raced with us? Then the close owns the answer.
            if (!pending.Remove(h.Tag)) return HResults.S_OK;
            if (request.IsAsync) asyncOutstanding--;
        }
        return HResults.InvalidHandle;
    }

    /// <summary>
    /// Sends one frame. A <paramref name="deferrable"/> frame (an async get, a reply) from a continuation
    /// running on the thread that reads this connection is appended to the outgoing record instead, sent
    /// before that thread blocks on the socket or gives up reading. Others go out at once as one record
    /// (SOCK_SEQPACKET: atomic, no lock needed); a CancelGet first sends what is deferred, so it never
    /// overtakes its get.
    /// </summary>
    public bool Send(in FrameHeader header, ReadOnlySpan<byte> payload, bool deferrable = false)
    {
        if (deferrable && ReferenceEquals(dispatching, this))
        {
            int len = FrameHeader.Size + payload.Length;
            lock (sendGate)
            {
                if (outLength + len > outgoing.Length && !FlushLocked()) return false;
                header.Write(outgoing.AsSpan(outLength));
                payload.CopyTo(outgoing.AsSpan(outLength + FrameHeader.Size));
                outLength += len;
                if (header.Kind == FrameKind.Get) deferredGets++;
                return outLength < FlushThreshold || FlushLocked();
            }
        }
        if (header.Kind == FrameKind.CancelGet)
        {
            lock (sendGate)
                if (!FlushLocked()) return false;
        }
        return SendNow(header, payload);
    }

    private bool SendNow(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        byte[] frame = FrameHeader.RentRecord(header, payload, out int len);
        bool ok = SendRecord(frame.AsSpan(0, len));
        ArrayPool<byte>.Shared.Return(frame);
        return ok;
    }

    private bool SendRecord(ReadOnlySpan<byte> record)
    {
        try
        {
            return PortSocket.Send(socket.SafeHandle, record) == record.Length;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Under sendGate: sends the deferred frames as one record. False (the connection then closes) if that failed.</summary>
    private bool FlushLocked()
    {
        if (outLength == 0) return true;
        int len = outLength;
        outLength = deferredGets = 0;
        if (SendRecord(outgoing.AsSpan(0, len))) return true;
        ThreadPool.UnsafeQueueUserWorkItem(static c => c.Close(HResults.InvalidHandle), this, preferLocal: false);
        return false;
    }

    /// <summary>Sends what continuations deferred (the reading thread, before it blocks or stops reading).</summary>
    private void Flush()
    {
        if (Volatile.Read(ref outLength) == 0) return;
        lock (sendGate) FlushLocked();
    }

    public void CancelGet(uint tag)
    {
        lock (gate) if (!pending.ContainsKey(tag)) return;
        Send(new FrameHeader(FrameKind.CancelGet, tag: tag), default);
    }

    /// <summary>
    /// FilterReplyMessage. The id is checked against the messages this client received and still owes
    /// (unknown, duplicate or sent without a reply buffer: ERROR_FLT_NO_WAITER_FOR_REPLY at once). A message
    /// whose sender cannot give up (the NoWithdrawn flag) always finds its waiter: the Reply goes out with
    /// tag 0 and no answer, and the outcome is decided here. Any other reply asks the server (a tagged
    /// Reply, answered by ReplyResult), so a sender that timed out meanwhile is reported, as on Windows.
    /// S_OK, ERROR_MORE_DATA (the sender gets the first part), ERROR_FLT_NO_WAITER_FOR_REPLY or E_HANDLE.
    /// </summary>
    public int Reply(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        uint replyLength;
        lock (gate)
        {
            if (closedHResult != 0) return HResults.InvalidHandle;
            if (!owed.Remove(header.MessageId, out replyLength)) return HResults.NoWaiterForReply;
        }
        if ((replyLength & NoWithdrawnBit) == 0)
        {
            var r = PortRequest.Rent(this, Memory<byte>.Empty, isAsync: false);
            int hr = Start(r, header, payload);
            if (hr == HResults.S_OK)
            {
                // From a continuation on the reading thread, the wait reads on (nested); the asynchronous gets it
                // completes meanwhile run after it, one after the other, not inside it (no recursion per message).
                bool onReader = ReferenceEquals(dispatching, this);
                if (onReader) replyWaits++;
                try { Wait(r); }
                finally { if (onReader) replyWaits--; }
                hr = r.HResult;
                if (onReader) RunDeferredCompletions();
            }
            r.Return();
            return hr;
        }
        replyLength &= ~NoWithdrawnBit;
        if (!Send(header, payload, deferrable: true)) return HResults.InvalidHandle;
        // ReplyLength counts the 16-byte FILTER_REPLY_HEADER.
        return payload.Length > replyLength - FilterReplyHeader.Size ? HResults.MoreData : HResults.S_OK;
    }

    // Reading-thread only: tagged replies waiting for their ReplyResult, and the async completions held back meanwhile.
    private int replyWaits;
    private bool runningDeferred;
    private readonly Queue<(PortRequest Request, int HResult, int Bytes)> deferredCompletions = new();

    /// <summary>Completes a request read from the socket; an async one waits while a reply on this thread waits for its answer.</summary>
    private void Complete(PortRequest r, int hresult, int bytes)
    {
        if (r.IsAsync && replyWaits > 0 && ReferenceEquals(dispatching, this)) deferredCompletions.Enqueue((r, hresult, bytes));
        else r.Complete(hresult, bytes);
    }

    /// <summary>Runs the held-back completions in order, in one loop however many nested replies they make.</summary>
    private void RunDeferredCompletions()
    {
        if (replyWaits > 0 || runningDeferred) return;
        runningDeferred = true;
        try
        {
            while (deferredCompletions.TryDequeue(out var d)) d.Request.Complete(d.HResult, d.Bytes);
        }
        finally { runningDeferred = false; }
    }

    /// <summary>Blocks until a synchronous request completes, reading the socket itself whenever nobody else does.</summary>
    public void Wait(PortRequest r)
    {
        while (true)
        {
            bool nested = false;
            lock (gate)
            {
                if (r.IsCompleted) return;
                if (!reading) reading = true;
                // Called from an async get's continuation on the thread that holds the token: read on.
                else if (ReferenceEquals(dispatching, this)) nested = true;
                else { candidates.Enqueue(r); r = WaitAsCandidate(r, out bool lead); if (!lead) continue; }
            }
            Lead(r, nested);
            return;
        }
    }

    /// <summary>Called with the gate held; waits (releasing it) until the request completes or is handed the token.</summary>
    private PortRequest WaitAsCandidate(PortRequest r, out bool lead)
    {
        Monitor.Exit(gate);
        try { r.WaitSignal(); }
        finally { Monitor.Enter(gate); }
        if (r.Promoted) { r.Promoted = false; lead = true; return r; }
        RemoveCandidate(r);
        lead = false;
        return r;
    }

    private void RemoveCandidate(PortRequest r)
    {
        int n = candidates.Count;
        for (int i = 0; i < n; i++)
        {
            var c = candidates.Dequeue();
            if (!ReferenceEquals(c, r)) candidates.Enqueue(c);
        }
    }

    /// <summary>Holds the token: reads and dispatches until <paramref name="r"/> completes or the connection ends, then passes the token on.</summary>
    private void Lead(PortRequest r, bool nested = false)
    {
        try
        {
            while (!r.IsCompleted && ReadOne(blocking: true)) { }
        }
        finally
        {
            // Nested: the outer dispatch on this thread still holds the token.
            if (!nested) ReleaseToken();
        }
    }

    /// <summary>Reads what is already on the socket (EOF, an Error frame) when nobody holds the token.</summary>
    private void DrainIfIdle()
    {
        lock (gate)
        {
            if (reading || closedHResult != 0) return;
            reading = true;
        }
        try
        {
            while (ReadOne(blocking: false)) { }
        }
        finally
        {
            ReleaseToken();
        }
    }

    private void ReleaseToken()
    {
        Flush();
        bool wakeBackground = false;
        lock (gate)
        {
            reading = backgroundOwns = false;
            if (closedHResult != 0) return;
            if (candidates.Count > 0)
            {
                var next = candidates.Dequeue();
                reading = true;
                next.Promote();
                return;
            }
            if (asyncOutstanding > 0) reading = backgroundOwns = wakeBackground = true;
        }
        if (wakeBackground) WakeBackground();
    }

    private void WakeBackground()
    {
        lock (gate)
        {
            if (background is null)
            {
                background = new Thread(BackgroundLoop) { IsBackground = true, Name = "altitude-filterlib" };
                background.Start();
            }
            else Monitor.PulseAll(gate);
        }
    }

    /// <summary>Reads for asynchronous gets while no synchronous call holds the token.</summary>
    private void BackgroundLoop()
    {
        while (true)
        {
            lock (gate)
            {
                while (!backgroundOwns && closedHResult == 0) Monitor.Wait(gate);
                if (closedHResult != 0) return;
            }
            while (true)
            {
                if (!ReadOne(blocking: true)) return;
                lock (gate)
                {
                    if (closedHResult != 0) return;
                    if (candidates.Count == 0 && asyncOutstanding > 0) continue;
                }
                ReleaseToken();
                break;
            }
        }
    }

    /// <summary>Reads and dispatches one frame (token held). False once the connection ended (or, non-blocking, nothing is there).</summary>
    private bool ReadOne(bool blocking)
    {
        int n;
        try
        {
            if (!blocking)
            {
                n = ReceiveRecord(dontWait: true);
                if (PortSocket.WouldBlock(n)) return false;
            }
            else if (Volatile.Read(ref outLength) == 0) n = ReceiveRecord(dontWait: false);
            else
            {
                // Read what is already there before sending what continuations deferred (one record for
                // all), unless no answer can be on its way: every outstanding request is deferred.
                n = AnswersMayBeInFlight() ? ReceiveRecord(dontWait: true) : PortSocket.WouldBlockResult;
                if (PortSocket.WouldBlock(n))
                {
                    Flush();
                    n = ReceiveRecord(dontWait: false);
                }
            }
        }
        catch (ObjectDisposedException) { Close(HResults.InvalidHandle); return false; }
        if (n == PortSocket.ConnectionResetResult)
        {
            // Closed with records we had not read (its Error frame among them): those come after the reset.
            try { n = ReceiveRecord(dontWait: false); }
            catch (ObjectDisposedException) { Close(HResults.InvalidHandle); return false; }
        }
        // The server closed (the filter closed the port or unloaded): everything pending fails with E_HANDLE.
        if (n <= 0 || n == buffer.Length) { CloseReceived(); Close(HResults.InvalidHandle); return false; }
        var frame = buffer.AsSpan(0, n);
        bool ok;
        var outer = dispatching;
        dispatching = this;
        try { ok = FrameHeader.TryRead(frame, out var h, out _) && Dispatch(h, frame.Slice(FrameHeader.Size)); }
        finally
        {
            dispatching = outer;
            CloseReceived();   // whatever Dispatch did not hand to a caller
        }
        if (!ok)
        {
            Close(HResults.InvalidHandle);
            return false;
        }
        return true;
    }

    /// <summary>One record into the receive buffer, with its descriptors (if any) into <see cref="received"/>.</summary>
    private int ReceiveRecord(bool dontWait)
    {
        CloseReceived();
        return PortSocket.ReceiveWithDescriptors(socket.SafeHandle, buffer, received, out receivedCount, dontWait);
    }

    /// <summary>Closes the descriptors of the last record that nobody took: unexpected ones are never leaked.</summary>
    private void CloseReceived()
    {
        for (int i = 0; i < receivedCount; i++) PortSocket.CloseDescriptor(received[i]);
        receivedCount = 0;
    }

    /// <summary>
    /// A HasHandle SendResult's HANDLE: with exactly one descriptor and an offset whose 8 bytes the copied output
    /// covers, the descriptor's number goes there (little-endian) and the caller owns it. False otherwise (the
    /// descriptors are then closed by the reader).
    /// </summary>
    private bool TakeHandle(in FrameHeader h, Span<byte> output, int bytes)
    {
        if (receivedCount != 1 || bytes < 8 || h.HandleOffset > (uint)(bytes - 8)) return false;
        BinaryPrimitives.WriteInt64LittleEndian(output.Slice((int)h.HandleOffset), received[0]);
        receivedCount = 0;
        return true;
    }

    /// <summary>A hint: some outstanding request's frame has left (its answer may be on the socket already).</summary>
    private bool AnswersMayBeInFlight()
    {
        int deferred = Volatile.Read(ref deferredGets);
        lock (gate) return pending.Count > deferred;
    }

    private bool Dispatch(in FrameHeader h, ReadOnlySpan<byte> payload)
    {
        if (h.Kind == FrameKind.Error)
        {
            ServerReason = System.Text.Encoding.UTF8.GetString(payload);
            return false;
        }
        PortRequest? r;
        lock (gate)
        {
            if (!pending.Remove(h.Tag, out r)) return h.Kind == FrameKind.ReplyResult || h.Kind == FrameKind.SendResult || h.Kind == FrameKind.GetResult;
            if (r.IsAsync) asyncOutstanding--;
            if (h.Kind == FrameKind.Message && h.Value != 0)
                owed[h.MessageId] = (h.Flags & FrameHeader.FlagNoWithdrawn) != 0 ? h.Value | NoWithdrawnBit : h.Value;
        }
        switch (h.Kind)
        {
            case FrameKind.Message:
            {
                // The get's buffer: FILTER_MESSAGE_HEADER, then the sender's bytes.
                var dest = r.Buffer.Span;
                int bytes = FilterMessageHeader.Size + payload.Length;
                if (dest.Length < bytes) { Complete(r, HResults.InsufficientBuffer, bytes); return true; }
                BinaryPrimitives.WriteUInt32LittleEndian(dest, h.Value);
                BinaryPrimitives.WriteUInt32LittleEndian(dest.Slice(4), 0);
                BinaryPrimitives.WriteUInt64LittleEndian(dest.Slice(8), h.MessageId);
                payload.CopyTo(dest.Slice(FilterMessageHeader.Size));
                Complete(r, HResults.S_OK, bytes);
                return true;
            }
            case FrameKind.GetResult:
                Complete(r, h.HResult, (int)h.Value);
                return true;
            case FrameKind.SendResult:
            {
                int bytes = Math.Min(payload.Length, r.Buffer.Length);
                var output = r.Buffer.Span;
                payload.Slice(0, bytes).CopyTo(output);
                // A handle FilterLib cannot place (no room, a stray descriptor) is closed by the reader. A result that
                // promised one and has none usable fails: the caller must never take the filter's placeholder for a
                // descriptor. None arrived: the kernel could not install it (RLIMIT_NOFILE, MSG_CTRUNC).
                int hr = h.HResult;
                if ((h.Flags & FrameHeader.FlagHasHandle) != 0 && !TakeHandle(h, output, bytes))
                {
                    if (bytes >= 8 && h.HandleOffset <= (uint)(bytes - 8)) BinaryPrimitives.WriteInt64LittleEndian(output.Slice((int)h.HandleOffset), -1);
                    hr = receivedCount == 0 ? HResults.TooManyOpenFiles : HResults.InvalidHandle;
                }
                Complete(r, hr, bytes);
                return true;
            }
            case FrameKind.ReplyResult:
                Complete(r, h.HResult, 0);
                return true;
            default:
                r.Complete(HResults.InvalidHandle, 0);
                return false;
        }
    }

    /// <summary>Fails every pending call with <paramref name="hresult"/> and closes the socket. Idempotent.</summary>
    public void Close(int hresult)
    {
        PortRequest[] failed;
        lock (gate)
        {
            if (closedHResult != 0) return;
            closedHResult = hresult;
            failed = new PortRequest[pending.Count];
            pending.Values.CopyTo(failed, 0);
            pending.Clear();
            owed.Clear();
            asyncOutstanding = 0;
            Monitor.PulseAll(gate);
        }
        foreach (var r in failed) r.Complete(hresult, 0);
        try { socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        socket.Dispose();
    }
}
