// A sample's package in a test daemon's configuration: filters.d/<project>.json made from the manifest the sample ships
// beside its assembly (so the tests load what a user would), with the assembly's path made absolute, the test's
// StartType, and the test's parameters merged over the shipped ones; then the main volume.
using System.Text.Json.Nodes;

namespace Altitude.Samples.Tests;

internal static class SamplePackage
{
    /// <summary>Writes <paramref name="project"/>'s shipped manifest, adjusted, and the main volume.</summary>
    /// <param name="parameters">JSON members (<c>"Name": value, …</c>) set in the manifest's Parameters; empty for none.</param>
    public static void Configure(DaemonProcess d, string project, string startType = "Auto", string parameters = "")
    {
        string dir = Path.GetDirectoryName(DaemonProcess.ProjectOutput(project, project + ".dll"))!;
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, project + ".filter.json")))!.AsObject();
        manifest["Assembly"] = Path.Combine(dir, manifest["Assembly"]!.GetValue<string>());
        manifest["StartType"] = startType;
        if (parameters.Length > 0)
        {
            var extra = JsonNode.Parse("{" + parameters + "}")!.AsObject();
            var p = manifest["Parameters"]!.AsObject();
            foreach (var (k, v) in extra.ToArray())
            {
                extra.Remove(k);
                p[k] = v;
            }
        }
        d.WriteManifest(project.ToLowerInvariant(), manifest.ToJsonString());
        d.WriteMainVolume();
    }
}
