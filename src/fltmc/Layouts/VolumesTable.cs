// `fltmc volumes`, in Windows fltmc's layout (spec section 6; header, rule and the row format "%-31s %-40s %-10s"
// from ReactOS base/applications/fltmc/fltmc.cpp PrintVolumeInfo and lang/en-US.rc IDS_DISPLAY_VOLUMES):
// DOS name from column 0, volume name from 32, file system from 73, status from 85.
using System.Text;
using Altitude.FilterLib;

namespace Altitude.Fltmc.Layouts;

internal static class VolumesTable
{
    public const string Header = "Dos Name                        Volume Name                              FileSystem   Status";
    public const string Rule = "------------------------------  ---------------------------------------  ----------  --------";
    /// <summary>Status of a detached volume [inf, spec section 6].</summary>
    public const string DetachedStatus = "Detached";

    public static IReadOnlyList<string> Lines(IReadOnlyList<VolumeInfo> volumes)
    {
        if (volumes.Count == 0) return [];
        var lines = new List<string>(volumes.Count + 2) { Header, Rule };
        foreach (var v in volumes) lines.Add(Row(v));
        return lines;
    }

    public static string Row(VolumeInfo volume)
    {
        var row = new StringBuilder(100);
        row.Append((volume.DosName ?? "").PadRight(31)).Append(' ');
        row.Append(volume.Name.PadRight(40)).Append(' ');
        row.Append(FileSystem(volume).PadRight(10)).Append("  ");
        if (volume.Detached) row.Append(DetachedStatus);
        return row.ToString().TrimEnd();
    }

    /// <summary>
    /// The spec's names for the FLT_FILESYSTEM_TYPE values (ReactOS PrintVolumeInfo's, plus ReFS), else "&lt;Unknown&gt;". Altitude's volumes
    /// are Unknown to FLT_FILESYSTEM_TYPE, which has no Linux values: they show the backing file system ("ext4").
    /// </summary>
    public static string FileSystem(VolumeInfo volume) => volume.FileSystemType switch
    {
        FltFilesystemType.Mup => "Remote",
        FltFilesystemType.Ntfs => "NTFS",
        FltFilesystemType.Fat => "FAT",
        FltFilesystemType.Exfat => "exFAT",
        FltFilesystemType.Refs => "ReFS",
        FltFilesystemType.Npfs => "NamedPipe",
        FltFilesystemType.Msfs => "Mailslot",
        FltFilesystemType.Unknown when !string.IsNullOrEmpty(volume.FileSystemName) => volume.FileSystemName,
        _ => "<Unknown>",
    };
}
