// `fltmc stats [--json]` (Altitude addition): the engine's counters, the ones dotnet-counters reads from the
// "Altitude.FilterManager" meter, taken as one snapshot over the control endpoint.
using System.CommandLine;
using Altitude.Fltmc.CommandLine;
using Altitude.Fltmc.Layouts;
using Altitude.Fltmc.Output;

namespace Altitude.Fltmc.Commands;

internal static class StatsCommand
{
    private const string Description = "Shows the Filter Manager's counters: operations by major per volume; callbacks, pended, timed out, faults and callback-time percentiles per instance; connections, messages and timeouts per port (Altitude addition; the same counters dotnet-counters shows for the Altitude.FilterManager meter). Needs root or the admin group.";

    public static Command Create()
    {
        var json = CommonOptions.Json();
        var command = new Command("stats", Description) { json };
        command.SetAction(r => Run(r.InvocationConfiguration.Output, r.GetValue(CommonOptions.Control), r.GetValue(json)));
        return command;
    }

    public static int Run(TextWriter output, string? control, bool json) =>
        ManagementCall.List(output, control, ErrorReport.StatisticsListing, json, m => m.GetStatistics(), StatisticsTable.Lines,
            FltmcJsonContext.Default.FilterStatistics);
}
