// The I/O completion port's role: every outstanding asynchronous get is a MessageSlot (the WDK's SCANNER_MESSAGE with
// its OVERLAPPED); when its get completes, the slot is queued here, and the worker threads take completions from the
// queue, as threads blocked in GetQueuedCompletionStatus do. Concurrency is the number of workers.
using System.Collections.Concurrent;
using Altitude.FilterLib;

namespace Altitude.Samples.Scanner.User;

/// <summary>One message buffer with its get (the OVERLAPPED's role).</summary>
internal sealed class MessageSlot
{
    private readonly CompletionQueue queue;
    private readonly Action onCompleted;
    private ValueTask<int> pending;

    public MessageSlot(CompletionQueue queue)
    {
        this.queue = queue;
        onCompleted = Completed;   // one delegate per slot, reused by every get
    }

    /// <summary>FILTER_MESSAGE_HEADER + SCANNER_NOTIFICATION.</summary>
    public byte[] Buffer { get; } = new byte[ScannerMessage.Size];
    /// <summary>The completed get's HRESULT (S_OK or the failure).</summary>
    public int HResult { get; private set; }
    /// <summary>The completed get's byte count (InternalHigh).</summary>
    public int Bytes { get; private set; }

    /// <summary>FilterGetMessage with an OVERLAPPED: the slot reaches the queue when a message (or an error) arrives.</summary>
    public void Post(FilterPortHandle port)
    {
        pending = FltLib.FilterGetMessageAsync(port, Buffer);
        if (pending.IsCompleted) Completed();
        else pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(onCompleted);
    }

    // Runs inline on FilterLib's reading thread: collect the result and hand the slot on, nothing more.
    private void Completed()
    {
        try
        {
            Bytes = pending.GetAwaiter().GetResult();
            HResult = HResults.S_OK;
        }
        catch (FilterException e)
        {
            Bytes = 0;
            HResult = e.HResult;
        }
        pending = default;
        queue.Add(this);
    }
}

/// <summary>The completion queue the workers drain.</summary>
internal sealed class CompletionQueue
{
    private readonly BlockingCollection<MessageSlot> completed = new(new ConcurrentQueue<MessageSlot>());

    public void Add(MessageSlot slot) => completed.Add(slot);

    /// <summary>GetQueuedCompletionStatus(INFINITE).</summary>
    public MessageSlot Take() => completed.Take();
}
