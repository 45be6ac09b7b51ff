// Port names (\ScannerPort) to socket files under the runtime directory. Shared by both sides, so a
// client finds the file the server created. The mapping is in docs/port-protocol.md, section 1.
using System.Text;

namespace Altitude.Ports.Wire;

internal static class PortName
{
    /// <summary>Default runtime directory for port sockets.</summary>
    public const string DefaultDirectory = "/run/altitude/ports";
    /// <summary>Environment variable that overrides the client's directory.</summary>
    public const string DirectoryVariable = "ALTITUDE_PORT_DIRECTORY";
    // sockaddr_un.sun_path is 108 bytes including the terminating NUL.
    private const int MaxSocketPath = 107;

    /// <summary>
    /// The socket path for a port name, or null if the name is not valid. One leading backslash is dropped,
    /// the rest is folded to lower case (port names are case-insensitive: every sample passes
    /// OBJ_CASE_INSENSITIVE), [a-z0-9._-] stay as they are and every other UTF-8 byte becomes %XX.
    /// </summary>
    public static string? ToSocketPath(string directory, string? name)
    {
        if (string.IsNullOrEmpty(name)) return null;
        string n = name[0] == '\\' ? name.Substring(1) : name;
        if (n.Length == 0 || n.Length > 255) return null;
        var sb = new StringBuilder(n.Length + 8);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in n.ToLowerInvariant().EnumerateRunes())
        {
            int v = rune.Value;
            if (v is >= 'a' and <= 'z' or >= '0' and <= '9' or '.' or '_' or '-')
            {
                // "." and ".." alone would name directories.
                sb.Append((char)v);
                continue;
            }
            int len = rune.EncodeToUtf8(utf8);
            for (int i = 0; i < len; i++) sb.Append('%').Append(utf8[i].ToString("X2"));
        }
        string file = sb.ToString();
        if (file is "." or "..") return null;
        string path = Path.Join(directory, file);
        return Encoding.UTF8.GetByteCount(path) > MaxSocketPath ? null : path;
    }

    /// <summary>The client's directory: the argument, else $ALTITUDE_PORT_DIRECTORY, else the default.</summary>
    public static string ClientDirectory(string? argument)
    {
        if (!string.IsNullOrEmpty(argument)) return argument;
        var env = Environment.GetEnvironmentVariable(DirectoryVariable);
        return string.IsNullOrEmpty(env) ? DefaultDirectory : env;
    }
}
