// `fltmc instances [-f filter] [-v volume]`: FilterInstanceFindFirst/Next (-f), FilterVolumeInstanceFindFirst/Next (-v).
using System.CommandLine;
using Altitude.Fltmc.CommandLine;
using Altitude.Fltmc.Layouts;
using Altitude.Fltmc.Output;

namespace Altitude.Fltmc.Commands;

internal static class InstancesCommand
{
    private const string Description = "Lists filter instances, sorted by filter name: volume, altitude, instance name, frame, supported features. Needs root or the admin group.";

    public static Command Create()
    {
        var filter = new Option<string?>("-f", "--filter") { Description = "Only the instances of this filter.", HelpName = "filter" };
        var volume = new Option<string?>("-v", "--volume") { Description = "Only the instances on this volume (a mount point or a volume name such as /dev/altitude/volume1).", HelpName = "volume" };
        var json = CommonOptions.Json();
        var command = new Command("instances", Description) { filter, volume, json };
        command.SetAction(r => Run(r.InvocationConfiguration.Output, r.GetValue(CommonOptions.Control), r.GetValue(filter), r.GetValue(volume), r.GetValue(json)));
        return command;
    }

    public static int Run(TextWriter output, string? control, string? filter, string? volume, bool json) =>
        ManagementCall.List(output, control, ErrorReport.InstanceListing, json, m => m.GetInstances(filter, volume), InstancesTable.Lines,
            FltmcJsonContext.Default.IReadOnlyListInstanceInfo);
}
