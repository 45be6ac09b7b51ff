// A Filter Manager with four filters on two loopback volumes and a ControlEndpoint on a private socket, for one
// control endpoint test. The service half (load, unload, mount, unmount) is a small fake over the same manager.
// Dispose closes the endpoint, the manager and the volumes' directories, also when the test failed.
using Altitude.Daemon.Control;
using Altitude.FileSystem;

namespace Altitude.Ports.Tests;

internal sealed class ManagementHost : IDisposable, IManagementService
{
    private static int counter;
    private readonly List<LoopbackDriver> drivers = new();

    /// <param name="sddl">The endpoint's descriptor; null: the default (root and the admin group).</param>
    public ManagementHost(string? sddl = null)
    {
        // In /tmp and 0755 whatever the umask: clients of other uids must reach the socket.
        Directory = Path.Combine("/tmp", $"altitude-mgmt-{Environment.ProcessId}-{Interlocked.Increment(ref counter)}");
        System.IO.Directory.CreateDirectory(Directory);
        File.SetUnixFileMode(Directory, (UnixFileMode)0b111_101_101);
        Manager = new FilterManager(new FilterManagerOptions { PortDirectory = Path.Combine(Directory, "ports") });
        Register("Alpha", "Alpha Instance", [new("Alpha Instance", "385100"), new("Alpha Low", "100000", InstanceConfiguration.NoAutomaticAttach)],
            new FilterRegistration { FilterUnload = _ => NtStatus.Success, InstanceQueryTeardown = (in RelatedObjects _, InstanceTeardownFlags _) => NtStatus.Success });
        Register("Vetoer", "Vetoer Instance", [new("Vetoer Instance", "265000")],
            new FilterRegistration { FilterUnload = _ => NtStatus.FltDoNotDetach, InstanceQueryTeardown = (in RelatedObjects _, InstanceTeardownFlags _) => NtStatus.FltDoNotDetach });
        // No unload callback and no InstanceQueryTeardown: it can neither unload nor be detached by hand.
        Register("Stuck", "Stuck Instance", [new("Stuck Instance", "320000")], new FilterRegistration());
        Register("Manual", "Manual Instance", [new("Manual Instance", "40500", InstanceConfiguration.NoAutomaticAttach)],
            new FilterRegistration { FilterUnload = _ => NtStatus.Success, InstanceQueryTeardown = (in RelatedObjects _, InstanceTeardownFlags _) => NtStatus.Success });
        VolumeA = AddVolume("a", "/mnt/alt-a").Name;
        VolumeB = AddVolume("b", null).Name;
        SocketPath = Path.Combine(Directory, "control");
        Endpoint = new ControlEndpoint(this, SocketPath, sddl);
        Assert.Equal(NtStatus.Success, Endpoint.Start());
    }

    public string Directory { get; }
    public string SocketPath { get; }
    public FilterManager Manager { get; }
    public ControlEndpoint Endpoint { get; }
    /// <summary>/dev/altitude/volume1, DOS name /mnt/alt-a.</summary>
    public string VolumeA { get; }
    /// <summary>/dev/altitude/volume2, no DOS name.</summary>
    public string VolumeB { get; }
    /// <summary>Every LoadFilter call's name.</summary>
    public readonly List<string> Loads = new();

    private void Register(string name, string defaultInstance, InstanceConfiguration[] instances, FilterRegistration registration)
    {
        Assert.Equal(NtStatus.Success, Manager.RegisterFilter(new FilterConfiguration(name, defaultInstance, instances), registration, out var filter));
        Assert.Equal(NtStatus.Success, filter!.StartFiltering());
    }

    private Volume AddVolume(string directory, string? dosName)
    {
        string backing = Path.Combine(Directory, directory);
        System.IO.Directory.CreateDirectory(backing);
        var driver = new LoopbackDriver(backing);
        drivers.Add(driver);
        return Manager.AddVolume(driver, dosName);
    }

    // Loaded filters are already registered here: every load of a known name is "already loaded".
    public NtStatus LoadFilter(string serviceName)
    {
        lock (Loads) Loads.Add(serviceName);
        return Manager.GetFilterFromName(serviceName, out _).IsSuccess() ? NtStatus.ImageAlreadyLoaded : NtStatus.ObjectNameNotFound;
    }

    public NtStatus UnloadFilter(string serviceName) => Manager.UnloadFilter(serviceName);

    public NtStatus MountVolume(string backingDirectory, string mountPoint, out string? volumeName)
    {
        var driver = new LoopbackDriver(backingDirectory);
        lock (drivers) drivers.Add(driver);
        volumeName = Manager.AddVolume(driver, mountPoint).Name;
        return NtStatus.Success;
    }

    public NtStatus UnmountVolume(string mountPointOrVolumeName)
    {
        NtStatus st = Manager.GetVolumeFromName(mountPointOrVolumeName, out var volume);
        return st.IsSuccess() ? Manager.RemoveVolume(volume!) : st;
    }

    /// <summary>A management client process (PortTestClient mgmt) on this endpoint, as <paramref name="uid"/> (null: this process's).</summary>
    public ManagementClient StartClient(uint? uid = null) => new(new ChildProcess(Directory, "control", uid, "mgmt"));

    public void Dispose()
    {
        Endpoint.Dispose();
        Manager.Dispose();
        foreach (var d in drivers) d.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Drives a PortTestClient in mgmt mode: one call per line, its answer matched by a sequence number.</summary>
internal sealed class ManagementClient : IDisposable
{
    private readonly ChildProcess process;
    private int next;

    public ManagementClient(ChildProcess process)
    {
        this.process = process;
        process.WaitForLine("ready");
    }

    /// <summary>Runs one command (tab-separated fields, "-" for NULL) and returns its answer: "0x&lt;HRESULT&gt; &lt;detail&gt;".</summary>
    public string Call(params string[] fields)
    {
        int id = ++next;
        process.WriteLine(id + "\t" + string.Join('\t', fields));
        string line = process.WaitForLine(id + " ");
        return line.Substring(line.IndexOf(' ') + 1);
    }

    /// <summary>The HRESULT of an answer.</summary>
    public static uint HResult(string answer) => Convert.ToUInt32(answer.Substring(2, 8), 16);

    /// <summary>The detail after the HRESULT ("" when there is none).</summary>
    public static string Detail(string answer) => answer.Length > 11 ? answer.Substring(11) : "";

    public void Dispose()
    {
        process.CloseInput();
        process.Dispose();
    }
}
