// Runs one loopback system call with the FUSE caller's credentials where ext4 semantics depend on them, the way
// virtiofsd does: a new node is made under the caller's fsuid/fsgid and umask (so it is born with its owner and mode,
// no chown afterwards that would clear set-id bits and no window in which the name belongs to root), and a write,
// truncate or fallocate that must clear set-id bits runs without CAP_FSETID (so the backing file system clears them
// exactly as the VFS would for that caller). Everything here is per thread; a scope restores what it changed.
using Altitude.FileSystem.Interop;

namespace Altitude.FileSystem;

/// <summary>
/// A per-thread credential change for the duration of one call. Create with <see cref="ForCreate"/> or
/// <see cref="WithoutFileSetId"/> and dispose in a finally block on the same thread.
/// </summary>
internal unsafe struct CallerCredentials : IDisposable
{
    /// <summary>
    /// Capabilities raised again after setfsuid dropped them: the kernel already checked permissions with the caller's
    /// full credentials (default_permissions, supplementary groups included), and it already removed S_ISGID where the
    /// caller may not set it (mode_strip_sgid). The backing file system must neither check again with only the fsuid
    /// and fsgid (it does not see the caller's supplementary groups) nor strip bits the kernel let through.
    /// </summary>
    private const uint RaisedWhileSwitched = (1u << Libc.CAP_DAC_OVERRIDE) | (1u << Libc.CAP_DAC_READ_SEARCH)
        | (1u << Libc.CAP_FOWNER) | (1u << Libc.CAP_FSETID);

    /// <summary>Whether this thread has its own fs_struct (umask): 0 not tried yet, 1 yes, -1 unshare failed.</summary>
    [ThreadStatic] private static int privateFs;

    private uint oldUmask;
    private int oldFsUid, oldFsGid;
    private Libc.CapData savedLow, savedHigh;
    private byte restore;   // bit 0 umask, bit 1 ids, bit 2 capabilities

    /// <summary>
    /// For mkdirat, mknodat, symlinkat and openat(O_CREAT): the thread's umask becomes <paramref name="umask"/>, and when
    /// <paramref name="switchIds"/> its fsuid/fsgid become uid/gid (uint.MaxValue keeps the current one).
    /// </summary>
    public static CallerCredentials ForCreate(bool switchIds, uint uid, uint gid, uint umask)
    {
        var c = new CallerCredentials();
        if (EnsurePrivateFs())
        {
            c.oldUmask = Libc.Umask(umask & 0x1FF);
            c.restore |= 1;
        }
        if (switchIds && (uid != uint.MaxValue || gid != uint.MaxValue))
        {
            bool caps = uid != uint.MaxValue && uid != 0 && c.Save();
            c.oldFsGid = gid != uint.MaxValue ? Libc.SetFsGid(gid) : -1;
            c.oldFsUid = uid != uint.MaxValue ? Libc.SetFsUid(uid) : -1;
            c.restore |= 2;
            if (caps) c.Raise(RaisedWhileSwitched);
        }
        return c;
    }

    /// <summary>
    /// For a write, truncate or fallocate by a caller that may not keep set-id bits (FUSE_WRITE_KILL_SUIDGID,
    /// FATTR_KILL_SUIDGID, FUSE_OPEN_KILL_SUIDGID): CAP_FSETID is dropped for the call, so the backing file system
    /// clears S_ISUID, and S_ISGID when the group may execute, as it does for an unprivileged writer.
    /// </summary>
    public static CallerCredentials WithoutFileSetId()
    {
        var c = new CallerCredentials();
        if (c.Save() && (c.savedLow.Effective & (1u << Libc.CAP_FSETID)) != 0)
        {
            Libc.CapData* d = stackalloc Libc.CapData[2];
            d[0] = c.savedLow;
            d[1] = c.savedHigh;
            d[0].Effective &= ~(1u << Libc.CAP_FSETID);
            var h = new Libc.CapHeader { Version = Libc.CapabilityVersion3 };
            if (Libc.CapSet(&h, d) == 0) c.restore |= 4;
        }
        return c;
    }

    public void Dispose()
    {
        if ((restore & 2) != 0)
        {
            if (oldFsUid >= 0) Libc.SetFsUid((uint)oldFsUid);
            if (oldFsGid >= 0) Libc.SetFsGid((uint)oldFsGid);
        }
        if ((restore & 4) != 0)
        {
            // Back to exactly the sets we started with (setfsuid(0) alone would raise every file-system capability).
            Libc.CapData* d = stackalloc Libc.CapData[2];
            d[0] = savedLow;
            d[1] = savedHigh;
            var h = new Libc.CapHeader { Version = Libc.CapabilityVersion3 };
            Libc.CapSet(&h, d);
        }
        if ((restore & 1) != 0) Libc.Umask(oldUmask);
        restore = 0;
    }

    private bool Save()
    {
        Libc.CapData* d = stackalloc Libc.CapData[2];
        var h = new Libc.CapHeader { Version = Libc.CapabilityVersion3 };
        if (Libc.CapGet(&h, d) != 0) return false;
        savedLow = d[0];
        savedHigh = d[1];
        return true;
    }

    /// <summary>Raises the given capabilities (of 0–31) that are permitted into the effective set; restored by Dispose.</summary>
    private void Raise(uint bits)
    {
        Libc.CapData* d = stackalloc Libc.CapData[2];
        var h = new Libc.CapHeader { Version = Libc.CapabilityVersion3 };
        if (Libc.CapGet(&h, d) != 0) return;
        d[0].Effective |= bits & d[0].Permitted;
        if (Libc.CapSet(&h, d) == 0) restore |= 4;
    }

    /// <summary>
    /// umask is per process unless the thread has its own fs_struct; unshare(CLONE_FS) gives it one, once per thread,
    /// as virtiofsd does for its workers. The only lasting effect: this thread's cwd no longer follows chdir(2) by others.
    /// </summary>
    private static bool EnsurePrivateFs()
    {
        if (privateFs == 0) privateFs = Libc.Unshare(Libc.CLONE_FS) == 0 ? 1 : -1;
        return privateFs > 0;
    }
}
