// A mounted Altitude volume: a backing directory, the Filter Manager volume over it, and the FUSE session that
// feeds it. The backing directory is opened before the mount, so a volume can be mounted over its own backing
// directory (in place); from then on the backing tree is reached only through that fd.
using Altitude.FileSystem;
using Altitude.Fuse.Bridge;

namespace Altitude.Fuse;

/// <summary>One FUSE-mounted volume.</summary>
public sealed class FuseVolume : IDisposable
{
    private readonly LoopbackDriver driver;
    private readonly FuseBridge bridge;
    private readonly FuseServer server;
    private int unmounted;

    private FuseVolume(FilterManager manager, string backing, string mountPoint, LoopbackDriver driver, Volume volume, FuseBridge bridge, FuseServer server)
    {
        Manager = manager;
        BackingDirectory = backing;
        MountPoint = mountPoint;
        this.driver = driver;
        Volume = volume;
        this.bridge = bridge;
        this.server = server;
    }

    public FilterManager Manager { get; }
    public Volume Volume { get; }
    public string BackingDirectory { get; }
    public string MountPoint { get; }
    public FuseServer Server => server;
    internal FuseBridge Bridge => bridge;
    /// <summary>Open FUSE handles (diagnostics and tests).</summary>
    public int OpenHandles => bridge.OpenHandles;
    /// <summary>Passthrough is negotiated and currently used for new opens.</summary>
    public bool PassthroughActive => bridge.Policy.UsePassthrough;
    /// <summary>Entry and attribute timeout currently given to the kernel, in seconds.</summary>
    public ulong EntryTimeoutSeconds => bridge.Policy.EntryTimeout;

    /// <summary>
    /// Opens <paramref name="backingDirectory"/>, adds a volume for it (started filters attach now, before any request)
    /// and mounts it at <paramref name="mountPoint"/> (which may be the same directory): with mount(2) as root, through
    /// fusermount3 otherwise (then only the mounting user may use it, and there is no passthrough).
    /// </summary>
    public static FuseVolume Mount(FilterManager manager, string backingDirectory, string mountPoint, FuseVolumeOptions? options = null)
    {
        options ??= new FuseVolumeOptions();
        string backing = Path.GetFullPath(backingDirectory);
        string target = Path.GetFullPath(mountPoint);
        FuseMount.RecoverStaleMount(target);   // before anything stats it
        var driver = new LoopbackDriver(backing);
        Volume volume = manager.AddVolume(driver, dosName: target);
        var bridge = new FuseBridge(volume, options);
        var server = new FuseServer(bridge, options.Server);
        bridge.Attach(server);
        volume.InstancesChanged += bridge.OnInstancesChanged;
        volume.FilterIoChanged += bridge.OnFilterIoChanged;
        try
        {
            server.Mount(target, "altitude:" + backing);
        }
        catch
        {
            volume.InstancesChanged -= bridge.OnInstancesChanged;
            volume.FilterIoChanged -= bridge.OnFilterIoChanged;
            bridge.Destroy();   // ends the notifier thread
            manager.RemoveVolume(volume);
            driver.Dispose();
            throw;
        }
        return new FuseVolume(manager, backing, target, driver, volume, bridge, server);
    }

    /// <summary>
    /// Blocks until every cache notification queued so far (for filter-issued I/O, attach and detach) was written to the
    /// kernel; false on timeout or after unmount. The notifications are asynchronous: a filter's call returns once they
    /// are queued (docs/architecture.md, section 2.2).
    /// </summary>
    public bool WaitForCacheNotifications(TimeSpan timeout) => bridge.WaitForNotifications(timeout);

    /// <summary>Cache notifications written, and refused by the kernel (mostly ENOENT: it had not cached that name or node).</summary>
    public (long Written, long Refused) CacheNotifications => bridge.Notifier is { } n ? (n.Written, n.Refused) : (0, 0);

    /// <summary>Blocks until the session ends (unmounted from outside or by <see cref="Unmount"/>).</summary>
    public bool WaitForExit(TimeSpan timeout) => server.WaitForExit(timeout);

    /// <summary>Unmounts (lazily when files are still open), then dismounts the volume (instances torn down). Idempotent.</summary>
    public void Unmount()
    {
        if (Interlocked.Exchange(ref unmounted, 1) != 0) return;
        Volume.InstancesChanged -= bridge.OnInstancesChanged;
        Volume.FilterIoChanged -= bridge.OnFilterIoChanged;
        server.Unmount();
        // Opens and lookups the kernel holds die with the connection. They are released once no request runs (a pended
        // operation may still use an open's fd); if some never finish, their state is left rather than closed under them.
        if (server.WaitForRequestsDone(TimeSpan.FromSeconds(30))) Report = bridge.ReleaseConnectionState();
        server.Dispose();
        Manager.RemoveVolume(Volume);
        driver.Dispose();
    }

    /// <summary>What teardown released (null until <see cref="Unmount"/>, or when requests were still running then).</summary>
    public UnmountReport? Report { get; private set; }

    public void Dispose() => Unmount();
}
