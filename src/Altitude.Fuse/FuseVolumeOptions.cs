// Settings of a FUSE volume (the front-end side; the protocol side is FuseServerOptions).
namespace Altitude.Fuse;

/// <summary>Options of <see cref="FuseVolume.Mount"/>.</summary>
public sealed class FuseVolumeOptions
{
    /// <summary>
    /// Entry and attribute timeout while no instance registered NETWORK_QUERY_OPEN or QUERY_INFORMATION (then 0).
    /// Long, as passthrough_hp's default: the mount is assumed to be the only way the backing tree changes.
    /// </summary>
    public TimeSpan CacheTimeout { get; init; } = TimeSpan.FromSeconds(86400);

    /// <summary>Use FUSE passthrough for opens whose data no instance wants (kernel 6.9+, root); falls back when refused.</summary>
    public bool Passthrough { get; init; } = true;

    /// <summary>
    /// Negotiate POSIX_LOCKS/FLOCK_LOCKS so that filters see LOCK_CONTROL. Off by default: the kernel then keeps locks
    /// itself with exact semantics. With it, a SETLKW waits on a thread of its own, never on a reader, and passthrough is
    /// off (a node's backing file would keep the first opener's locks alive after its close).
    /// </summary>
    public bool ForwardLocks { get; init; }

    /// <summary>
    /// Serve as if some instance watched every operation, whatever is attached: zero timeouts, no passthrough, no
    /// kernel data or directory caching. The baseline that isolates what filters themselves cost (bench/fs-workloads.sh),
    /// and a way to make every operation reach a filter attached later without invalidation races.
    /// </summary>
    public bool NoCache { get; init; }

    /// <summary>Which listing opcode the kernel sends (READDIRPLUS saves a LOOKUP per listed name that is then stat'ed).</summary>
    public ReadDirPlusMode ReadDirPlus { get; init; } = ReadDirPlusMode.Auto;

    public FuseServerOptions Server { get; init; } = new();
}
