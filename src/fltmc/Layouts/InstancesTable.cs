// `fltmc instances`, in Windows fltmc's layout (spec section 6 [obs]). Columns (0-based): filter 0-19, volume
// from 22 (the DOS name, else the volume name), altitude integer part ending at 69 with the fraction overhanging,
// instance name from 75, frame ending at 101, SupportedFeatures as %08x from 107, VlStatus from 117.
// Rows are sorted by filter name.
using System.Globalization;
using System.Text;
using Altitude.FilterLib;

namespace Altitude.Fltmc.Layouts;

internal static class InstancesTable
{
    public const string Header = "Filter                Volume Name                              Altitude        Instance Name       Frame   SprtFtrs  VlStatus";
    public const string Rule = "--------------------  -------------------------------------  ------------  ----------------------  -----   --------  --------";

    private const int FilterWidth = 20;
    private const int VolumeWidth = 37;
    private const int AltitudeWidth = 9;      // 61 + 9: the integer part's last digit at column 69
    private const int AltitudeToInstance = 5; // the instance name at column 75 unless a fraction pushes it
    private const int InstanceWidth = 22;
    private const int FrameWidth = 3;         // 99 + 3: the frame's last digit at column 101
    /// <summary>VlStatus of a detached instance [inf: the spec shows only attached ones, with VlStatus blank].</summary>
    public const string DetachedStatus = "Detached";

    /// <summary>Header, rule and one row per instance, sorted by filter name (stable within a filter).</summary>
    public static IReadOnlyList<string> Lines(IReadOnlyList<InstanceInfo> instances)
    {
        if (instances.Count == 0) return [];
        var lines = new List<string>(instances.Count + 2) { Header, Rule };
        foreach (var i in instances.OrderBy(i => i.FilterName, StringComparer.OrdinalIgnoreCase)) lines.Add(Row(i));
        return lines;
    }

    public static string Row(InstanceInfo instance)
    {
        var (integer, fraction) = AltitudeText.Split(instance.Altitude);
        string volume = string.IsNullOrEmpty(instance.DosName) ? instance.VolumeName : instance.DosName;
        var row = new StringBuilder(128);
        row.Append(instance.FilterName.PadRight(FilterWidth)).Append("  ");
        row.Append(volume.PadRight(VolumeWidth)).Append("  ");
        row.Append(integer.PadLeft(AltitudeWidth)).Append(fraction);
        row.Append(' ', Math.Max(1, AltitudeToInstance - fraction.Length));
        row.Append(instance.InstanceName.PadRight(InstanceWidth)).Append("  ");
        row.Append(instance.FrameId.ToString(CultureInfo.InvariantCulture).PadLeft(FrameWidth)).Append("     ");
        row.Append(instance.SupportedFeatures.ToString("x8", CultureInfo.InvariantCulture)).Append("  ");
        if (instance.Detached) row.Append(DetachedStatus);
        return row.ToString().TrimEnd();
    }
}
