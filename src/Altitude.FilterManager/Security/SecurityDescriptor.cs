// Port security descriptors: the DACL part of SDDL, mapped to Linux identities as DESIGN.md says.
// Evaluation and the accepted grammar are documented in docs/port-protocol.md, section 6.
using System.Globalization;

namespace Altitude;

/// <summary>Access rights of a communication port.</summary>
public static class PortAccess
{
    /// <summary>FLT_PORT_CONNECT: the right a connect needs.</summary>
    public const uint Connect = 0x0001;
    /// <summary>STANDARD_RIGHTS_ALL.</summary>
    public const uint StandardRightsAll = 0x001F0000;
    /// <summary>FLT_PORT_ALL_ACCESS = FLT_PORT_CONNECT | STANDARD_RIGHTS_ALL.</summary>
    public const uint AllAccess = Connect | StandardRightsAll;
}

/// <summary>Whom an ACE names.</summary>
public enum TrusteeKind { LocalSystem, Administrators, Everyone, User, Group }

/// <summary>One ACE: allow or deny <see cref="AccessMask"/> to a trustee.</summary>
public readonly record struct AccessControlEntry(bool Allow, uint AccessMask, TrusteeKind Trustee, uint Id = 0);

/// <summary>
/// A parsed security descriptor. Only the DACL matters (owner, group and SACL parts are accepted and
/// ignored). A descriptor without "D:" has a NULL DACL, which admits everyone, as on Windows;
/// "D:" with no ACEs admits nobody.
/// </summary>
public sealed partial class SecurityDescriptor
{
    private readonly AccessControlEntry[]? dacl;

    private SecurityDescriptor(string sddl, AccessControlEntry[]? dacl) { Sddl = sddl; this.dacl = dacl; }

    public string Sddl { get; }
    /// <summary>The DACL in order; null for a NULL DACL.</summary>
    public IReadOnlyList<AccessControlEntry>? Dacl => dacl;

    /// <summary>
    /// FltBuildDefaultSecurityDescriptor: grants <paramref name="access"/> to LocalSystem (uid 0) and
    /// Administrators (uid 0 and the admin group) only.
    /// </summary>
    public static string BuildDefault(uint access = PortAccess.AllAccess) =>
        $"D:P(A;;0x{access:X};;;SY)(A;;0x{access:X};;;BA)";

    /// <summary>Parses SDDL; throws <see cref="FormatException"/> with the reason when it does not parse.</summary>
    public static SecurityDescriptor Parse(string sddl) =>
        TryParse(sddl, out var sd, out var error) ? sd! : throw new FormatException($"Invalid security descriptor \"{sddl}\": {error}");

    public static bool TryParse(string? sddl, out SecurityDescriptor? descriptor, out string? error)
    {
        descriptor = null;
        if (sddl is null) { error = "null"; return false; }
        var s = sddl.AsSpan().Trim();
        AccessControlEntry[]? dacl = null;
        while (!s.IsEmpty)
        {
            if (s.Length < 2 || s[1] != ':' || s[0] is not ('O' or 'G' or 'D' or 'S'))
            {
                error = $"expected O:, G:, D: or S: at \"{s.ToString()}\"";
                return false;
            }
            char part = s[0];
            s = s.Slice(2);
            // The part runs to the next "X:" that is outside parentheses.
            int end = 0, depth = 0;
            while (end < s.Length)
            {
                char c = s[end];
                if (c == '(') depth++;
                else if (c == ')') depth--;
                else if (depth == 0 && end > 0 && end + 1 < s.Length && s[end + 1] == ':' && c is 'O' or 'G' or 'D' or 'S') break;
                end++;
            }
            var body = s.Slice(0, end);
            s = s.Slice(end);
            if (part != 'D') continue;   // owner, group and SACL do not decide a connect
            if (dacl is not null) { error = "more than one D: part"; return false; }
            if (!TryParseDacl(body, out dacl, out error)) return false;
        }
        descriptor = new SecurityDescriptor(sddl, dacl);
        error = null;
        return true;
    }

    private static bool TryParseDacl(ReadOnlySpan<char> body, out AccessControlEntry[]? aces, out string? error)
    {
        aces = null;
        int open = body.IndexOf('(');
        var flags = open < 0 ? body : body.Slice(0, open);
        while (true)
        {
            if (flags.StartsWith("AI", StringComparison.Ordinal) || flags.StartsWith("AR", StringComparison.Ordinal)) flags = flags.Slice(2);
            else if (flags.StartsWith("P", StringComparison.Ordinal)) flags = flags.Slice(1);
            else break;
        }
        if (!flags.IsEmpty) { error = $"unknown DACL flags \"{flags.ToString()}\""; return false; }
        var list = new List<AccessControlEntry>();
        var rest = open < 0 ? ReadOnlySpan<char>.Empty : body.Slice(open);
        while (!rest.IsEmpty)
        {
            if (rest[0] != '(') { error = $"expected '(' at \"{rest.ToString()}\""; return false; }
            int close = rest.IndexOf(')');
            if (close < 0) { error = "unterminated ACE"; return false; }
            if (!TryParseAce(rest.Slice(1, close - 1), out var ace, out error)) return false;
            list.Add(ace);
            rest = rest.Slice(close + 1);
        }
        aces = list.ToArray();
        error = null;
        return true;
    }

    private static bool TryParseAce(ReadOnlySpan<char> ace, out AccessControlEntry entry, out string? error)
    {
        entry = default;
        var fields = ace.ToString().Split(';');
        if (fields.Length != 6) { error = $"ACE \"{ace.ToString()}\" needs 6 fields, has {fields.Length}"; return false; }
        bool allow;
        if (fields[0] == "A") allow = true;
        else if (fields[0] == "D") allow = false;
        else { error = $"ACE type \"{fields[0]}\" is not A or D"; return false; }
        // Inheritance flags mean nothing for a port; accept the standard ones.
        var f = fields[1];
        while (f.Length >= 2 && f.Substring(0, 2) is "CI" or "OI" or "NP" or "IO" or "ID") f = f.Substring(2);
        if (f.Length != 0) { error = $"unknown ACE flags \"{fields[1]}\""; return false; }
        if (!TryParseRights(fields[2], out uint mask)) { error = $"unknown access rights \"{fields[2]}\""; return false; }
        if (fields[3].Length != 0 || fields[4].Length != 0) { error = "object ACEs (GUID fields) are not supported"; return false; }
        if (!TryParseTrustee(fields[5], out var kind, out uint id)) { error = $"unknown or unsupported SID \"{fields[5]}\""; return false; }
        entry = new AccessControlEntry(allow, mask, kind, id);
        error = null;
        return true;
    }

    private static bool TryParseRights(string text, out uint mask)
    {
        mask = 0;
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return uint.TryParse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out mask);
        if (text.Length > 0 && char.IsAsciiDigit(text[0])) return uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out mask);
        if (text.Length == 0 || text.Length % 2 != 0) return false;
        for (int i = 0; i < text.Length; i += 2)
        {
            uint bit = text.Substring(i, 2) switch
            {
                // Generic rights map to the port's rights: FltMgr's generic mapping gives CONNECT for each [inf].
                "GA" => PortAccess.AllAccess,
                "GR" or "GW" or "GX" => PortAccess.Connect,
                // Standard rights.
                "SD" => 0x00010000, "RC" => 0x00020000, "WD" => 0x00040000, "WO" => 0x00080000,
                // Object-specific bit 0 is FLT_PORT_CONNECT; CC is SDDL's name for bit 0.
                "CC" => 0x1, "DC" => 0x2, "LC" => 0x4, "SW" => 0x8, "RP" => 0x10, "WP" => 0x20,
                "DT" => 0x40, "LO" => 0x80, "CR" => 0x100,
                "FA" => PortAccess.AllAccess, "FR" or "FW" or "FX" => PortAccess.Connect,
                _ => 0xFFFFFFFF,
            };
            if (bit == 0xFFFFFFFF) return false;
            mask |= bit;
        }
        return true;
    }

    private static bool TryParseTrustee(string sid, out TrusteeKind kind, out uint id)
    {
        id = 0;
        switch (sid)
        {
            case "SY" or "S-1-5-18": kind = TrusteeKind.LocalSystem; return true;
            case "BA" or "S-1-5-32-544": kind = TrusteeKind.Administrators; return true;
            case "WD" or "S-1-1-0": kind = TrusteeKind.Everyone; return true;
        }
        kind = default;
        // Samba's convention for Unix identities: S-1-22-1-<uid> users, S-1-22-2-<gid> groups.
        if (sid.StartsWith("S-1-22-1-", StringComparison.Ordinal) && uint.TryParse(sid.AsSpan(9), NumberStyles.None, CultureInfo.InvariantCulture, out id))
        {
            kind = TrusteeKind.User;
            return true;
        }
        if (sid.StartsWith("S-1-22-2-", StringComparison.Ordinal) && uint.TryParse(sid.AsSpan(9), NumberStyles.None, CultureInfo.InvariantCulture, out id))
        {
            kind = TrusteeKind.Group;
            return true;
        }
        return false;
    }

    /// <summary>
    /// The access check at connect: ACEs are read in order and the first one that names the caller and
    /// covers <paramref name="desired"/> decides (deny or allow), as Windows evaluates a DACL; no such ACE
    /// means denied. <paramref name="adminGroup"/> is the gid whose members count as BA (null: uid 0 only).
    /// </summary>
    public bool AccessCheck(in PeerCredentials caller, uint? adminGroup, uint desired = PortAccess.Connect)
    {
        if (dacl is null) return true;
        uint granted = 0;
        foreach (var ace in dacl)
        {
            if (!Matches(ace, caller, adminGroup)) continue;
            uint bits = ace.AccessMask & desired & ~granted;
            if (bits == 0) continue;
            // Windows: a deny ACE for any still-wanted bit denies; an allow ACE adds bits until all are granted.
            if (!ace.Allow) return false;
            granted |= bits;
            if (granted == desired) return true;
        }
        return false;
    }

    private static bool Matches(in AccessControlEntry ace, in PeerCredentials caller, uint? adminGroup) => ace.Trustee switch
    {
        TrusteeKind.Everyone => true,
        TrusteeKind.LocalSystem => caller.UserId == 0,
        TrusteeKind.Administrators => caller.UserId == 0 || (adminGroup is { } g && caller.IsInGroup(g)),
        TrusteeKind.User => caller.UserId == ace.Id,
        TrusteeKind.Group => caller.IsInGroup(ace.Id),
        _ => false,
    };

    /// <summary>
    /// The socket file's mode for this descriptor: the smallest of 0600, 0660 (group = the admin group) and
    /// 0666 that lets connect(2) through for everyone an allow ACE could admit, so the file system already
    /// refuses those the DACL never admits. Deny ACEs are left to the check at accept (the mode is an upper
    /// bound; the check decides). <paramref name="group"/> is the group the file should have, or null to keep it.
    /// </summary>
    public UnixFileMode SocketFileMode(uint? adminGroup, out uint? group)
    {
        const UnixFileMode owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        const UnixFileMode inGroup = owner | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;
        const UnixFileMode everyone = inGroup | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        group = null;
        if (dacl is null) return everyone;
        bool admins = false;
        foreach (var ace in dacl)
        {
            if (!ace.Allow || (ace.AccessMask & PortAccess.Connect) == 0) continue;
            switch (ace.Trustee)
            {
                case TrusteeKind.LocalSystem:
                    break;
                case TrusteeKind.User when ace.Id == 0:
                    break;
                case TrusteeKind.Administrators:
                    admins |= adminGroup is not null;
                    break;
                case TrusteeKind.Group when ace.Id == adminGroup:
                    admins = true;
                    break;
                default:
                    // Everyone, another user, another group: only the check at accept can tell them apart.
                    return everyone;
            }
        }
        if (!admins) return owner;
        group = adminGroup;
        return inGroup;
    }

    public override string ToString() => Sddl;
}
