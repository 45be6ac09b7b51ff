// `fltmc attach <filter> <volume> [-i inst] [-a altitude]`: FilterAttach, or FilterAttachAtAltitude with -a.
using System.CommandLine;
using Altitude.Fltmc.CommandLine;
using Altitude.Fltmc.Output;

namespace Altitude.Fltmc.Commands;

internal static class AttachCommand
{
    private const string Description = "Creates an instance of a filter on a volume (FilterAttach; with -a, FilterAttachAtAltitude, a debugging aid that overrides the manifest's altitude). Needs root.";

    /// <summary>
    /// The success line, with the instance name FilterAttach returned. [inf] Windows fltmc confirms an attach with
    /// the created instance's name; no source we could read (ReactOS's clone has no attach verb) gives its exact
    /// wording, so this text is Altitude's (docs/deviations.md).
    /// </summary>
    public static string Success(string instance) => $"Attach successful.  Instance name: {instance}";

    public static Command Create()
    {
        var filter = new Argument<string>("filter") { Description = "The filter's name." };
        var volume = new Argument<string>("volume") { Description = "A mount point or a volume name such as /dev/altitude/volume1." };
        var instance = new Option<string?>("-i", "--instance") { Description = "The instance to create, from the filter's manifest. Default: its default instance.", HelpName = "inst" };
        var altitude = new Option<string?>("-a", "--altitude") { Description = "Attach at this altitude (digits with at most one '.'), overriding the manifest.", HelpName = "altitude" };
        var command = new Command("attach", Description) { filter, volume, instance, altitude };
        command.SetAction(r => Run(r.InvocationConfiguration.Output, r.GetValue(CommonOptions.Control), r.GetValue(filter)!, r.GetValue(volume)!,
            r.GetValue(instance), r.GetValue(altitude)));
        return command;
    }

    public static int Run(TextWriter output, string? control, string filter, string volume, string? instance, string? altitude) =>
        ManagementCall.Run(output, control, ErrorReport.Attach, m => m.Attach(filter, volume, instance, altitude), name => [Success(name)]);
}
