// Conversions from the engine's attribute record to fuse_attr and entry_out.
using Altitude.Fuse.Kernel;

namespace Altitude.Fuse.Bridge;

internal static class FuseAttributes
{
    public static void Fill(ref fuse_attr a, in FileStatInformation s)
    {
        a.ino = s.FileId;
        a.size = (ulong)s.EndOfFile;
        a.blocks = (ulong)(s.AllocationSize / 512);
        a.atime = (ulong)s.LastAccessTime.Seconds;
        a.atimensec = (uint)s.LastAccessTime.Nanoseconds;
        a.mtime = (ulong)s.LastWriteTime.Seconds;
        a.mtimensec = (uint)s.LastWriteTime.Nanoseconds;
        a.ctime = (ulong)s.ChangeTime.Seconds;
        a.ctimensec = (uint)s.ChangeTime.Nanoseconds;
        a.mode = s.Mode;
        a.nlink = s.LinkCount;
        a.uid = s.Uid;
        a.gid = s.Gid;
        a.rdev = EncodeDevice(s.RdevMajorMinor);
        a.blksize = s.BlockSize;
        a.flags = 0;
    }

    /// <summary>glibc's 64-bit dev_t → the kernel's new_encode_dev() u32 that fuse_attr.rdev carries.</summary>
    public static uint EncodeDevice(ulong dev)
    {
        uint major = (uint)(((dev >> 32) & 0xFFFFF000) | ((dev >> 8) & 0xFFF));
        uint minor = (uint)(((dev >> 12) & 0xFFFFFF00) | (dev & 0xFF));
        return (minor & 0xFF) | (major << 8) | ((minor & ~0xFFu) << 12);
    }

    /// <summary>The kernel's new_encode_dev() u32 (MKNOD rdev) → glibc's makedev() value mknodat expects.</summary>
    public static ulong DecodeDevice(uint dev)
    {
        ulong major = (dev & 0xFFF00) >> 8;
        ulong minor = (dev & 0xFF) | ((dev >> 12) & 0xFFF00);
        return ((major & 0xFFFFF000) << 32) | ((major & 0xFFF) << 8) | ((minor & 0xFFFFFF00) << 12) | (minor & 0xFF);
    }

    public static void SetTimeouts(ref fuse_entry_out e, ulong entrySeconds, ulong attrSeconds)
    {
        e.entry_valid = entrySeconds;
        e.attr_valid = attrSeconds;
        e.entry_valid_nsec = 0;
        e.attr_valid_nsec = 0;
    }
}
