// One call waiting for the server's answer (a get or a send): pooled, completed by whichever thread reads
// the socket, awaited either synchronously (PortConnection.Wait: it reads itself, or sleeps on the event
// until it is answered or handed the read token) or asynchronously (an IValueTaskSource, no allocation).
using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;

namespace Altitude.FilterLib;

internal sealed class PortRequest : IValueTaskSource<int>
{
    private static readonly ConcurrentQueue<PortRequest> Pool = new();
    // Spin a little before blocking: on two cores the answer often arrives within the spin.
    private readonly ManualResetEventSlim done = new(false, 100);
    // Inline: an async get's continuation runs on the thread that read its Message (FilterLib's reader),
    // so it can reply and post the next get with no thread hand-off. Complete is never called under a lock.
    private ManualResetValueTaskSourceCore<int> core = new() { RunContinuationsAsynchronously = false };
    private CancellationTokenRegistration registration;

    public uint Tag;
    public bool IsAsync;
    /// <summary>Where the receive thread copies the answer's payload (get buffer or send output).</summary>
    public Memory<byte> Buffer;
    public int HResult;
    /// <summary>Bytes written to <see cref="Buffer"/> (or, for ERROR_INSUFFICIENT_BUFFER, the size needed).</summary>
    public int Bytes;
    public PortConnection? Connection;
    /// <summary>Set (before the event) once the answer is in.</summary>
    public volatile bool IsCompleted;
    /// <summary>Set under the connection's gate when a waiting synchronous call is handed the read token.</summary>
    public bool Promoted;

    public static PortRequest Rent(PortConnection connection, Memory<byte> buffer, bool isAsync)
    {
        if (!Pool.TryDequeue(out var r)) r = new PortRequest();
        r.Connection = connection;
        r.Buffer = buffer;
        r.IsAsync = isAsync;
        return r;
    }

    /// <summary>Called once by whoever answers (receive thread, close).</summary>
    public void Complete(int hresult, int bytes)
    {
        HResult = hresult;
        Bytes = bytes;
        IsCompleted = true;
        if (IsAsync) core.SetResult(bytes);
        else done.Set();
    }

    /// <summary>Under the connection's gate: this waiting call now holds the read token.</summary>
    public void Promote()
    {
        Promoted = true;
        done.Set();
    }

    /// <summary>Sleeps until completed or promoted (whichever happened is in the flags).</summary>
    public void WaitSignal()
    {
        done.Wait();
        done.Reset();
    }

    public ValueTask<int> AsValueTask() => new(this, core.Version);

    /// <summary>Cancellation of an async get asks the server to withdraw it; its answer completes the get.</summary>
    public void RegisterCancellation(CancellationToken token)
    {
        if (token.CanBeCanceled)
            registration = token.UnsafeRegister(static s => { var r = (PortRequest)s!; r.Connection?.CancelGet(r.Tag); }, this);
    }

    public void Return()
    {
        registration.Dispose();   // waits for a running cancellation callback, so the tag it read stays valid
        registration = default;
        Buffer = default;
        Connection = null;
        Tag = 0; HResult = 0; Bytes = 0;
        IsCompleted = false; Promoted = false;
        done.Reset();
        core.Reset();
        Pool.Enqueue(this);
    }

    int IValueTaskSource<int>.GetResult(short token)
    {
        core.GetResult(token);
        int hr = HResult, bytes = Bytes;
        Return();
        FilterException.ThrowIfFailed(hr, "FilterGetMessage", hr == HResults.InsufficientBuffer ? bytes : 0);
        return bytes;
    }

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => core.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        core.OnCompleted(continuation, state, token, flags);
}
