// Who is on the other end of a port socket: SO_PEERCRED (pid, uid, gid) and SO_PEERGROUPS
// (supplementary groups), both captured by the kernel at connect(2), so they cannot be spoofed later.
using System.Buffers.Binary;
using System.Net.Sockets;

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

    /// <summary>Reads SO_PEERCRED and SO_PEERGROUPS of a connected AF_UNIX socket.</summary>
    public static bool TryRead(Socket socket, out PeerCredentials credentials)
    {
        credentials = default;
        Span<byte> ucred = stackalloc byte[12];   // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        try
        {
            if (socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred) != 12) return false;
        }
        catch (SocketException)
        {
            return false;
        }
        uint[]? sup = null;
        Span<byte> buf = stackalloc byte[4 * 256];
        try
        {
            int n = socket.GetRawSocketOption(SolSocket, SoPeerGroups, buf) / 4;
            sup = new uint[n];
            for (int i = 0; i < n; i++) sup[i] = BinaryPrimitives.ReadUInt32LittleEndian(buf.Slice(i * 4));
        }
        catch (SocketException)
        {
            // Kernels before 4.13, or more than 256 groups: the primary group still counts.
        }
        credentials = new PeerCredentials(
            BinaryPrimitives.ReadInt32LittleEndian(ucred),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred.Slice(4)),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred.Slice(8)),
            sup);
        return true;
    }

    public override string ToString() => $"pid {ProcessId}, uid {UserId}, gid {GroupId}";
}
