// The observed Windows fltmc output of spec section 6 (shared/spec/fltmgr-behaviour.md), copied character for
// character, and the records that hold the same values.
using Altitude.FilterLib;

namespace Altitude.Fltmc.Tests;

internal static class SpecExamples
{
    public static readonly string[] Filters =
    [
        "Filter Name                     Num Instances    Altitude    Frame",
        "------------------------------  -------------  ------------  -----",
        "AVLegacy                                        389998.99   <Legacy>",
        "bindflt                                 1       409800         0",
        "UCPD                                    4       385250.5       0",
        "minispy                                 1       385100         0",
        "scanner                                 2       265000         0",
        "FileInfo                                4        40500         0",
    ];

    public static readonly FilterInfo[] FilterRecords =
    [
        new("AVLegacy", "389998.99", 0, 0, IsLegacy: true),
        new("bindflt", "409800", 1, 0, false),
        new("UCPD", "385250.5", 4, 0, false),
        new("minispy", "385100", 1, 0, false),
        new("scanner", "265000", 2, 0, false),
        new("FileInfo", "40500", 4, 0, false),
    ];

    public static readonly string[] Instances =
    [
        "Filter                Volume Name                              Altitude        Instance Name       Frame   SprtFtrs  VlStatus",
        "--------------------  -------------------------------------  ------------  ----------------------  -----   --------  --------",
        "minispy               C:                                        385100     Minispy - Top Instance    0     0000000f",
        "scanner               C:                                        265000     Scanner Instance          0     0000000f",
        @"scanner               \Device\HarddiskVolumeShadowCopy3         265000     Scanner Instance          0     0000000f",
    ];

    public static readonly InstanceInfo[] InstanceRecords =
    [
        new("minispy", "Minispy - Top Instance", "385100", @"\Device\HarddiskVolume3", "C:", 0, FltFilesystemType.Ntfs, 0xf, false),
        new("scanner", "Scanner Instance", "265000", @"\Device\HarddiskVolume3", "C:", 0, FltFilesystemType.Ntfs, 0xf, false),
        new("scanner", "Scanner Instance", "265000", @"\Device\HarddiskVolumeShadowCopy3", null, 0, FltFilesystemType.Ntfs, 0xf, false),
    ];

    public static readonly string[] Volumes =
    [
        "Dos Name                        Volume Name                              FileSystem   Status",
        "------------------------------  ---------------------------------------  ----------  --------",
        @"C:                              \Device\HarddiskVolume3                  NTFS",
        @"                                \Device\NamedPipe                        NamedPipe",
        @"\Device\Mup                     \Device\Mup                              Remote",
    ];

    public static readonly VolumeInfo[] VolumeRecords =
    [
        new(@"\Device\HarddiskVolume3", "C:", FltFilesystemType.Ntfs, "", 0, false),
        new(@"\Device\NamedPipe", null, FltFilesystemType.Npfs, "", 0, false),
        new(@"\Device\Mup", @"\Device\Mup", FltFilesystemType.Mup, "", 0, false),
    ];
}
