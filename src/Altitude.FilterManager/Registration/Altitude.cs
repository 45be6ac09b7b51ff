// Altitudes are decimal strings ("03333", "100.123456") compared as arbitrary-precision decimals:
// leading zeros of the integer part and trailing zeros of the fraction do not count.
using System.Diagnostics.CodeAnalysis;

namespace Altitude;

/// <summary>A parsed altitude. Higher altitudes are farther from the file system.</summary>
public readonly struct FilterAltitude : IComparable<FilterAltitude>, IEquatable<FilterAltitude>
{
    private readonly string? integerDigits;   // no leading zeros ("" for zero)
    private readonly string? fractionDigits;  // no trailing zeros ("" for none)

    private FilterAltitude(string original, string integerDigits, string fractionDigits)
    {
        Text = original;
        this.integerDigits = integerDigits;
        this.fractionDigits = fractionDigits;
    }

    /// <summary>The altitude as it was written (what fltmc prints).</summary>
    public string Text { get; } = "";

    /// <summary>
    /// Parses decimal digits with at most one '.'. Empty strings, signs, spaces, exponents and more than
    /// one dot are rejected (STATUS_INVALID_PARAMETER at the API edge).
    /// </summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out FilterAltitude altitude)
    {
        altitude = default;
        if (string.IsNullOrEmpty(text) || text.Length > 64) return false;
        int dot = -1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '.')
            {
                if (dot >= 0) return false;
                dot = i;
            }
            else if (c < '0' || c > '9') return false;
        }
        string intPart = dot < 0 ? text : text[..dot];
        string fracPart = dot < 0 ? "" : text[(dot + 1)..];
        if (intPart.Length == 0 && fracPart.Length == 0) return false;
        altitude = new FilterAltitude(text, intPart.TrimStart('0'), fracPart.TrimEnd('0'));
        return true;
    }

    /// <summary>Parses or throws <see cref="FormatException"/> (for configuration and tests).</summary>
    public static FilterAltitude Parse(string text) =>
        TryParse(text, out var a) ? a : throw new FormatException($"'{text}' is not an altitude: decimal digits with at most one '.'");

    public int CompareTo(FilterAltitude other)
    {
        string ai = integerDigits ?? "", bi = other.integerDigits ?? "";
        if (ai.Length != bi.Length) return ai.Length < bi.Length ? -1 : 1;
        int c = string.CompareOrdinal(ai, bi);
        if (c != 0) return c < 0 ? -1 : 1;
        c = string.CompareOrdinal(fractionDigits ?? "", other.fractionDigits ?? "");
        return c < 0 ? -1 : c > 0 ? 1 : 0;
    }

    public bool Equals(FilterAltitude other) => CompareTo(other) == 0;
    public override bool Equals(object? obj) => obj is FilterAltitude a && Equals(a);
    public override int GetHashCode() => HashCode.Combine(integerDigits ?? "", fractionDigits ?? "");
    public override string ToString() => Text;

    public static bool operator ==(FilterAltitude a, FilterAltitude b) => a.Equals(b);
    public static bool operator !=(FilterAltitude a, FilterAltitude b) => !a.Equals(b);
    public static bool operator <(FilterAltitude a, FilterAltitude b) => a.CompareTo(b) < 0;
    public static bool operator >(FilterAltitude a, FilterAltitude b) => a.CompareTo(b) > 0;
    public static bool operator <=(FilterAltitude a, FilterAltitude b) => a.CompareTo(b) <= 0;
    public static bool operator >=(FilterAltitude a, FilterAltitude b) => a.CompareTo(b) >= 0;
}
