// fltmc against a real fltmgrd: both run as separate processes, fltmc with --control on the daemon's socket, the daemon
// serving a real FUSE mount. The listings are compared line by line with the layouts of docs/fltmc.md (filters: name
// padded to 32, count ending at column 40, altitude at 53, frame at 63; instances: filter padded to 20, volume from
// column 22 padded to 37, altitude ending at 69, instance name from 75, frame ending at 101, SprtFtrs from 107;
// volumes: "%-31s %-40s %-10s"), and every failure with its Windows HRESULT and text.
using System.Text.Json;
using Altitude.FileSystem;

namespace Altitude.Daemon.Tests;

public class FltmcTests
{
    private const string FiltersHeader = "Filter Name                     Num Instances    Altitude    Frame";
    private const string FiltersRule = "------------------------------  -------------  ------------  -----";
    private const string InstancesHeader = "Filter                Volume Name                              Altitude        Instance Name       Frame   SprtFtrs  VlStatus";
    private const string InstancesRule = "--------------------  -------------------------------------  ------------  ----------------------  -----   --------  --------";
    private const string VolumesHeader = "Dos Name                        Volume Name                              FileSystem   Status";
    private const string VolumesRule = "------------------------------  ---------------------------------------  ----------  --------";

    /// <summary>PassThrough (Auto) and Detachable (Demand: a default instance and one flagged 0x1) on the main volume.</summary>
    private static void Configure(DaemonProcess d)
    {
        d.WriteMainVolume();
        d.WriteFilterManifest("passthrough", "PassThrough", Filters.PassThrough, Filters.PassThroughClass, "370030");
        d.WriteManifest("detachable", $$"""
            {
              "Name": "Detachable", "Assembly": "{{Filters.DaemonTestFilters}}", "Class": "{{Filters.Detachable}}", "StartType": "Demand",
              "DefaultInstance": "Detachable Instance",
              "Instances": [
                { "Name": "Detachable Instance", "Altitude": "385100", "Flags": 0 },
                { "Name": "Manual Instance", "Altitude": "385200", "Flags": "0x1" }
              ]
            }
            """);
    }

    [MountFact]
    public void LoadAttachAtAltitudesDetachAndUnloadShowInTheExactListings()
    {
        using var d = new DaemonProcess();
        Configure(d);
        d.StartServing();
        using var fltmc = new Fltmc(d.ControlSocket);
        string mnt = d.MountPoint.PadRight(37);

        // Only the Auto filter at start; `fltmc` alone is `fltmc filters`.
        string[] passThroughOnly = ["", FiltersHeader, FiltersRule, "PassThrough                             1       370030         0"];
        Assert.Equal(passThroughOnly, fltmc.Ok("filters"));
        Assert.Equal(passThroughOnly, fltmc.Ok());

        // Load: silent; the Demand filter registers and its default instance (not the 0x1 one) attaches to the mount.
        Assert.Equal([""], fltmc.Ok("load", "Detachable"));
        Assert.Equal(["", FiltersHeader, FiltersRule,
            "Detachable                              1       385100         0",
            "PassThrough                             1       370030         0"], fltmc.Ok("filters"));
        Assert.Equal(["", InstancesHeader, InstancesRule,
            $"Detachable            {mnt}     385100     Detachable Instance       0     00000000",
            $"PassThrough           {mnt}     370030     PassThrough Instance      0     00000000"], fltmc.Ok("instances"));
        string fs = FileSystemTypeName.FromMagic(Convert.ToInt64(Tool.Output("stat", "-f", "-c", "%t", d.Backing).Trim(), 16));
        Assert.Equal(["", VolumesHeader, VolumesRule, $"{d.MountPoint,-31} {"/dev/altitude/volume1",-40} {fs}"], fltmc.Ok("volumes"));

        // The instance flagged 0x1 attaches by hand, at its configured altitude: above the default one.
        Assert.Equal(["", "Attach successful.  Instance name: Manual Instance"], fltmc.Ok("attach", "Detachable", d.MountPoint, "-i", "Manual Instance"));
        // At an explicit altitude (FilterAttachAtAltitude), under a name of the caller's.
        Assert.Equal(["", "Attach successful.  Instance name: X"], fltmc.Ok("attach", "Detachable", d.MountPoint, "-a", "123456", "-i", "X"));
        // Sorted by filter name; one filter's instances from the top of the stack.
        Assert.Equal(["", InstancesHeader, InstancesRule,
            $"Detachable            {mnt}     385200     Manual Instance           0     00000000",
            $"Detachable            {mnt}     385100     Detachable Instance       0     00000000",
            $"Detachable            {mnt}     123456     X                         0     00000000",
            $"PassThrough           {mnt}     370030     PassThrough Instance      0     00000000"], fltmc.Ok("instances"));
        Assert.Equal(["", FiltersHeader, FiltersRule,
            "Detachable                              3       385100         0",
            "PassThrough                             1       370030         0"], fltmc.Ok("filters"));

        // A second instance at a taken altitude, and the same instance name again: refused, nothing attached.
        AssertFails(fltmc.Run("attach", "Detachable", d.MountPoint, "-a", "123456", "-i", "Y"),
            "Attach failed with error: 0x801f0011", "An instance already exists at this altitude on the volume specified.");
        AssertFails(fltmc.Run("attach", "Detachable", d.MountPoint, "-i", "Manual Instance"),
            "Attach failed with error: 0x801f0012", "An instance already exists with this name on the volume specified.");
        Assert.Equal(7, fltmc.Ok("instances").Length);   // blank, header, rule, the four instances

        // Detach by name; then that instance is not there to detach.
        Assert.Equal([""], fltmc.Ok("detach", "Detachable", d.MountPoint, "-i", "X"));
        AssertFails(fltmc.Run("detach", "Detachable", d.MountPoint, "-i", "X"),
            "Detach failed with error: 0x801f0015", "The system could not find the instance specified.");
        // -f: one filter's instances (FilterInstanceFindFirst/Next).
        Assert.Equal(["", InstancesHeader, InstancesRule,
            $"Detachable            {mnt}     385200     Manual Instance           0     00000000",
            $"Detachable            {mnt}     385100     Detachable Instance       0     00000000"], fltmc.Ok("instances", "-f", "Detachable"));
        // Without -i: the filter's highest instance on the volume.
        Assert.Equal([""], fltmc.Ok("detach", "Detachable", d.MountPoint));
        Assert.Equal(["", InstancesHeader, InstancesRule,
            $"Detachable            {mnt}     385100     Detachable Instance       0     00000000"], fltmc.Ok("instances", "-f", "Detachable"));

        // Unload: silent; the filter and its instance are gone, and its collectible load context is collected.
        Assert.Equal([""], fltmc.Ok("unload", "Detachable"));
        Assert.Equal(passThroughOnly, fltmc.Ok("filters"));
        Assert.Equal(["", InstancesHeader, InstancesRule,
            $"PassThrough           {mnt}     370030     PassThrough Instance      0     00000000"], fltmc.Ok("instances"));
        string verdict = d.WaitForOutput(l => l.StartsWith("filter Detachable: load context", StringComparison.Ordinal), "the load context verdict");
        Assert.Equal("filter Detachable: load context collected", verdict);
        AssertFails(fltmc.Run("unload", "Detachable"), "Unload failed with error: 0x801f0013", "The system could not find the filter specified.");

        Assert.Equal(0, d.Stop());
        Assert.False(DaemonProcess.IsMounted(d.MountPoint));
    }

    [MountFact]
    public void AFilterThatSawTrafficUnloadsAndItsLoadContextIsCollected()
    {
        using var d = new DaemonProcess();
        Configure(d);
        d.StartServing();
        using var fltmc = new Fltmc(d.ControlSocket);
        // Operations of every common kind through PassThrough's instance (its callbacks, the pooled callback data and
        // name caches they used must not keep the filter's code alive once it is gone), with a file held open.
        Tool.Output("sh", "-c", $"cd '{d.MountPoint}' && for i in 1 2 3; do echo data$i > f$i; cat f$i >/dev/null; mv f$i g$i; done; ls -l >/dev/null; rm g1");
        using (var held = File.OpenRead(d.M("g2")))
        {
            Assert.Equal([""], fltmc.Ok("unload", "PassThrough"));
            Assert.Equal((byte)'d', held.ReadByte());   // the open outlives the instance; it is served without the filter
        }
        Assert.Equal([""], fltmc.Ok("filters"));   // no filters: no table
        string verdict = d.WaitForOutput(l => l.StartsWith("filter PassThrough: load context", StringComparison.Ordinal), "the load context verdict");
        Assert.Equal("filter PassThrough: load context collected", verdict);
        // Loaded again from its manifest: a fresh context, attached again to the mount.
        Assert.Equal([""], fltmc.Ok("load", "PassThrough"));
        Assert.Equal(["", InstancesHeader, InstancesRule,
            $"PassThrough           {d.MountPoint,-37}     370030     PassThrough Instance      0     00000000"], fltmc.Ok("instances"));
        Assert.Equal("data3\n", Tool.Output("cat", d.M("g3")));
        Assert.Equal(0, d.Stop());
    }

    [MountFact]
    public void AVetoingFilterAndOneWithoutUnloadCallbackStayLoaded()
    {
        using var d = new DaemonProcess();
        d.WriteMainVolume();
        d.WriteFilterManifest("vetoing", "Vetoing", Filters.DaemonTestFilters, Filters.Vetoing, "386000");
        d.WriteFilterManifest("unloadless", "Unloadless", Filters.DaemonTestFilters, Filters.Unloadless, "387000");
        d.StartServing();
        using var fltmc = new Fltmc(d.ControlSocket);
        string mnt = d.MountPoint.PadRight(37);
        string[] both = ["", FiltersHeader, FiltersRule,
            "Unloadless                              1       387000         0",
            "Vetoing                                 1       386000         0"];
        Assert.Equal(both, fltmc.Ok("filters"));

        // FilterUnload returns STATUS_FLT_DO_NOT_DETACH: the non-mandatory unload fails with ERROR_FLT_DO_NOT_DETACH.
        AssertFails(fltmc.Run("unload", "Vetoing"), "Unload failed with error: 0x801f0010", "Do not detach the filter from the volume at this time.");
        // No FilterUnload at all: the filter can never be unloaded by request (the same HRESULT).
        AssertFails(fltmc.Run("unload", "Unloadless"), "Unload failed with error: 0x801f0010", "Do not detach the filter from the volume at this time.");
        // InstanceQueryTeardown returns STATUS_FLT_DO_NOT_DETACH: the detach is refused; so is one with no such callback.
        AssertFails(fltmc.Run("detach", "Vetoing", d.MountPoint), "Detach failed with error: 0x801f0010", "Do not detach the filter from the volume at this time.");
        AssertFails(fltmc.Run("detach", "Unloadless", d.MountPoint), "Detach failed with error: 0x801f0010", "Do not detach the filter from the volume at this time.");
        // Everything is where it was.
        Assert.Equal(both, fltmc.Ok("filters"));
        Assert.Equal(["", InstancesHeader, InstancesRule,
            $"Unloadless            {mnt}     387000     Unloadless Instance       0     00000000",
            $"Vetoing               {mnt}     386000     Vetoing Instance          0     00000000"], fltmc.Ok("instances"));

        // The stop: the vetoing filter goes with the mandatory unload; the one without FilterUnload stays registered
        // until the Filter Manager closes, which is no unfinished work: the stop completes.
        Assert.Equal(0, d.Stop());
        Assert.False(DaemonProcess.IsMounted(d.MountPoint));
        Assert.Contains("filter Vetoing unloaded", d.Output);
        Assert.Contains("fltmgrd: warning: filter Unloadless cannot be unloaded (no FilterUnload, or DO_NOT_SUPPORT_SERVICE_STOP): it stays registered until the Filter Manager closes", d.Errors);
        Assert.Contains("stopped", d.Output);
        Assert.DoesNotContain("stopped, leaving behind what did not finish in time", d.Output);
    }

    [MountFact]
    public void BadNamesGetTheirWindowsErrorsAndTheDaemonGoesOn()
    {
        using var d = new DaemonProcess();
        Configure(d);
        d.StartServing();
        using var fltmc = new Fltmc(d.ControlSocket);

        AssertFails(fltmc.Run("attach", "NoSuchFilter", d.MountPoint), "Attach failed with error: 0x801f0013", "The system could not find the filter specified.");
        AssertFails(fltmc.Run("attach", "PassThrough", Path.Combine(d.Top, "nowhere")), "Attach failed with error: 0x801f0014", "The system could not find the volume specified.");
        AssertFails(fltmc.Run("instances", "-v", Path.Combine(d.Top, "nowhere")), "Instance listing failed with error: 0x801f0014", "The system could not find the volume specified.");
        AssertFails(fltmc.Run("instances", "-f", "NoSuchFilter"), "Instance listing failed with error: 0x801f0013", "The system could not find the filter specified.");
        AssertFails(fltmc.Run("load", "NoSuchManifest"), "Load failed with error: 0x80070002", "The system cannot find the file specified.");
        AssertFails(fltmc.Run("load", "PassThrough"), "Load failed with error: 0x80070420", "An instance of the service is already running.");
        // An instance the manifest does not have, at its configured altitude: not in the "registry".
        AssertFails(fltmc.Run("attach", "PassThrough", d.MountPoint, "-i", "No Such Instance"), "Attach failed with error: 0x80070002", "The system cannot find the file specified.");
        AssertFails(fltmc.Run("volume", "unmount", Path.Combine(d.Top, "nowhere")), "Unmount failed with error: 0x801f0014", "The system could not find the volume specified.");

        // None of it changed anything, and the mount still serves.
        Assert.Equal(["", FiltersHeader, FiltersRule, "PassThrough                             1       370030         0"], fltmc.Ok("filters"));
        File.WriteAllText(d.B("f"), "still served\n");
        Assert.Equal("still served\n", Tool.Output("cat", d.M("f")));
        Assert.Equal(0, d.Stop());
    }

    [MountFact]
    public void JsonListingsParseAndAgreeWithTheTextListings()
    {
        using var d = new DaemonProcess();
        Configure(d);
        d.StartServing();
        using var fltmc = new Fltmc(d.ControlSocket);
        fltmc.Ok("load", "Detachable");
        fltmc.Ok("attach", "Detachable", d.MountPoint, "-a", "123456.5", "-i", "Fraction");

        // filters: name, count, altitude and frame of each row, in the same order.
        var filters = Json(fltmc.Ok("filters", "--json"));
        var filterRows = Rows(fltmc.Ok("filters"));
        Assert.Equal(2, filters.GetArrayLength());
        Assert.Equal(filterRows.Length, filters.GetArrayLength());
        for (int i = 0; i < filterRows.Length; i++)
        {
            var f = filters[i];
            string[] fromJson = [f.GetProperty("name").GetString()!, f.GetProperty("numberOfInstances").GetInt32().ToString(),
                f.GetProperty("altitude").GetString()!, f.GetProperty("frameId").GetInt32().ToString()];
            Assert.Equal(fromJson, filterRows[i]);
            Assert.False(f.GetProperty("isLegacy").GetBoolean());
        }
        Assert.Equal(["Detachable", "2", "385100", "0"], filterRows[0]);

        // instances: the JSON in FilterLib's order, the text sorted by filter name; the same set of rows.
        var instances = Json(fltmc.Ok("instances", "--json"));
        var instancesFromJson = new List<string>();
        foreach (var i in instances.EnumerateArray())
        {
            Assert.Equal("/dev/altitude/volume1", i.GetProperty("volumeName").GetString());
            Assert.False(i.GetProperty("detached").GetBoolean());
            instancesFromJson.Add(string.Join('|', i.GetProperty("filterName").GetString(), i.GetProperty("dosName").GetString(),
                i.GetProperty("altitude").GetString(), i.GetProperty("instanceName").GetString(), i.GetProperty("frameId").GetInt32(),
                i.GetProperty("supportedFeatures").GetUInt32().ToString("x8")));
        }
        var fromText = new List<string>();
        foreach (var r in Rows(fltmc.Ok("instances"))) fromText.Add(string.Join('|', r));
        Assert.Equal(3, instancesFromJson.Count);
        Assert.Contains($"Detachable|{d.MountPoint}|123456.5|Fraction|0|00000000", fromText);
        instancesFromJson.Sort(StringComparer.Ordinal);
        fromText.Sort(StringComparer.Ordinal);
        Assert.Equal(instancesFromJson, fromText);

        // volumes: DOS name, volume name, file system.
        var volumes = Json(fltmc.Ok("volumes", "--json"));
        // "%-31s %-40s": a DOS name over 31 characters leaves one space; none of these cells has one.
        var volumeRows = Rows(fltmc.Ok("volumes"), " +");
        Assert.Equal(1, volumes.GetArrayLength());
        var v = volumes[0];
        Assert.Equal("Unknown", v.GetProperty("fileSystemType").GetString());
        Assert.False(v.GetProperty("detached").GetBoolean());
        Assert.Single(volumeRows);
        string[] volumeFromJson = [v.GetProperty("dosName").GetString()!, v.GetProperty("name").GetString()!, v.GetProperty("fileSystemName").GetString()!];
        Assert.Equal(volumeFromJson, volumeRows[0]);
        Assert.Equal(d.MountPoint, volumeRows[0][0]);

        Assert.Equal(0, d.Stop());
    }

    /// <summary>A failed call: exit 1 and, on standard output, the blank line and the two Windows lines.</summary>
    internal static void AssertFails(FltmcRun run, string first, string text)
    {
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal(["", first, text], run.Lines);
    }

    /// <summary>A --json listing (no blank line first: JSON alone).</summary>
    private static JsonElement Json(string[] lines)
    {
        Assert.StartsWith("[", lines[0], StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(string.Join('\n', lines));
        return doc.RootElement.Clone();
    }

    /// <summary>The cells of a table's rows (after the blank line, header and rule), split where <paramref name="gap"/> matches.</summary>
    private static string[][] Rows(string[] lines, string gap = " {2,}")
    {
        Assert.Equal("", lines[0]);
        var rows = new List<string[]>();
        for (int i = 3; i < lines.Length; i++)
            rows.Add(System.Text.RegularExpressions.Regex.Split(lines[i].Trim(), gap));
        return rows.ToArray();
    }
}
