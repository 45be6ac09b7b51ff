// The volumes this daemon serves: mounted at start from volumes.d and --volume, and at run time through the control
// endpoint. A mount point left dead by a killed daemon is detached first (FuseVolume.Mount), then mounted again.
using Altitude.Daemon.Configuration;
using Altitude.Fuse;
using Microsoft.Extensions.Logging;

namespace Altitude.Daemon.Volumes;

internal sealed class VolumeSet
{
    private readonly FilterManager manager;
    private readonly FuseServerOptions server;
    private readonly ILogger logger;
    private readonly List<FuseVolume> mounted = new();

    public VolumeSet(FilterManager manager, FuseServerOptions server, ILogger logger)
    {
        this.manager = manager;
        this.server = server;
        this.logger = logger;
    }

    /// <summary>Called after a mount, before it is reported: attaches instances the daemon attaches by hand (stacked PassThrough).</summary>
    public Action<Volume>? Mounted { get; set; }

    public IReadOnlyList<FuseVolume> Current { get { lock (mounted) return mounted.ToArray(); } }

    /// <summary>Mounts one volume; failures are logged naming the volume and returned as a status.</summary>
    public NtStatus Mount(string backing, string mountPoint, VolumeMountOptions options, string origin, out FuseVolume? volume)
    {
        volume = null;
        if (!IsUsablePath(backing) || !IsUsablePath(mountPoint))
        {
            logger.LogError("{Origin}: {Backing} not mounted at {MountPoint}: both must be absolute paths without NUL characters", origin, backing, mountPoint);
            return NtStatus.ObjectNameInvalid;
        }
        string target = Path.GetFullPath(mountPoint);
        lock (mounted)
            if (mounted.Exists(m => m.MountPoint == target))
            {
                logger.LogError("{Origin}: {MountPoint} is already mounted by this daemon", origin, target);
                return NtStatus.ObjectNameCollision;
            }
        try
        {
            // A dead mount first: mkdir and stat on it fail with ENOTCONN, so nothing else may touch it before.
            if (FuseMount.RecoverStaleMount(target))
                logger.LogWarning("{MountPoint}: a dead mount (its daemon was killed) was detached; mounting it again", target);
            if (options.CreateDirectories)
            {
                Directory.CreateDirectory(backing);
                Directory.CreateDirectory(target);
            }
            if (!Directory.Exists(backing)) throw new DirectoryNotFoundException($"backing directory {backing} does not exist");
            volume = FuseVolume.Mount(manager, backing, target, options.ToFuse(server));
        }
        catch (Exception e)
        {
            // Whatever the mount throws (I/O, permissions, fusermount3 missing) costs this volume only.
            logger.LogError("{Origin}: {Backing} not mounted at {MountPoint}: {Message}", origin, backing, target, e.Message);
            return e is DirectoryNotFoundException ? NtStatus.ObjectPathNotFound : e is UnauthorizedAccessException ? NtStatus.AccessDenied : NtStatus.Unsuccessful;
        }
        var v = volume;
        v.Server.HandlerFault += e => logger.LogError(e, "{MountPoint}: request failed", v.MountPoint);
        Mounted?.Invoke(v.Volume);
        lock (mounted) mounted.Add(v);
        logger.LogInformation("mounted {Backing} at {MountPoint} ({Volume}): {Instances} instance(s); passthrough {Passthrough}; entry timeout {Timeout} s",
            v.BackingDirectory, v.MountPoint, v.Volume.Name, v.Volume.Instances.Count, v.PassthroughActive ? "on" : "off", v.EntryTimeoutSeconds);
        return NtStatus.Success;
    }

    private static bool IsUsablePath(string path) => Path.IsPathFullyQualified(path) && !path.Contains('\0');

    /// <summary>The volume mounted at <paramref name="mountPointOrName"/> (or so named).</summary>
    public FuseVolume? Find(string mountPointOrName)
    {
        string trimmed = mountPointOrName.Length > 1 ? mountPointOrName.TrimEnd('/') : mountPointOrName;
        lock (mounted) return mounted.Find(m => m.MountPoint == trimmed || m.Volume.Name == trimmed);
    }

    /// <summary>Unmounts one volume (lazily when files are open); its instances are torn down with it.</summary>
    public void Unmount(FuseVolume volume)
    {
        lock (mounted) if (!mounted.Remove(volume)) return;
        volume.Unmount();
        logger.LogInformation("unmounted {MountPoint} ({Volume})", volume.MountPoint, volume.Volume.Name);
    }

    /// <summary>Takes every volume out of the set (for the stop, which unmounts them under its bound).</summary>
    public FuseVolume[] TakeAll()
    {
        lock (mounted)
        {
            var all = mounted.ToArray();
            mounted.Clear();
            return all;
        }
    }
}
