// mount(2)/umount2(2) of a FUSE connection, and recovery of a dead mount left by a crashed server. Runs on the
// controlling thread, never on a reader: an unmount waits for the readers, and a reader stuck behind it would deadlock.
using System.Globalization;
using Altitude.Fuse.Interop;

namespace Altitude.Fuse;

/// <summary>Mount helpers (root: mount(2) directly; fusermount3 is not used).</summary>
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
            return Libc.Umount2(p, Libc.MNT_DETACH) == 0;
        }
    }

    /// <summary>mount(source, target, "fuse.altitude", MS_NOSUID|MS_NODEV, "fd=N,rootmode=40000,...").</summary>
    internal static void Mount(FuseDevice device, string mountPoint, string source, FuseServerOptions options)
    {
        string data = string.Create(CultureInfo.InvariantCulture,
            $"fd={device.Fd},rootmode=40000,user_id=0,group_id=0,max_read={options.MaxWrite}");
        if (options.DefaultPermissions) data += ",default_permissions";
        if (options.AllowOther) data += ",allow_other";
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

    /// <summary>umount2: returns 0 or the errno (EBUSY when files are open and <paramref name="lazy"/> is false).</summary>
    public static int Unmount(string mountPoint, bool lazy)
    {
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

    /// <summary>Aborts a connection through fusectl (the last resort when readers do not stop).</summary>
    internal static void Abort(int connectionId)
    {
        try
        {
            File.WriteAllText($"/sys/fs/fuse/connections/{connectionId}/abort", "1");
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
