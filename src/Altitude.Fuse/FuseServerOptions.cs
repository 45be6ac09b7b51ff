// Settings of one FUSE session.
namespace Altitude.Fuse;

/// <summary>Options of a <see cref="FuseServer"/>; the defaults are the ones spec/fuse-frontend-notes.md recommends.</summary>
public sealed class FuseServerOptions
{
    /// <summary>Reader threads that always run, each with its own /dev/fuse fd (the first one's clones). 2 suits 2 cores.</summary>
    public int MinReaders { get; init; } = 2;

    /// <summary>
    /// Reader threads at most. When a reader takes a request and no other is idle (every other one is busy, typically
    /// blocked in a filter's callback), another is started, up to this bound. Past it, new requests wait in the kernel's
    /// queue until a reader is free: callers block, nothing fails. Default 32.
    /// </summary>
    public int MaxReaders { get; init; } = 32;

    /// <summary>How long an extra reader (above <see cref="MinReaders"/>) waits without work before it exits. Default 10 s.</summary>
    public TimeSpan ReaderIdleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    internal int ReaderIdleTimeoutMilliseconds => (int)Math.Clamp(ReaderIdleTimeout.TotalMilliseconds, 1, int.MaxValue);

    /// <summary>
    /// Request objects at most: one per reader plus one per request in flight (pended in a filter: its reply comes
    /// later, from another thread). Each costs 12 KiB of native buffers plus the bridge's state, and what it rented (a
    /// large WRITE's landing buffer, READ data, a reply page), each class capped by BufferPool. Past this bound a reader
    /// waits for a request to finish before it reads the next one: callers block, nothing fails. Default 4096.
    /// </summary>
    public int MaxRequests { get; init; } = 4096;

    /// <summary>Idle request objects kept for reuse after a burst; the rest are freed.</summary>
    public int MaxIdleRequests { get; init; } = 64;

    /// <summary>
    /// How requests arrive. DevFuse (the default), Auto (FUSE over io_uring when the kernel offers it, else /dev/fuse)
    /// or IoUring (or no mount). Under io_uring each possible CPU has a queue with one thread to start, pinned to that
    /// CPU; a queue whose last waiting thread takes a request gets another, up to <see cref="MaxReaders"/> per queue,
    /// and those threads stay until the unmount. FORGET and INTERRUPT still come through /dev/fuse, so
    /// <see cref="MinReaders"/> /dev/fuse readers run either way. Not the default because the kernel queues a request
    /// that finds no waiting entry on its CPU's queue and gives it only to an entry of that queue that commits, never to
    /// one registered later: while filters block every thread of a queue, such requests wait for one of them
    /// (docs/deviations.md, section 9).
    /// </summary>
    public FuseTransport Transport { get; init; } = FuseTransport.DevFuse;

    /// <summary>max_write and max_read: 1 MiB (MAX_PAGES = 256).</summary>
    public int MaxWrite { get; init; } = 1024 * 1024;

    /// <summary>
    /// The mount's read-ahead window in KiB, written to /sys/class/bdi/0:N/read_ahead_kb after INIT (root only; a
    /// user's mount keeps the kernel's). The kernel caps a FUSE mount at 128 KiB whatever INIT answers, so a cold
    /// sequential read through the page cache (a SKIP_CACHED_IO data filter's paging reads) would come in 128 KiB
    /// READs; the default, 1024, lets one READ carry a whole max_write. 0 keeps the kernel's value.
    /// </summary>
    public int ReadAheadKb { get; init; } = 1024;
    /// <summary>The file-system type is "fuse." + this.</summary>
    public string Subtype { get; init; } = "altitude";
    /// <summary>The kernel checks mode bits (and never sends ACCESS).</summary>
    public bool DefaultPermissions { get; init; } = true;
    /// <summary>Users other than the mounter may use the mount (for a non-root mounter only when /etc/fuse.conf has user_allow_other).</summary>
    public bool AllowOther { get; init; } = true;
    /// <summary>Parallel background requests the kernel may queue (its default is 12).</summary>
    public ushort MaxBackground { get; init; } = 64;
}
