// The part of FLT_CALLBACK_DATA that a cancel-safe queue uses while it holds the operation (QueueLinks and
// QueueContext on Windows): intrusive links, so queuing an operation allocates nothing.
namespace Altitude;

public sealed partial class CallbackData
{
    // All under the owning queue's lock. They survive Reset on purpose: an operation the watchdog ended while queued stays
    // linked until its queue (or the next queue it is inserted in) finds it stale and unlinks it.
    internal CallbackDataQueue? QueueOwner;
    internal PendedOperation QueuedOperation;
    internal CallbackDataQueueIoContext? QueueIoContext;
    internal CallbackData? QueueNext, QueuePrevious;
}
