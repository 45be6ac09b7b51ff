// `fltmc volumes`: FilterVolumeFindFirst/Next with FilterVolumeStandardInformation, and FilterGetDosName.
using System.CommandLine;
using Altitude.Fltmc.CommandLine;
using Altitude.Fltmc.Layouts;
using Altitude.Fltmc.Output;

namespace Altitude.Fltmc.Commands;

internal static class VolumesCommand
{
    private const string Description = "Lists the volumes: DOS name (the mount point), volume name, file system (of the backing directory), status. Needs root or the admin group.";

    public static Command Create()
    {
        var json = CommonOptions.Json();
        var command = new Command("volumes", Description) { json };
        command.SetAction(r => Run(r.InvocationConfiguration.Output, r.GetValue(CommonOptions.Control), r.GetValue(json)));
        return command;
    }

    public static int Run(TextWriter output, string? control, bool json) =>
        ManagementCall.List(output, control, ErrorReport.VolumeListing, json, m => m.GetVolumes(), VolumesTable.Lines,
            FltmcJsonContext.Default.IReadOnlyListVolumeInfo);
}
