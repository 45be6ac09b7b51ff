// The key file named by the KeyFile parameter: 32 raw bytes, or 64 hexadecimal digits (a trailing newline allowed).
// Like ssh with a private key, the filter refuses a key file that its group or other users may read or write.
namespace Altitude.Samples.SwapBuffers;

internal static class EncryptionKey
{
    /// <summary>Reads the key; on failure <paramref name="error"/> says why, for the log line of a refused DriverEntry.</summary>
    public static bool TryLoad(string path, out byte[] key, out string error)
    {
        key = [];
        if (string.IsNullOrWhiteSpace(path)) { error = "the KeyFile parameter is required with Encryption=1"; return false; }
        byte[] raw;
        try
        {
            UnixFileMode mode = File.GetUnixFileMode(path);
            const UnixFileMode Shared = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            if ((mode & Shared) != 0) { error = $"key file {path} is accessible to its group or others (chmod 600 it)"; return false; }
            raw = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"key file {path}: {e.Message}";
            return false;
        }
        if (raw.Length == 32) { key = raw; error = ""; return true; }
        string text = System.Text.Encoding.ASCII.GetString(raw).Trim();
        if (text.Length == 64)
        {
            try
            {
                key = Convert.FromHexString(text);
                error = "";
                return true;
            }
            catch (FormatException) { }
        }
        error = $"key file {path} must hold 32 bytes or 64 hexadecimal digits (it has {raw.Length} bytes)";
        return false;
    }
}
