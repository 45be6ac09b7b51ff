// Who asked for an operation. The front-end knows the thread (FUSE names it in every request); the process, its
// executable and its cgroup are looked up only when a filter asks, so a request whose filters never ask costs nothing.
using System.Diagnostics.CodeAnalysis;

namespace Altitude;

/// <summary>
/// Who asked for an operation. FUSE does not say for writeback, readahead and release: then <see cref="IsKnown"/> is
/// false and every lookup answers "unknown". Copied by value: the members that look things up (<see cref="ProcessId"/>,
/// <see cref="TryGetImagePath"/>, <see cref="TryGetCgroup"/>) answer only while the operation is in progress, that
/// is from its pre-operation callback until its reply (a pended operation included): the requesting thread waits in
/// the kernel until then, so its id cannot belong to anyone else meanwhile. Ask on <c>Data.Requestor</c> itself;
/// what <see cref="ProcessId"/> found is kept there for the rest of the operation.
/// </summary>
public struct Requestor
{
    public int ThreadId;
    public uint Uid;
    public uint Gid;
    public bool IsKnown;
    private int processId;
    private RequestorSource? source;
    private long ticket;

    public static Requestor Unknown => default;

    /// <summary>A requestor whose process is given (in-process callers: VolumeClient, tests); no image path or cgroup.</summary>
    public static Requestor Of(int pid, int tid, uint uid, uint gid) => new() { processId = pid, ThreadId = tid, Uid = uid, Gid = gid, IsKnown = true };

    /// <summary>
    /// A requestor named by its thread only (the FUSE front-end): <paramref name="source"/> answers the lookups while
    /// <paramref name="ticket"/> is its current request (its own meaning; the source checks it on every lookup).
    /// </summary>
    public static Requestor OfThread(int tid, uint uid, uint gid, RequestorSource source, long ticket)
        => new() { ThreadId = tid, Uid = uid, Gid = gid, IsKnown = true, source = source, ticket = ticket };

    /// <summary>
    /// The process (thread group) of <see cref="ThreadId"/> (FltGetRequestorProcessId); 0 when unknown: no requestor,
    /// the thread already gone, or asked first after the operation was answered. The first lookup costs one poll(2)
    /// when the thread was seen before (a pidfd per recent thread, so a recycled thread id is noticed), three system
    /// calls otherwise; the answer is kept in this copy.
    /// </summary>
    public int ProcessId
    {
        get
        {
            if (processId == 0 && source is not null && source.TryGetProcessId(ThreadId, ticket, out int pid)) processId = pid;
            return processId;
        }
    }

    /// <summary>
    /// The requesting process's executable, as /proc/&lt;tid&gt;/exe names it (" (deleted)" appended if it was
    /// unlinked). False when unknown (see <see cref="ProcessId"/>), or when the daemon may not read it (an unprivileged
    /// daemon and another user's process). Reads /proc on every call and allocates the string: ask once per operation.
    /// </summary>
    public readonly bool TryGetImagePath([NotNullWhen(true)] out string? path)
    {
        path = null;
        return source is not null && source.TryGetImagePath(ThreadId, ticket, out path);
    }

    /// <summary>
    /// The requesting thread's cgroup membership: the text of /proc/&lt;tid&gt;/cgroup, one
    /// <c>hierarchy-ID:controllers:path</c> line per hierarchy (a single <c>0::/path</c> line on a cgroup v2-only
    /// host). False when unknown. Reads /proc on every call and allocates the string.
    /// </summary>
    public readonly bool TryGetCgroup([NotNullWhen(true)] out string? cgroup)
    {
        cgroup = null;
        return source is not null && source.TryGetCgroup(ThreadId, ticket, out cgroup);
    }

    public override readonly string ToString()
        => !IsKnown ? "unknown requestor" : processId != 0 || source is null ? $"pid {processId} tid {ThreadId} uid {Uid} gid {Gid}" : $"tid {ThreadId} uid {Uid} gid {Gid}";
}
