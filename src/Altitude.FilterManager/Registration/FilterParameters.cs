// The Parameters key of a filter's service (what a WDK filter reads with ZwQueryValueKey in DriverEntry): named
// values from the package manifest. A value is a string (REG_SZ), a whole number (REG_DWORD) or a list (REG_MULTI_SZ).
using System.Globalization;

namespace Altitude;

/// <summary>Read-only named values from the manifest's "Parameters" section. Names compare case-insensitively, as registry value names do.</summary>
public sealed class FilterParameters
{
    public static readonly FilterParameters Empty = new(new Dictionary<string, IReadOnlyList<string>>());

    private readonly Dictionary<string, IReadOnlyList<string>> values;

    /// <param name="values">Each name with its value: one element for a single value, several for a list.</param>
    public FilterParameters(IReadOnlyDictionary<string, IReadOnlyList<string>> values)
    {
        this.values = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var kv in values) this.values[kv.Key] = kv.Value;
    }

    /// <summary>The value names.</summary>
    public IEnumerable<string> Names => values.Keys;

    /// <summary>REG_SZ: the value, or false (STATUS_OBJECT_NAME_NOT_FOUND's role) when it is absent or a list of several.</summary>
    public bool TryGetString(string name, out string value)
    {
        if (values.TryGetValue(name, out var v) && v.Count == 1) { value = v[0]; return true; }
        value = "";
        return false;
    }

    /// <summary>REG_SZ with a default.</summary>
    public string GetString(string name, string defaultValue) => TryGetString(name, out var v) ? v : defaultValue;

    /// <summary>REG_DWORD: a decimal or 0x-prefixed hexadecimal whole number; false when absent or not a number.</summary>
    public bool TryGetUInt32(string name, out uint value)
    {
        value = 0;
        return TryGetString(name, out var s) && TryParseDword(s, out value);
    }

    /// <summary>A DWORD as the registry shows one: decimal, or hexadecimal with 0x (also the manifest's instance Flags).</summary>
    public static bool TryParseDword(string text, out uint value)
    {
        var t = text.AsSpan().Trim();
        return t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? uint.TryParse(t[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            : uint.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>REG_DWORD with a default.</summary>
    public uint GetUInt32(string name, uint defaultValue) => TryGetUInt32(name, out var v) ? v : defaultValue;

    /// <summary>A boolean: true/false, or a REG_DWORD where non-zero is true.</summary>
    public bool GetBoolean(string name, bool defaultValue)
    {
        if (!TryGetString(name, out var s)) return defaultValue;
        if (bool.TryParse(s.Trim(), out bool b)) return b;
        return TryGetUInt32(name, out uint n) ? n != 0 : defaultValue;
    }

    /// <summary>REG_MULTI_SZ: every element (a single value is a list of one); empty when absent.</summary>
    public IReadOnlyList<string> GetStrings(string name) => values.TryGetValue(name, out var v) ? v : Array.Empty<string>();
}
