// One JSON configuration file read with its own ConfigurationBuilder, so that every problem names the file it is in.
// Values are read key by key (not bound) so that each error also names the key and says what is wrong with it.
using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Altitude.Daemon.Configuration;

/// <summary>A parsed configuration file and the errors found while reading its keys.</summary>
internal sealed class ConfigurationFile
{
    private readonly List<string> errors = new();

    private ConfigurationFile(string path, IConfiguration root)
    {
        Path = path;
        Root = root;
    }

    public string Path { get; }
    public IConfiguration Root { get; }

    /// <summary>"FILE: KEY: PROBLEM" for each problem, in the order found.</summary>
    public IReadOnlyList<string> Errors => errors;

    /// <summary>Parses <paramref name="path"/>; a file that is not JSON gives one error naming the file and the parser's reason.</summary>
    public static ConfigurationFile? Open(string path, out string? error)
    {
        error = null;
        try
        {
            var root = new ConfigurationBuilder().AddJsonFile(path, optional: false, reloadOnChange: false).Build();
            return new ConfigurationFile(path, root);
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            // The JSON provider wraps the parser's message ("Could not parse the JSON file. Error on line number...").
            error = $"{path}: {(e.InnerException ?? e).Message}";
            return null;
        }
    }

    public void Error(string key, string problem) => errors.Add($"{Path}: {key}: {problem}");

    /// <summary>A string value; null when absent (an error too when <paramref name="required"/>).</summary>
    public string? String(IConfiguration section, string key, bool required = false)
    {
        var s = section.GetSection(key);
        if (s.GetChildren().Any()) { Error(KeyOf(section, key), "must be a single value, not a section or a list"); return null; }
        string? value = s.Value;
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required) Error(KeyOf(section, key), "is required");
            return null;
        }
        return value;
    }

    /// <summary>A path; relative ones are taken from the file's directory.</summary>
    public string? PathValue(IConfiguration section, string key, bool required = false)
    {
        string? value = String(section, key, required);
        return value is null ? null : System.IO.Path.GetFullPath(value, System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
    }

    public int Int(IConfiguration section, string key, int defaultValue, int min, int max = int.MaxValue)
    {
        string? text = String(section, key);
        if (text is null) return defaultValue;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max) return v;
        Error(KeyOf(section, key), max == int.MaxValue ? $"\"{text}\" is not a whole number of at least {min}"
            : $"\"{text}\" is not a whole number from {min} to {max}");
        return defaultValue;
    }

    /// <summary>A DWORD: decimal, or hexadecimal with 0x, as the registry shows flags.</summary>
    public uint UInt32(IConfiguration section, string key, uint defaultValue)
    {
        string? text = String(section, key);
        if (text is null) return defaultValue;
        if (FilterParameters.TryParseDword(text, out uint v)) return v;
        Error(KeyOf(section, key), $"\"{text}\" is not a whole number (decimal or 0x hexadecimal)");
        return defaultValue;
    }

    public TimeSpan Seconds(IConfiguration section, string key, TimeSpan defaultValue, double min = 0, double max = 86400)
    {
        string? text = String(section, key);
        if (text is null) return defaultValue;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= min && v <= max)
            return TimeSpan.FromSeconds(v);
        Error(KeyOf(section, key), $"\"{text}\" is not a number of seconds from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
        return defaultValue;
    }

    public bool Bool(IConfiguration section, string key, bool defaultValue)
    {
        string? text = String(section, key);
        if (text is null) return defaultValue;
        if (bool.TryParse(text, out bool v)) return v;
        Error(KeyOf(section, key), $"\"{text}\" is not true or false");
        return defaultValue;
    }

    /// <summary>Keys present that the reader does not know: a misspelt option must not be ignored silently.</summary>
    public void RejectUnknown(IConfiguration section, params string[] known)
    {
        foreach (var child in section.GetChildren())
            if (Array.FindIndex(known, k => string.Equals(k, child.Key, StringComparison.OrdinalIgnoreCase)) < 0)
                Error(KeyOf(section, child.Key), "is not a known setting");
    }

    public static string KeyOf(IConfiguration section, string key) =>
        section is IConfigurationSection s ? s.Path + ":" + key : key;
}
