// Settings of one Filter Manager.
namespace Altitude;

/// <summary>Options for <see cref="FilterManager"/>.</summary>
public sealed class FilterManagerOptions
{
    /// <summary>
    /// How long an operation may stay parked in a filter (pre-op PENDING or post-op MORE_PROCESSING_REQUIRED)
    /// before the watchdog ends it: a pended pre-op fails with STATUS_IO_TIMEOUT (ETIMEDOUT) and the posts of
    /// the filters above it run; a parked post-op resumes completion with its status unchanged. Either is
    /// logged as a fault of the filter. Default 60 s, the longest scan timeout of the avscan sample.
    /// </summary>
    public TimeSpan PendingTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long one teardown may wait for filter code: a detach, a volume dismount or a filter's unregister waits at most
    /// this long in total for callbacks still running in its instances, for operations parked in them and for the
    /// DisconnectNotify of the filter's connections. Past it, the fault is reported, parked operations are ended as the
    /// watchdog would end them, and teardown goes on without the callbacks that did not return. Default: twice
    /// <see cref="PendingTimeout"/>.
    /// </summary>
    public TimeSpan? TeardownTimeout { get; init; }

    /// <summary>How often the watchdog looks for expired operations. Default: a quarter of the timeout, at most 1 s.</summary>
    public TimeSpan? WatchdogInterval { get; init; }

    /// <summary>
    /// System worker threads at most: they run the SYNCHRONIZE and post-create post-ops of asynchronous operations (FUSE
    /// requests) that became due on a completing thread, which must not block. Past the maximum, such completions wait in
    /// order for a worker. Default 64.
    /// </summary>
    public int MaxWorkerThreads { get; init; } = 64;

    /// <summary>How long an idle system worker waits for work before it exits. Default 10 s.</summary>
    public TimeSpan WorkerIdleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Prefix of volume names; volumes are named prefix + a number from 1.</summary>
    public string VolumeNamePrefix { get; init; } = "/dev/altitude/volume";

    /// <summary>
    /// Runtime directory of communication port sockets: port <c>\ScannerPort</c> listens on
    /// <c>&lt;PortDirectory&gt;/scannerport</c> (docs/port-protocol.md, section 1). Tests use a temporary directory.
    /// </summary>
    public string PortDirectory { get; init; } = "/run/altitude/ports";

    /// <summary>
    /// The group (name or gid) whose members count as BUILTIN\Administrators (BA) in port security
    /// descriptors, besides uid 0. No such group: only uid 0 is BA.
    /// </summary>
    public string? PortAdminGroup { get; init; } = "altitude";

    /// <summary>
    /// Connections of one port that may be in the handshake at once (accepted and admitted, waiting for their
    /// hello or in ConnectNotify). A connection beyond it is refused at once (docs/port-protocol.md, section 4).
    /// </summary>
    public int PortHandshakeLimit { get; init; } = 64;

    /// <summary>How long an admitted connection may take to send its hello before it is closed.</summary>
    public TimeSpan PortHelloTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Threads that run port callbacks (ConnectNotify, MessageNotify, DisconnectNotify, SendMessageAsync
    /// continuations), for all ports together. Each connection uses at most one at a time; they end after
    /// <see cref="WorkerIdleTimeout"/> without work.
    /// </summary>
    public int PortWorkerLimit { get; init; } = 64;

    /// <summary>
    /// The filter verifier: records where each context reference and each name was handed to a filter (a stack trace per
    /// reference, so it is slow) and reports, through <see cref="FilterManager.VerifierReported"/>, context references still
    /// held at detach and unload and names not released by the end of the operation that got them. Off by default; tests turn it on.
    /// </summary>
    public bool Verifier { get; init; }
}
