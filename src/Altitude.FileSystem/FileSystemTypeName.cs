// The name of a Linux file system from its statfs(2) magic (f_type), as /proc/mounts would show it: what
// FilterVolumeFindFirst and fltmc volumes report, since FLT_FILESYSTEM_TYPE has no Linux values.
using System.Globalization;

namespace Altitude.FileSystem;

public static class FileSystemTypeName
{
    /// <summary>The usual name for <paramref name="magic"/> (linux/magic.h), else the magic in hexadecimal.</summary>
    public static string FromMagic(long magic) => (uint)magic switch
    {
        0xEF53 => "ext4",   // ext2, ext3 and ext4 share the magic; ext4 is what a current system has
        0x58465342 => "xfs",
        0x9123683E => "btrfs",
        0x01021994 => "tmpfs",
        0x794C7630 => "overlay",
        0x2FC12FC1 => "zfs",
        0xF2F52010 => "f2fs",
        0x6969 => "nfs",
        0xFF534D42 => "cifs",
        0x65735546 => "fuse",
        0x4D44 => "vfat",
        0x2011BAB0 => "exfat",
        0x5346544E => "ntfs",
        0x3153464A => "jfs",
        0x52654973 => "reiserfs",
        0x73717368 => "squashfs",
        0x858458F6 => "ramfs",
        0x9FA0 => "proc",
        _ => "0x" + ((uint)magic).ToString("x", CultureInfo.InvariantCulture),
    };
}
