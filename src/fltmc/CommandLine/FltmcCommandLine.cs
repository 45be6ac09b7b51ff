// The root command: the Windows verbs, the Linux volume and stats verbs, and `fltmc` alone = `fltmc filters`.
// Parsing errors are reported here, before anything is sent to fltmgrd.
using System.CommandLine;
using System.CommandLine.Invocation;
using Altitude.Fltmc.Commands;

namespace Altitude.Fltmc.CommandLine;

internal static class FltmcCommandLine
{
    private const string Description = """
        Filter Manager control program for Altitude: the Windows fltmc.exe verbs, run against fltmgrd over its
        control socket. Without a verb it lists the filters, as `fltmc` does on Windows.

        Privileges: listing (filters, instances, volumes, stats) needs root or membership of fltmgrd's admin group
        ("altitude" by default); load, unload, attach, detach and volume mount/unmount need root, the role of
        SeLoadDriverPrivilege. Otherwise a call fails with 0x80070005 (Access is denied.).

        Errors print as Windows fltmc prints them, `<Verb> failed with error: 0x<hresult>` and the Windows message
        text, and exit with 1; a command line error exits with 2.
        """;

    public static RootCommand Create()
    {
        var root = new RootCommand(Description) { CommonOptions.Control };
        FiltersCommand.AddTo(root);
        root.Subcommands.Add(FiltersCommand.Create());
        root.Subcommands.Add(InstancesCommand.Create());
        root.Subcommands.Add(VolumesCommand.Create());
        root.Subcommands.Add(LoadCommand.Create());
        root.Subcommands.Add(UnloadCommand.Create());
        root.Subcommands.Add(AttachCommand.Create());
        root.Subcommands.Add(DetachCommand.Create());
        root.Subcommands.Add(VolumeCommand.Create());
        root.Subcommands.Add(StatsCommand.Create());
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code (<see cref="ExitCodes"/>).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var result = Create().Parse(args);
        if (result.Action is ParseErrorAction)
        {
            foreach (var e in result.Errors) error.WriteLine($"fltmc: {e.Message}");
            error.WriteLine("Run 'fltmc --help', or 'fltmc <verb> --help', for usage.");
            return ExitCodes.Usage;
        }
        return result.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }
}
