// Binary SIDs for the trustees the SDDL form knows (SY, BA, WD and Samba's S-1-22 Unix users and groups): one vocabulary
// for port descriptors and file security descriptors alike.
using System.Buffers.Binary;

namespace Altitude;

public sealed partial class SecurityDescriptor
{
    /// <summary>Bytes of the binary SID of <paramref name="kind"/>: 8 + 4 per sub-authority.</summary>
    internal static int SidLength(TrusteeKind kind) => kind is TrusteeKind.User or TrusteeKind.Group or TrusteeKind.Administrators ? 16 : 12;

    /// <summary>Writes the SID (revision 1, big-endian authority, little-endian sub-authorities); returns its length.</summary>
    internal static int WriteSid(Span<byte> destination, TrusteeKind kind, uint id)
    {
        (byte authority, uint first, uint? second) = kind switch
        {
            TrusteeKind.LocalSystem => ((byte)5, 18u, (uint?)null),        // S-1-5-18
            TrusteeKind.Administrators => ((byte)5, 32u, (uint?)544u),     // S-1-5-32-544
            TrusteeKind.Everyone => ((byte)1, 0u, (uint?)null),            // S-1-1-0
            TrusteeKind.User => ((byte)22, 1u, (uint?)id),                 // S-1-22-1-uid
            _ => ((byte)22, 2u, (uint?)id),                                // S-1-22-2-gid
        };
        int count = second is null ? 1 : 2;
        destination[0] = 1;
        destination[1] = (byte)count;
        destination[2..7].Clear();
        destination[7] = authority;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], first);
        if (second is { } s) BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], s);
        return 8 + 4 * count;
    }

    /// <summary>Reads a binary SID this vocabulary knows; false for a malformed or unknown SID.</summary>
    internal static bool TryReadSid(ReadOnlySpan<byte> sid, out TrusteeKind kind, out uint id, out int length)
    {
        kind = default;
        id = 0;
        length = 0;
        if (sid.Length < 8 || sid[0] != 1 || sid[1] > 15) return false;
        int count = sid[1];
        length = 8 + 4 * count;
        if (sid.Length < length || sid[2] != 0 || sid[3] != 0 || sid[4] != 0 || sid[5] != 0 || sid[6] != 0) return false;
        byte authority = sid[7];
        uint a = count > 0 ? BinaryPrimitives.ReadUInt32LittleEndian(sid[8..]) : 0;
        uint b = count > 1 ? BinaryPrimitives.ReadUInt32LittleEndian(sid[12..]) : 0;
        switch (authority, count, a)
        {
            case (1, 1, 0): kind = TrusteeKind.Everyone; return true;
            case (5, 1, 18): kind = TrusteeKind.LocalSystem; return true;
            case (5, 2, 32) when b == 544: kind = TrusteeKind.Administrators; return true;
            case (22, 2, 1): kind = TrusteeKind.User; id = b; return true;
            case (22, 2, 2): kind = TrusteeKind.Group; id = b; return true;
            default: return false;
        }
    }
}
