// mount(2)/umount2(2) of a FUSE connection, and recovery of a dead mount left by a crashed server. Runs on the
// controlling thread, never on a reader: an unmount waits for the readers, and a reader stuck behind it would deadlock.
using System.Globalization;
using Altitude.Fuse.Interop;

namespace Altitude.Fuse;

/// <summary>Mount helpers: mount(2) directly as root, fusermount3 otherwise.</summary>
public static unsafe class FuseMount
{
    /// <summary>
    /// If <paramref name="mountPoint"/> is a dead FUSE mount (a forced statx gives ENOTCONN or ECONNABORTED: its server died),
    /// detaches it. Returns true when it did. Never follows anything into a live mount.
    /// </summary>
    public static bool RecoverStaleMount(string mountPoint)
    {
        byte[] path = Libc.Z(mountPoint);
        fixed (byte* p = path)
        {
            byte* statx = stackalloc byte[256];
            if (Libc.Statx(Libc.AT_FDCWD, p, Libc.AT_STATX_FORCE_SYNC, Libc.STATX_TYPE, statx) == 0) return false;
            int e = Libc.LastError;
            const int ECONNABORTED = 103;
            if (e is not (Libc.ENOTCONN or ECONNABORTED)) return false;
            return IsPrivileged ? Libc.Umount2(p, Libc.MNT_DETACH) == 0 : Fusermount.Unmount(mountPoint, lazy: true) == 0;
        }
    }

    /// <summary>True when this process mounts with mount(2) itself; otherwise fusermount3 does it.</summary>
    internal static bool IsPrivileged => Libc.GetEuid() == 0;

    /// <summary>
    /// Opens a session and mounts it: as root, /dev/fuse and mount(2); otherwise fusermount3, which needs the mount
    /// point to be writable by the caller, and allow_other only when /etc/fuse.conf has user_allow_other.
    /// </summary>
    internal static FuseDevice OpenAndMount(string mountPoint, string source, FuseServerOptions options)
    {
        if (!IsPrivileged)
        {
            string common = Options(options, allowOther: options.AllowOther && UserAllowOther());
            return Fusermount.Mount(mountPoint, common + ",fsname=" + source + ",subtype=" + options.Subtype);
        }
        FuseDevice device = FuseDevice.Open();
        try
        {
            Mount(device, mountPoint, source, options);
            return device;
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    private static string Options(FuseServerOptions options, bool allowOther)
    {
        string data = string.Create(CultureInfo.InvariantCulture,
            $"rootmode=40000,user_id={Libc.GetEuid()},group_id={Libc.GetEgid()},max_read={options.MaxWrite}");
        if (options.DefaultPermissions) data += ",default_permissions";
        if (allowOther) data += ",allow_other";
        return data;
    }

    private static bool UserAllowOther()
    {
        try
        {
            foreach (string line in File.ReadLines("/etc/fuse.conf"))
                if (line.Trim() == "user_allow_other") return true;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return false;
    }

    /// <summary>mount(source, target, "fuse.altitude", MS_NOSUID|MS_NODEV, "fd=N,rootmode=40000,...").</summary>
    internal static void Mount(FuseDevice device, string mountPoint, string source, FuseServerOptions options)
    {
        string data = string.Create(CultureInfo.InvariantCulture, $"fd={device.Fd},") + Options(options, options.AllowOther);
        byte[] s = Libc.Z(source), t = Libc.Z(mountPoint), type = Libc.Z("fuse." + options.Subtype), d = Libc.Z(data);
        fixed (byte* ps = s, pt = t, ptype = type, pd = d)
        {
            if (Libc.Mount(ps, pt, ptype, Libc.MS_NOSUID | Libc.MS_NODEV, pd) != 0)
            {
                int e = Libc.LastError;
                throw new IOException($"mount of {mountPoint} failed: errno {e}" + (e == Libc.EPERM ? " (needs root)" : ""), e);
            }
        }
    }

    /// <summary>umount2 (fusermount3 -u when not root): returns 0 or an error (EBUSY when files are open and <paramref name="lazy"/> is false).</summary>
    public static int Unmount(string mountPoint, bool lazy)
    {
        if (!IsPrivileged) return Fusermount.Unmount(mountPoint, lazy);
        byte[] t = Libc.Z(mountPoint);
        fixed (byte* pt = t) return Libc.Umount2(pt, lazy ? Libc.MNT_DETACH : 0) == 0 ? 0 : Libc.LastError;
    }

    /// <summary>The fusectl connection number of the mount at <paramref name="mountPoint"/> (its st_dev minor), from mountinfo.</summary>
    internal static int? ConnectionId(string mountPoint)
    {
        try
        {
            string target = Path.GetFullPath(mountPoint).TrimEnd('/');
            int? found = null;
            foreach (string line in File.ReadLines("/proc/self/mountinfo"))
            {
                string[] f = line.Split(' ');
                if (f.Length < 10 || f[4] != target) continue;
                int dash = Array.IndexOf(f, "-");
                if (dash < 0 || !f[dash + 1].StartsWith("fuse", StringComparison.Ordinal)) continue;
                string[] mm = f[2].Split(':');
                found = int.Parse(mm[1], CultureInfo.InvariantCulture);   // the last (topmost) one wins
            }
            return found;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Sets the read-ahead window of the FUSE connection <paramref name="connectionId"/> (its backing device is 0:N);
    /// returns the window the kernel then reports, or null when the file is missing or refused. sysfs, not the mount:
    /// nothing here waits on this server's own readers.
    /// </summary>
    internal static int? SetReadAhead(int connectionId, int kb)
    {
        string file = string.Create(CultureInfo.InvariantCulture, $"/sys/class/bdi/0:{connectionId}/read_ahead_kb");
        try
        {
            File.WriteAllText(file, kb.ToString(CultureInfo.InvariantCulture));
            return int.Parse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private const string ConnectionsDirectory = "/sys/fs/fuse/connections";

    /// <summary>
    /// Aborts a connection through fusectl (the last resort when readers do not stop). fusectl is mounted first when
    /// nothing did (as root): many systems mount it at boot, minimal ones and containers often do not.
    /// </summary>
    internal static void Abort(int connectionId)
    {
        string abort = $"{ConnectionsDirectory}/{connectionId}/abort";
        if (!File.Exists(abort) && IsPrivileged) MountFusectl();
        try
        {
            File.WriteAllText(abort, "1");
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static void MountFusectl()
    {
        byte[] s = Libc.Z("fusectl"), t = Libc.Z(ConnectionsDirectory);
        fixed (byte* ps = s, pt = t)
            Libc.Mount(ps, pt, ps, 0, null);   // EBUSY: someone just mounted it; any other failure leaves the abort a no-op
    }
}
