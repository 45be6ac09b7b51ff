// `fltmc detach <filter> <volume> [-i inst]`: FilterDetach. Silent on success, as on Windows.
using System.CommandLine;
using Altitude.Fltmc.CommandLine;
using Altitude.Fltmc.Output;

namespace Altitude.Fltmc.Commands;

internal static class DetachCommand
{
    private const string Description = "Removes an instance of a filter from a volume; the filter's InstanceQueryTeardown may refuse (FilterDetach). Needs root.";

    public static Command Create()
    {
        var filter = new Argument<string>("filter") { Description = "The filter's name." };
        var volume = new Argument<string>("volume") { Description = "A mount point or a volume name such as /dev/altitude/volume1." };
        var instance = new Option<string?>("-i", "--instance") { Description = "The instance to remove. Default: the filter's highest instance on that volume.", HelpName = "inst" };
        var command = new Command("detach", Description) { filter, volume, instance };
        command.SetAction(r => Run(r.InvocationConfiguration.Output, r.GetValue(CommonOptions.Control), r.GetValue(filter)!, r.GetValue(volume)!, r.GetValue(instance)));
        return command;
    }

    public static int Run(TextWriter output, string? control, string filter, string volume, string? instance) =>
        ManagementCall.Run(output, control, ErrorReport.Detach, m => { m.Detach(filter, volume, instance); return 0; }, _ => []);
}
