// `fltmc load <name>`: FilterLoad. Silent on success, as Windows fltmc is (ReactOS fltmc.cpp LoadFilter prints only errors).
using System.CommandLine;
using Altitude.Fltmc.CommandLine;
using Altitude.Fltmc.Output;

namespace Altitude.Fltmc.Commands;

internal static class LoadCommand
{
    private const string Description = "Loads a filter by its manifest name and registers it; its instances attach as their flags say (FilterLoad, `fltmc load`). Needs root.";

    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "The filter's name in fltmgrd's configuration (the service name on Windows)." };
        var command = new Command("load", Description) { name };
        command.SetAction(r => Run(r.InvocationConfiguration.Output, r.GetValue(CommonOptions.Control), r.GetValue(name)!));
        return command;
    }

    public static int Run(TextWriter output, string? control, string name) =>
        ManagementCall.Run(output, control, ErrorReport.Load, m => { m.Load(name); return 0; }, _ => []);
}
