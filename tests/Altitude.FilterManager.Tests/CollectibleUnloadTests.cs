// A filter loaded into a collectible AssemblyLoadContext, as fltmgrd loads packages, must leave nothing in the engine that
// keeps the context alive once it unloaded: pooled callback data, frames, completion contexts, contexts, names, the
// verifier, ports and their cookies. The filter (tests/Altitude.CollectibleFilter) is never referenced at compile time.
using System.Runtime.CompilerServices;
using Altitude.TestSupport;

namespace Altitude.Tests;

public sealed class CollectibleUnloadTests : LoopbackStack
{
    [Fact]
    public void TheLoadContextIsCollectedAfterUnload()
    {
        var faults = new List<string>();
        Manager.FaultReported += f => { lock (faults) faults.Add(f.ToString()); };
        WeakReference context = LoadRunAndUnload(Manager, Client);
        Assert.True(CollectibleFilterLoader.WaitForCollection(context), "the filter's load context is still reachable after unload");
        Assert.Empty(faults);
        Assert.Empty(Reports);
        Assert.Empty(Manager.Filters);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference LoadRunAndUnload(FilterManager manager, VolumeClient client)
    {
        IMiniFilter filter = CollectibleFilterLoader.Load(out var alc);
        var parameters = new FilterParameters(new Dictionary<string, IReadOnlyList<string>> { ["PortName"] = new[] { @"\CollectibleTestPort" } });
        var driver = new DriverObject(manager, FilterConfiguration.Single("Collectible", "370000"), parameters);
        Assert.Equal(NtStatus.Success, filter.DriverEntry(driver));
        Assert.Single(driver.Filter!.Instances);

        Assert.Equal(NtStatus.Success, client.Create("a", OpenFlags.O_CREAT | OpenFlags.O_RDWR, 0x1A4, out var fo, out _));
        Assert.Equal(NtStatus.Success, client.Write(fo!, new byte[] { 1, 2, 3 }, 0, out _));
        Assert.Equal(NtStatus.Success, client.Read(fo!, new byte[3], 0, out int read));
        Assert.Equal(3, read);
        Assert.Equal(NtStatus.Success, client.CloseHandle(fo!));
        // A second open keeps its handle (and so a stream handle context) until the unload tears the instance down.
        Assert.Equal(NtStatus.Success, client.Create("a", OpenFlags.O_RDONLY, 0, out var held, out _));
        Assert.Equal(NtStatus.Success, client.Read(held!, new byte[3], 0, out _));

        Assert.Equal(NtStatus.Success, manager.UnloadFilter(driver.Filter!, mandatory: false));
        Assert.Equal(FilterState.Unloaded, driver.Filter!.State);
        Assert.Equal(NtStatus.Success, client.CloseHandle(held!));
        alc.Unload();
        return new WeakReference(alc);
    }
}
