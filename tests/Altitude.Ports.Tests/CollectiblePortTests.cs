// A filter in a collectible AssemblyLoadContext whose port had client processes (FilterSendMessage requests, connection
// cookies of the filter's own type, a connection still open at unload) is collected after unload: the I/O thread, the
// lanes, the workers and the pooled work items keep nothing of it.
using System.Runtime.CompilerServices;
using Altitude.TestSupport;

namespace Altitude.Ports.Tests;

public class CollectiblePortTests
{
    private const string PortName = @"\CollectiblePort";

    [Fact]
    public void AFilterWhosePortHadClientsIsCollectedAfterUnload()
    {
        using var host = new PortHost();
        WeakReference context = LoadServeAndUnload(host);
        Assert.True(CollectibleFilterLoader.WaitForCollection(context), "the filter's load context is still reachable after unload");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference LoadServeAndUnload(PortHost host)
    {
        IMiniFilter filter = CollectibleFilterLoader.Load(out var alc);
        var parameters = new FilterParameters(new Dictionary<string, IReadOnlyList<string>> { ["PortName"] = new[] { PortName } });
        var driver = new DriverObject(host.Manager, FilterConfiguration.Single("Collectible", "360000"), parameters);
        Assert.Equal(NtStatus.Success, filter.DriverEntry(driver));

        using (var sender = new ChildProcess(host.Directory, PortName, null, "sendloop", "3"))
        {
            Assert.Equal("done 3 0 first 0x00000000", sender.WaitForLine("done"));
            Assert.True(sender.WaitForExit(60_000));
        }
        var port = host.Manager.GetStatistics().Ports.Single(p => p.Port == PortName);
        PortHost.WaitUntil(() => host.Manager.GetStatistics().Ports.Single(p => p.Port == PortName).Connections == 0, "the sender's slot freed");
        using var holder = new ChildProcess(host.Directory, PortName, null, "hold");
        holder.WaitForLine("held");
        PortHost.WaitUntil(() => host.Manager.GetStatistics().Ports.Single(p => p.Port == PortName).Connections == 1, "the holder connected");

        // The unload closes the port and the holder's connection (its DisconnectNotify runs) before it returns.
        Assert.Equal(NtStatus.Success, host.Manager.UnloadFilter(driver.Filter!, mandatory: false));
        Assert.Equal(FilterState.Unloaded, driver.Filter!.State);
        Assert.Equal(3, port.MessagesReceived);
        alc.Unload();
        return new WeakReference(alc);
    }
}
