// `fltmc filters` (also `fltmc` alone): FilterFindFirst/FilterFindNext with FilterAggregateStandardInformation.
using System.CommandLine;
using Altitude.Fltmc.CommandLine;
using Altitude.Fltmc.Layouts;
using Altitude.Fltmc.Output;

namespace Altitude.Fltmc.Commands;

internal static class FiltersCommand
{
    private const string Description = "Lists the registered filters: name, instances, altitude, frame (FilterFindFirst/FilterFindNext). Needs root or the admin group.";

    public static Command Create()
    {
        var json = CommonOptions.Json();
        var command = new Command("filters", Description) { json };
        command.SetAction(r => Run(r.InvocationConfiguration.Output, r.GetValue(CommonOptions.Control), r.GetValue(json)));
        return command;
    }

    /// <summary>Makes `fltmc [--json]` with no verb list the filters, as Windows fltmc does.</summary>
    public static void AddTo(RootCommand root)
    {
        var json = CommonOptions.Json();
        root.Options.Add(json);
        root.SetAction(r => Run(r.InvocationConfiguration.Output, r.GetValue(CommonOptions.Control), r.GetValue(json)));
    }

    public static int Run(TextWriter output, string? control, bool json) =>
        ManagementCall.List(output, control, ErrorReport.FilterListing, json, m => m.GetFilters(), FiltersTable.Lines,
            FltmcJsonContext.Default.IReadOnlyListFilterInfo);
}
