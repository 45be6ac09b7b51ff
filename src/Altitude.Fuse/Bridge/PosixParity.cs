// What the bridge negotiates and forwards so that modes, set-id bits and ACLs behave as on the backing ext4
// (docs/deviations.md section 9, "POSIX parity"). The loopback does the work; this file only says when.
using Altitude.Fuse.Kernel;

namespace Altitude.Fuse.Bridge;

internal static class PosixParity
{
    /// <summary>
    /// DONT_MASK: the kernel sends the caller's mode and umask unmasked and the loopback creates under that umask (a
    /// default ACL of the parent then replaces it, as on ext4). POSIX_ACL: the kernel enforces ACLs read through
    /// GETXATTR (a root daemon would otherwise let <c>user:x:---</c> through), which needs DONT_MASK to inherit default
    /// ACLs right. HANDLE_KILLPRIV_V2: set-id bits are cleared by the daemon on write, truncate, open(O_TRUNC) and
    /// fallocate, which the kernel cannot do itself when it does not see the write (and does not do for fallocate).
    /// </summary>
    public const ulong InitFlags = FuseInitFlags.DONT_MASK | FuseInitFlags.POSIX_ACL | FuseInitFlags.HANDLE_KILLPRIV_V2;

    /// <summary>OPEN or CREATE with FUSE_OPEN_KILL_SUIDGID (set with O_TRUNC for a caller without CAP_FSETID).</summary>
    public static void KillOnOpen(CallbackData d, uint openFlags)
    {
        if ((openFlags & FuseKillFlags.OPEN_KILL_SUIDGID) != 0) d.Iopb.IrpFlags |= IoParameterBlock.IrpClearSetId;
    }

    /// <summary>
    /// FALLOCATE carries no kill flag: under HANDLE_KILLPRIV_V2 the kernel leaves it to the server, and ext4 clears the
    /// bits on any fallocate by a caller without CAP_FSETID. The request names only the caller's uid, so a caller other
    /// than root counts as unprivileged (a non-root process holding CAP_FSETID loses its bits; documented).
    /// </summary>
    public static void KillOnFallocate(CallbackData d, uint callerUid)
    {
        if (callerUid != 0) d.Iopb.IrpFlags |= IoParameterBlock.IrpClearSetId;
    }
}
