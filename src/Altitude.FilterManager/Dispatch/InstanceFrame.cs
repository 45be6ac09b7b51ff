// Per-instance bookkeeping of one operation: whether the instance is owed a post-op, and its completion
// context. The state word carries the operation's activation number so that a teardown draining owed
// post-ops can never claim a frame of a later operation that reused the same callback data (ABA).
namespace Altitude;

internal struct InstanceFrame
{
    public const long None = 0, PostOwed = 1, Claimed = 2;
    public const long SynchronizeBit = 4;

    public Instance? Instance;
    public long State;                 // (activation << 8) | flags
    public object? CompletionContext;

    public static long Make(long activation, long flags) => (activation << 8) | flags;
}
