// The receive loop of one connection: reads one record at a time and acts on it. Anything malformed,
// truncated, oversized or out of order closes this connection with a logged reason and nothing else.
using System.Net.Sockets;
using Altitude.Ports;
using Altitude.Ports.Wire;

namespace Altitude;

public sealed partial class ClientPort
{
    private void ReceiveLoop(byte[] buffer)
    {
        ConfigureSocket();
        while (true)
        {
            int n = socket.Receive(buffer, SocketFlags.None, out var error);
            if (error != SocketError.Success) { Close(IsConnected ? "receive failed: " + error : null); return; }
            if (n == 0) { Close(null); return; }   // the client closed its handle or died
            // The buffer is one byte larger than the largest frame, so a full buffer means a record was cut.
            if (n == buffer.Length) { ProtocolError("oversized frame"); return; }
            var frame = buffer.AsSpan(0, n);
            if (!FrameHeader.TryRead(frame, out var h, out var reason)) { ProtocolError(reason!); return; }
            var payload = frame.Slice(FrameHeader.Size);
            string? violation = h.Kind switch
            {
                FrameKind.Get => OnGet(h),
                FrameKind.CancelGet => OnCancelGet(h),
                FrameKind.Reply => OnReply(h, payload),
                FrameKind.Send => OnSend(h, payload),
                FrameKind.Hello => "second hello",
                _ => "unexpected frame kind " + (byte)h.Kind,
            };
            if (violation is not null) { ProtocolError(violation); return; }
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
                    assigned = m;
                }
            }
            else
            {
                credits.Enqueue(new Credit { Tag = h.Tag, Capacity = capacity });
                return null;
            }
        }
        // The sender wakes and writes the message itself (it owns the frame).
        if (assigned is not null) { assigned.Signal.Set(); return null; }
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
        Send(new FrameHeader(FrameKind.ReplyResult, tag: h.Tag, messageId: h.MessageId, status: (int)result, hresult: StatusMapping.ToHResult(result)), default);
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
            SendResult(h.Tag, NtStatus.InvalidParameter, ReadOnlySpan<byte>.Empty);
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

    internal void SendResult(uint tag, NtStatus status, ReadOnlySpan<byte> output) =>
        Send(new FrameHeader(FrameKind.SendResult, tag: tag, value: (uint)output.Length, status: (int)status, hresult: StatusMapping.ToHResult(status)), output);

    private void SendGetResult(uint tag, NtStatus status, int needed) =>
        Send(new FrameHeader(FrameKind.GetResult, tag: tag, value: (uint)needed, status: (int)status, hresult: StatusMapping.ToHResult(status)), default);
}
