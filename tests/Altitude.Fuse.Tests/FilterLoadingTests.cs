// fltmgrd --filter PATH.dll loads the public IMiniFilter classes of an assembly (DriverEntry's role), here the ctx
// sample, and the loaded filter sees operations on the mount.
using System.Diagnostics;
using System.Globalization;

namespace Altitude.Fuse.Tests;

public class FilterLoadingTests : MountTestBase
{
    [MountFact]
    public void FltmgrdLoadsAMinifilterAssemblyGivenOnTheCommandLine()
    {
        MountRequirement.Assert();
        string assembly = Path.GetFullPath(ProjectOutput("Ctx", "Ctx.dll"));
        Assert.True(File.Exists(assembly), assembly);
        File.WriteAllText(B("f"), "ctx\n");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (string a in new[] { ProjectOutput("fltmgrd", "fltmgrd.dll"), "--volume", $"{Backing}:{MountPoint}", "--filter", assembly })
            psi.ArgumentList.Add(a);
        using var daemon = Process.Start(psi)!;
        try
        {
            var lines = new List<string>();
            string? line;
            while ((line = daemon.StandardOutput.ReadLine()) is not null)
            {
                lines.Add(line);
                if (line.StartsWith("serving", StringComparison.Ordinal)) break;
            }
            if (line is null) Assert.Fail("fltmgrd did not start: " + daemon.StandardError.ReadToEnd());
            Assert.Contains(lines, l => l.StartsWith("filter Altitude.Samples.Ctx.CtxFilter from", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("1 instance(s)", StringComparison.Ordinal));
            Assert.Equal("ctx\n", ShOk($"cat {M("f")}"));
            Run("kill", ["-TERM", daemon.Id.ToString(CultureInfo.InvariantCulture)]);
            Assert.True(daemon.WaitForExit(30_000));
        }
        finally
        {
            if (!daemon.HasExited) daemon.Kill(entireProcessTree: true);
        }
    }
}
