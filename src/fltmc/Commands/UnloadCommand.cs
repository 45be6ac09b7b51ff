// `fltmc unload <name>`: FilterUnload, a non-mandatory unload the filter may veto. Silent on success, as on Windows.
using System.CommandLine;
using Altitude.Fltmc.CommandLine;
using Altitude.Fltmc.Output;

namespace Altitude.Fltmc.Commands;

internal static class UnloadCommand
{
    private const string Description = "Unloads a filter: detaches its instances, then calls its FilterUnload, which may refuse (FilterUnload, `fltmc unload`). Needs root.";

    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "The filter's name." };
        var command = new Command("unload", Description) { name };
        command.SetAction(r => Run(r.InvocationConfiguration.Output, r.GetValue(CommonOptions.Control), r.GetValue(name)!));
        return command;
    }

    public static int Run(TextWriter output, string? control, string name) =>
        ManagementCall.Run(output, control, ErrorReport.Unload, m => { m.Unload(name); return 0; }, _ => []);
}
