// The command line in process: parse errors exit 2 with a clear message and send nothing; a failed call prints the
// Windows error lines after the leading blank line and exits 1. The control socket is a path where nothing
// listens, so every call fails with 0x80070002 without a daemon.
using Altitude.Fltmc.CommandLine;

namespace Altitude.Fltmc.Tests;

public sealed class CommandLineTests
{
    private static (int Exit, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = FltmcCommandLine.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private static string NoDaemon() => Path.Combine(Path.GetTempPath(), $"fltmc-test-{Guid.NewGuid():N}", "control");

    [Fact]
    public void Unknown_verb_is_a_usage_error_naming_it()
    {
        var (exit, output, error) = Run("bogus");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("'bogus'", error);
        Assert.Contains("fltmc --help", error);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("'name'", "load")]
    [InlineData("'name'", "unload")]
    [InlineData("'filter'", "attach")]
    [InlineData("'volume'", "attach", "PassThrough")]
    [InlineData("'volume'", "detach", "PassThrough")]
    [InlineData("'MOUNTPOINT'", "volume", "unmount")]
    [InlineData("MOUNTPOINT is required", "volume", "mount", "/srv/data")]
    [InlineData("--in-place mounts over BACKING", "volume", "mount", "/srv/data", "/mnt/other", "--in-place")]
    [InlineData("'extra'", "filters", "extra")]
    [InlineData("'-i'", "attach", "PassThrough", "/mnt/demo", "-i")]
    public void Missing_or_wrong_arguments_are_usage_errors_that_say_what_is_wrong(string expected, params string[] args)
    {
        var (exit, output, error) = Run(["--control", NoDaemon(), .. args]);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains(expected, error);
        Assert.Equal("", output);   // nothing was sent, so no Windows error lines either
    }

    [Theory]
    [InlineData("Filter listing")]
    [InlineData("Filter listing", "filters")]
    [InlineData("Filter listing", "--json")]
    [InlineData("Instance listing", "instances", "-f", "PassThrough")]
    [InlineData("Instance listing", "instances", "-v", "/mnt/demo", "--json")]
    [InlineData("Volume listing", "volumes")]
    [InlineData("Load", "load", "PassThrough")]
    [InlineData("Unload", "unload", "PassThrough")]
    [InlineData("Attach", "attach", "PassThrough", "/mnt/demo", "-i", "PassThrough Instance", "-a", "370000.5")]
    [InlineData("Detach", "detach", "PassThrough", "/mnt/demo", "-i", "PassThrough Instance")]
    [InlineData("Mount", "volume", "mount", "/srv/data", "--in-place")]
    [InlineData("Unmount", "volume", "unmount", "/mnt/demo")]
    [InlineData("Statistics listing", "stats")]
    public void A_failed_call_prints_a_blank_line_and_the_two_Windows_lines_and_exits_1(string operation, params string[] args)
    {
        var (exit, output, error) = Run([.. args, "--control", NoDaemon()]);
        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Equal($"\n{operation} failed with error: 0x80070002\nThe system cannot find the file specified.\n", output);
        Assert.Equal("", error);
    }

    [Fact]
    public void Help_names_the_verbs_their_Windows_routines_and_the_privileges()
    {
        var (exit, output, _) = Run("--help");
        Assert.Equal(ExitCodes.Success, exit);
        foreach (var word in new[] { "filters", "instances", "volumes", "load", "unload", "attach", "detach", "volume", "stats",
                     "--control", "--json", "root", "admin group", "SeLoadDriverPrivilege", "FilterFindFirst", "FilterAttach" })
            Assert.Contains(word, output);
        var (attachExit, attach, _) = Run("attach", "--help");
        Assert.Equal(ExitCodes.Success, attachExit);
        Assert.Contains("FilterAttachAtAltitude", attach);
        Assert.Contains("-i, --instance", attach);
        Assert.Contains("-a, --altitude", attach);
    }
}
