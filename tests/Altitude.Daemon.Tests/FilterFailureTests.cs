// Filters that fail cost only themselves: a broken assembly, a DriverEntry that throws and a port-name collision are each
// logged naming the filter and the reason, and the daemon serves its mount with the other filters.
namespace Altitude.Daemon.Tests;

public class FilterFailureTests
{
    [MountFact]
    public void BrokenAssemblyThrowingDriverEntryAndPortCollisionAreLoggedByNameWhileTheMountServes()
    {
        using var d = new DaemonProcess();
        d.WriteMainVolume();
        string broken = Path.Combine(d.Top, "Broken.dll");
        File.WriteAllText(broken, "this is no assembly\n");
        d.WriteFilterManifest("1-broken", "Broken", broken, "Broken.Filter", "380100");
        d.WriteFilterManifest("2-throwing", "Throwing", Filters.FuseTestFilter, Filters.Throwing, "380200");
        d.WriteFilterManifest("3-first-port", "FirstPort", Filters.DaemonTestFilters, Filters.Port, "380300", parameters: """{ "PortName": "\\SharedPort" }""");
        d.WriteFilterManifest("4-second-port", "SecondPort", Filters.DaemonTestFilters, Filters.Port, "380400", parameters: """{ "PortName": "\\SharedPort" }""");
        d.WriteFilterManifest("5-refusing", "Refusing", Filters.FuseTestFilter, Filters.Refusing, "385000");
        File.WriteAllText(d.B("f"), "served\n");
        d.StartServing();

        // Standard error is read apart from standard output: wait for each line rather than take a snapshot at "serving".
        d.WaitForError(l => l.StartsWith($"fltmgrd: filter Broken not loaded: {broken}: BadImageFormatException", StringComparison.Ordinal), "Broken's error");
        d.WaitForError(l => l == $"fltmgrd: filter Throwing not loaded: DriverEntry threw InvalidOperationException: {Filters.ThrowingMessage}", "Throwing's error");
        d.WaitForError(l => l == "fltmgrd: filter SecondPort not loaded: DriverEntry returned 0xC0000035 (ObjectNameCollision)", "SecondPort's error");
        var output = d.Output;
        Assert.Contains(output, l => l.StartsWith("filter FirstPort loaded", StringComparison.Ordinal));
        Assert.Contains(output, l => l.StartsWith("filter Refusing loaded", StringComparison.Ordinal));
        // The port the first one created is there; the mount serves, with the filter that loaded after the failures.
        Assert.True(File.Exists(Path.Combine(d.Top, "run", "ports", "sharedport")), d.Transcript);
        Assert.Equal("served\n", File.ReadAllText(d.M("f")));
        File.WriteAllText(d.B(Filters.RefusedName), "x");
        Assert.Throws<UnauthorizedAccessException>(() => File.ReadAllText(d.M(Filters.RefusedName)));
        // The failed ones left nothing registered: the mount has exactly the two loaded filters' instances.
        Assert.Contains(output, l => l.StartsWith($"mounted {d.Backing} at {d.MountPoint} ", StringComparison.Ordinal) && l.Contains(": 2 instance(s)", StringComparison.Ordinal));
        Assert.Equal(0, d.Stop());
        Assert.False(DaemonProcess.IsMounted(d.MountPoint));
    }
}
