// Bad configuration: each problem names the file, the key and what is wrong; an invalid volume or manifest is left out
// and the daemon serves the rest; invalid settings (fltmgrd.json) refuse the start with EX_CONFIG (78).
namespace Altitude.Daemon.Tests;

public class ConfigurationTests
{
    [Fact]
    public void InvalidSettingsRefuseTheStartWithExConfigNamingFileKeyAndProblem()
    {
        using var d = new DaemonProcess();
        d.WriteSettings("""{ "StopTimeoutSeconds": "soon", "Fuse": { "MaxReaders": 0, "ReadAheadKb": 100000 }, "LogLevl": "Debug" }""");
        d.WriteMainVolume();
        d.Start();
        Assert.Equal(78, d.WaitForExit());
        var errors = d.Errors;
        Assert.Contains($"fltmgrd: {d.SettingsPath}: StopTimeoutSeconds: \"soon\" is not a number of seconds from 1 to 600", errors);
        Assert.Contains($"fltmgrd: {d.SettingsPath}: Fuse:MaxReaders: \"0\" is not a whole number of at least 1", errors);
        Assert.Contains($"fltmgrd: {d.SettingsPath}: Fuse:ReadAheadKb: \"100000\" is not a whole number from 0 to 65536", errors);
        Assert.Contains($"fltmgrd: {d.SettingsPath}: LogLevl: is not a known setting", errors);
        Assert.False(DaemonProcess.IsMounted(d.MountPoint), "nothing was mounted");
    }

    [Fact]
    public void SettingsThatAreNotJsonRefuseTheStartNamingTheFile()
    {
        using var d = new DaemonProcess();
        d.WriteSettings("{ \"StopTimeoutSeconds\": 30,");
        d.Start();
        Assert.Equal(78, d.WaitForExit());
        Assert.Contains(d.Errors, l => l.StartsWith($"fltmgrd: {d.SettingsPath}: ", StringComparison.Ordinal));
    }

    [MountFact]
    public void InvalidVolumesAndManifestsAreLeftOutByNameAndTheRestServes()
    {
        using var d = new DaemonProcess();
        d.WriteMainVolume();
        string noBacking = d.WriteVolume("no-backing", $$"""{ "MountPoint": "{{d.Top}}/other" }""");
        string badOption = d.WriteVolume("bad-option", $$"""{ "Backing": "{{d.Backing}}", "MountPoint": "{{d.Top}}/third", "Options": { "Cache": "sometimes" } }""");
        string badAltitude = d.WriteManifest("scanner", $$"""
            { "Name": "Scanner", "Assembly": "{{Filters.NullFilter}}", "StartType": "Auto",
              "Instances": [ { "Name": "Scanner Instance", "Altitude": "26x5000" } ] }
            """);
        string badStart = d.WriteManifest("later", $$"""
            { "Name": "Later", "Assembly": "{{Filters.NullFilter}}", "StartType": "Whenever",
              "Instances": [ { "Name": "Later Instance", "Altitude": "100" } ], "Parameters": { "Nested": { "A": 1 } } }
            """);
        d.WriteFilterManifest("refusing", "Refusing", Filters.FuseTestFilter, Filters.Refusing, "385000");
        File.WriteAllText(d.B("f"), "served\n");
        File.WriteAllText(d.B(Filters.RefusedName), "below\n");
        d.StartServing();

        // Standard error is read apart from standard output: wait for each line rather than take a snapshot at "serving".
        foreach (string line in new[]
        {
            $"fltmgrd: {noBacking}: Backing: is required (left out)",
            $"fltmgrd: {badOption}: Options:Cache: \"sometimes\" is not true or false (left out)",
            $"fltmgrd: {badAltitude}: Instances:0:Altitude: \"26x5000\" is not an altitude (left out)",
            $"fltmgrd: {badStart}: StartType: \"Whenever\" is not one of Auto, Demand, Disabled (Boot and System mean Auto) (left out)",
            $"fltmgrd: {badStart}: Parameters:Nested: must be a string, a number or a list of them (not a section) (left out)",
        })
            d.WaitForError(l => l == line, line);
        // The valid volume serves, with the valid filter on it; the left-out ones are not mounted.
        Assert.Equal("served\n", File.ReadAllText(d.M("f")));
        var refused = Assert.Throws<UnauthorizedAccessException>(() => File.ReadAllText(d.M(Filters.RefusedName)));
        Assert.Contains(Filters.RefusedName, refused.Message);
        Assert.False(DaemonProcess.IsMounted(d.Top + "/other"));
        Assert.False(DaemonProcess.IsMounted(d.Top + "/third"));
        Assert.DoesNotContain(d.Output, l => l.StartsWith("filter Scanner loaded", StringComparison.Ordinal));
        Assert.Equal(0, d.Stop());
        Assert.False(DaemonProcess.IsMounted(d.MountPoint));
    }
}
