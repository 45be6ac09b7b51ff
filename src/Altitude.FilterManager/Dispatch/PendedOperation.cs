// The token of one pended operation: its callback data and the activation (which use of the pooled object) it names.
// On Windows a FLT_CALLBACK_DATA is freed when its operation ends, so the pointer names the operation; here the object is
// reused by the next operation, so a filter that completes later (after a wait, from a worker, from a cancel routine)
// keeps this token, and the engine refuses it once its operation is over.
namespace Altitude;

/// <summary>One pended operation (FltCompletePendedPreOperation / FltCompletePendedPostOperation target).</summary>
public readonly struct PendedOperation : IEquatable<PendedOperation>
{
    internal PendedOperation(CallbackData data, long activation, byte callback)
    {
        Data = data;
        Activation = activation;
        Callback = callback;
    }

    /// <summary>Which callback of the operation pended (a pre-op and a later post-op of one operation are two pends).</summary>
    internal byte Callback { get; }

    internal long Key => CallbackData.Key(Activation, Callback);

    /// <summary>The callback data. Read it only while <see cref="IsCurrent"/>: afterwards it carries another operation.</summary>
    public CallbackData Data { get; }

    /// <summary>Which use of the callback data this token names (increases by one per operation).</summary>
    public long Activation { get; }

    /// <summary>True while the data still carries this operation and it has not completed.</summary>
    public bool IsCurrent => Data is not null && Data.CurrentKey == Key && Volatile.Read(ref Data.Completed) == 0;

    /// <summary>
    /// FltCompletePendedPreOperation: resumes the operation a pre-op pended. <paramref name="status"/> is SuccessWithCallback
    /// (with an optional context), SuccessNoCallback, Synchronize, or Complete (with the IoStatus already set, or use
    /// <see cref="Complete(NtStatus, long)"/>). Returns STATUS_REQUEST_ABORTED when the operation is over (completed, ended
    /// by the pending watchdog, reused), STATUS_INVALID_PARAMETER when it is not pended in a pre-op.
    /// </summary>
    public NtStatus CompletePreOperation(PreOperationStatus status, object? context = null)
    {
        if (Data is null) return NtStatus.InvalidParameter;
        if (status is not (PreOperationStatus.SuccessWithCallback or PreOperationStatus.SuccessNoCallback or PreOperationStatus.Complete or PreOperationStatus.Synchronize))
            return NtStatus.InvalidParameter;
        return Dispatcher.CompletePendedPre(Data, Key, status, context, null);
    }

    /// <summary>
    /// Completes a pended pre-op with <paramref name="status"/> (PREOP_COMPLETE): IoStatus is written only if this token
    /// still names the operation, so a late call can never change another operation's result.
    /// </summary>
    public NtStatus Complete(NtStatus status, long information = 0)
    {
        if (Data is null) return NtStatus.InvalidParameter;
        return Dispatcher.CompletePendedPre(Data, Key, PreOperationStatus.Complete, null, new IoStatusBlock(status, information));
    }

    /// <summary>FltCompletePendedPostOperation: resumes completion after a post-op returned MoreProcessingRequired.</summary>
    public NtStatus CompletePostOperation() => Data is null ? NtStatus.InvalidParameter : Dispatcher.CompletePendedPost(Data, Key);

    /// <summary>
    /// FltSetCancelCompletion for this operation only: from a worker that may run after the operation is over, this refuses
    /// (STATUS_REQUEST_ABORTED) instead of binding the routine to whatever operation the callback data carries now.
    /// </summary>
    public NtStatus SetCancelCompletion(Action<PendedOperation> routine) => Data is null ? NtStatus.InvalidParameter : Data.SetCancelCompletion(routine, Activation);

    /// <summary>FltClearCancelCompletion for this operation only (STATUS_UNSUCCESSFUL when it has no routine, or is over).</summary>
    public NtStatus ClearCancelCompletion() => Data is null ? NtStatus.InvalidParameter : Data.ClearCancelCompletion(Activation);

    /// <summary>
    /// Requests cancellation (FltCancelIo's role; the FUSE front-end calls it on INTERRUPT): marks the operation cancelled
    /// (<see cref="CallbackData.IsCanceled"/>) and calls the routine a filter set with SetCancelCompletion. Returns true
    /// when a routine was called. A cancel for an operation that is over does nothing.
    /// </summary>
    public bool Cancel() => Data is not null && Data.Cancel(Activation);

    /// <summary>The token of the next operation the data will carry (a front-end that must cancel a request it has not started yet).</summary>
    public PendedOperation Next => new(Data, Activation + 1, 0);

    public bool Equals(PendedOperation other) => ReferenceEquals(Data, other.Data) && Activation == other.Activation && Callback == other.Callback;
    public override bool Equals(object? obj) => obj is PendedOperation o && Equals(o);
    public override int GetHashCode() => HashCode.Combine(Data, Activation, Callback);
    public static bool operator ==(PendedOperation a, PendedOperation b) => a.Equals(b);
    public static bool operator !=(PendedOperation a, PendedOperation b) => !a.Equals(b);
    public override string ToString() => $"{Data?.Iopb.MajorFunction} #{Activation}.{Callback}";
}
