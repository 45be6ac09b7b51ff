// Resolves the group whose members count as BUILTIN\Administrators (BA) in port security descriptors.
namespace Altitude;

internal static class AdminGroup
{
    /// <summary>The gid for a group name or number from /etc/group; null if there is no such group (then only uid 0 is BA).</summary>
    public static uint? Resolve(string? nameOrId)
    {
        if (string.IsNullOrEmpty(nameOrId)) return null;
        if (uint.TryParse(nameOrId, out var gid)) return gid;
        try
        {
            foreach (var line in File.ReadLines("/etc/group"))
            {
                // name:password:gid:members
                var parts = line.Split(':');
                if (parts.Length >= 3 && parts[0] == nameOrId && uint.TryParse(parts[2], out gid)) return gid;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
