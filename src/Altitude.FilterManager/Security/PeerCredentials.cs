// Who is on the other end of a port socket: SO_PEERCRED (pid, uid, gid) and SO_PEERGROUPS
// (supplementary groups), both captured by the kernel at connect(2), so they cannot be spoofed later.
// Read at accept by Ports/Interop/PortInterop.TryReadPeer.

namespace Altitude;

/// <summary>The connecting process's identity, as the kernel recorded it when it connected.</summary>
public readonly struct PeerCredentials
{
    private const int SolSocket = 1, SoPeerCred = 17, SoPeerGroups = 59;
    private readonly uint[]? groups;

    public PeerCredentials(int processId, uint userId, uint groupId, uint[]? supplementaryGroups = null)
    {
        ProcessId = processId; UserId = userId; GroupId = groupId; groups = supplementaryGroups;
    }

    public int ProcessId { get; }
    public uint UserId { get; }
    /// <summary>The primary group.</summary>
    public uint GroupId { get; }
    /// <summary>Supplementary groups (empty when the kernel does not report them).</summary>
    public ReadOnlySpan<uint> SupplementaryGroups => groups;

    /// <summary>True when the primary group or a supplementary group is <paramref name="gid"/>.</summary>
    public bool IsInGroup(uint gid)
    {
        if (GroupId == gid) return true;
        foreach (var g in SupplementaryGroups) if (g == gid) return true;
        return false;
    }

    public override string ToString() => $"pid {ProcessId}, uid {UserId}, gid {GroupId}";
}
