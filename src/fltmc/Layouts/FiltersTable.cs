// `fltmc filters`, in Windows fltmc's layout (spec section 6 [obs]; header and rule from ReactOS
// base/applications/fltmc/lang/en-US.rc IDS_DISPLAY_FILTERS1 and fltmc.cpp ListFilters). Columns (0-based):
// name padded to 32, count right-aligned ending at column 40, altitude integer part ending at 53 with any
// fraction overhanging, frame right-aligned ending at 63. Legacy rows: no count, frame "<Legacy>".
using System.Globalization;
using System.Text;
using Altitude.FilterLib;

namespace Altitude.Fltmc.Layouts;

internal static class FiltersTable
{
    public const string Header = "Filter Name                     Num Instances    Altitude    Frame";
    public const string Rule = "------------------------------  -------------  ------------  -----";

    private const int NameWidth = 32;
    private const int CountWidth = 9;       // 32 + 9: the count's last digit at column 40
    private const int AltitudeWidth = 13;   // 41 + 13: the integer part's last digit at column 53
    private const int FrameWidth = 10;      // 54 + 10: the frame's last character at column 63
    // The observed legacy row keeps three spaces between an overhanging altitude and "<Legacy>" [obs]; the same
    // minimum applies to any frame an overhang would otherwise touch [inf].
    private const int MinimumFrameGap = 3;

    /// <summary>Header, rule and one row per filter, in the order given (FilterFindFirst/Next's: farthest from the
    /// file system first). No filters: no lines, as ReactOS prints no header when FilterFindFirst finds nothing.</summary>
    public static IReadOnlyList<string> Lines(IReadOnlyList<FilterInfo> filters)
    {
        if (filters.Count == 0) return [];
        var lines = new List<string>(filters.Count + 2) { Header, Rule };
        foreach (var f in filters) lines.Add(Row(f));
        return lines;
    }

    public static string Row(FilterInfo filter)
    {
        var (integer, fraction) = AltitudeText.Split(filter.Altitude);
        string count = filter.IsLegacy ? "" : filter.NumberOfInstances.ToString(CultureInfo.InvariantCulture);
        string frame = filter.IsLegacy ? "<Legacy>" : filter.FrameId.ToString(CultureInfo.InvariantCulture);
        var row = new StringBuilder(80);
        row.Append(filter.Name.PadRight(NameWidth));
        row.Append(count.PadLeft(CountWidth));
        row.Append(integer.PadLeft(AltitudeWidth)).Append(fraction);
        row.Append(' ', Math.Max(MinimumFrameGap, FrameWidth - fraction.Length - frame.Length)).Append(frame);
        return row.ToString().TrimEnd();
    }
}
