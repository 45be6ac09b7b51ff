// The front-end's side of a Requestor: looks up the process, executable and cgroup of the thread it named in a request.
using System.Diagnostics.CodeAnalysis;

namespace Altitude;

/// <summary>
/// Answers a <see cref="Requestor"/>'s lookups for the front-end that named the thread. Called on the filter's thread,
/// from any callback (and any thread a pended operation continues on); must not block for long.
/// </summary>
public abstract class RequestorSource
{
    /// <summary>The thread's process while <paramref name="ticket"/> is still unanswered; false otherwise.</summary>
    protected internal abstract bool TryGetProcessId(int threadId, long ticket, out int processId);

    /// <summary>The thread's executable while <paramref name="ticket"/> is still unanswered.</summary>
    protected internal abstract bool TryGetImagePath(int threadId, long ticket, [NotNullWhen(true)] out string? path);

    /// <summary>The text of the thread's /proc cgroup file while <paramref name="ticket"/> is still unanswered.</summary>
    protected internal abstract bool TryGetCgroup(int threadId, long ticket, [NotNullWhen(true)] out string? cgroup);
}
