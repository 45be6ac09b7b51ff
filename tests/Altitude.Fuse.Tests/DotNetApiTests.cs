// .NET file APIs in a separate process (tests/Altitude.Fuse.Probe) against the mount, then compared with the backing directory.
namespace Altitude.Fuse.Tests;

public class DotNetApiTests : MountTestBase
{
    [MountFact]
    public void ProbeProcessSucceedsAndBackingMatches()
    {
        Mount();
        var (exit, output, error) = Run("dotnet", [ProjectOutput("Altitude.Fuse.Probe", "Altitude.Fuse.Probe.dll"), MountPoint], 120);
        Assert.True(exit == 0, error + output);
        Assert.Equal("ok", output.Trim());
        Assert.Equal("alpha-beta", File.ReadAllText(B("net/a.txt")));
        Assert.Equal(new DateTime(2010, 5, 6, 7, 8, 9, DateTimeKind.Utc), File.GetLastWriteTimeUtc(B("net/a.txt")));
        Assert.Equal("y", File.ReadAllText(B("net/x")));
    }
}
