// Options shared by the verbs: the control socket (global) and --json (each listing has its own instance).
using System.CommandLine;

namespace Altitude.Fltmc.CommandLine;

internal static class CommonOptions
{
    /// <summary>--control PATH, on every verb. Null: FilterLib's default ($ALTITUDE_CONTROL_SOCKET, else /run/altitude/control).</summary>
    public static readonly Option<string?> Control = new("--control")
    {
        Description = "fltmgrd's control socket. Default: $ALTITUDE_CONTROL_SOCKET, else /run/altitude/control.",
        HelpName = "PATH",
        Recursive = true,
    };

    public static Option<bool> Json() => new("--json")
    {
        Description = "Print the records as JSON (camelCase property names) instead of the Windows table.",
    };
}
