// The kernel ABI: sizes of the mirrored uapi structs (include/uapi/linux/fuse.h, 7.45) and the ioctl numbers.
using System.Runtime.CompilerServices;
using Altitude.Fuse.Kernel;

namespace Altitude.Fuse.Tests;

public class AbiTests
{
    [Fact]
    public void StructSizesMatchTheKernel()
    {
        Assert.Equal(40, Unsafe.SizeOf<fuse_in_header>());
        Assert.Equal(16, Unsafe.SizeOf<fuse_out_header>());
        Assert.Equal(88, Unsafe.SizeOf<fuse_attr>());
        Assert.Equal(128, Unsafe.SizeOf<fuse_entry_out>());
        Assert.Equal(104, Unsafe.SizeOf<fuse_attr_out>());
        Assert.Equal(64, Unsafe.SizeOf<fuse_init_in>());
        Assert.Equal(64, Unsafe.SizeOf<fuse_init_out>());
        Assert.Equal(16, Unsafe.SizeOf<fuse_getattr_in>());
        Assert.Equal(88, Unsafe.SizeOf<fuse_setattr_in>());
        Assert.Equal(16, Unsafe.SizeOf<fuse_mknod_in>());
        Assert.Equal(8, Unsafe.SizeOf<fuse_mkdir_in>());
        Assert.Equal(16, Unsafe.SizeOf<fuse_rename2_in>());
        Assert.Equal(8, Unsafe.SizeOf<fuse_link_in>());
        Assert.Equal(8, Unsafe.SizeOf<fuse_open_in>());
        Assert.Equal(16, Unsafe.SizeOf<fuse_create_in>());
        Assert.Equal(16, Unsafe.SizeOf<fuse_open_out>());
        Assert.Equal(24, Unsafe.SizeOf<fuse_release_in>());
        Assert.Equal(24, Unsafe.SizeOf<fuse_flush_in>());
        Assert.Equal(40, Unsafe.SizeOf<fuse_read_in>());
        Assert.Equal(40, Unsafe.SizeOf<fuse_write_in>());
        Assert.Equal(8, Unsafe.SizeOf<fuse_write_out>());
        Assert.Equal(80, Unsafe.SizeOf<fuse_statfs_out>());
        Assert.Equal(16, Unsafe.SizeOf<fuse_fsync_in>());
        Assert.Equal(8, Unsafe.SizeOf<fuse_setxattr_in>());
        Assert.Equal(8, Unsafe.SizeOf<fuse_getxattr_in>());
        Assert.Equal(8, Unsafe.SizeOf<fuse_getxattr_out>());
        Assert.Equal(24, Unsafe.SizeOf<fuse_file_lock>());
        Assert.Equal(48, Unsafe.SizeOf<fuse_lk_in>());
        Assert.Equal(24, Unsafe.SizeOf<fuse_lk_out>());
        Assert.Equal(32, Unsafe.SizeOf<fuse_fallocate_in>());
        Assert.Equal(8, Unsafe.SizeOf<fuse_forget_in>());
        Assert.Equal(16, Unsafe.SizeOf<fuse_forget_one>());
        Assert.Equal(8, Unsafe.SizeOf<fuse_batch_forget_in>());
        Assert.Equal(8, Unsafe.SizeOf<fuse_interrupt_in>());
        Assert.Equal(24, Unsafe.SizeOf<fuse_dirent>());
        Assert.Equal(152, Unsafe.SizeOf<fuse_direntplus>());
        Assert.Equal(24, Unsafe.SizeOf<fuse_notify_inval_inode_out>());
        Assert.Equal(16, Unsafe.SizeOf<fuse_notify_inval_entry_out>());
        Assert.Equal(16, Unsafe.SizeOf<fuse_backing_map>());
    }

    [Fact]
    public void IoctlNumbersAreTheIocEncodings()
    {
        // _IOC(dir, 229, nr, size): dir 2 = read (CLONE), 1 = write (BACKING_*).
        static ulong Ioc(ulong dir, ulong nr, ulong size) => (dir << 30) | (size << 16) | (229UL << 8) | nr;
        Assert.Equal(FuseDeviceIoctl.CLONE, Ioc(2, 0, 4));
        Assert.Equal(FuseDeviceIoctl.BACKING_OPEN, Ioc(1, 1, 16));
        Assert.Equal(FuseDeviceIoctl.BACKING_CLOSE, Ioc(1, 2, 4));
    }

    [Fact]
    public void DeviceNumbersRoundTrip()
    {
        // glibc makedev(8, 1) and a large minor, to the kernel's new_encode_dev and back.
        ulong sda1 = (8UL << 8) | 1;
        Assert.Equal(0x801u, Bridge.FuseAttributes.EncodeDevice(sda1));
        Assert.Equal(sda1, Bridge.FuseAttributes.DecodeDevice(0x801));
        ulong big = ((259UL & 0xFFF) << 8) | ((70000UL & 0xFFFFFF00) << 12) | (70000UL & 0xFF);
        Assert.Equal(big, Bridge.FuseAttributes.DecodeDevice(Bridge.FuseAttributes.EncodeDevice(big)));
    }
}
