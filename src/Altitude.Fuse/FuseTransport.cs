// How a session receives requests: /dev/fuse reads, or FUSE over io_uring (docs/performance.md, docs/architecture.md).
namespace Altitude.Fuse;

/// <summary>The request transport of a <see cref="FuseServer"/>.</summary>
public enum FuseTransport
{
    /// <summary>FUSE over io_uring when the kernel offers it (root enabled /sys/module/fuse/parameters/enable_uring), else /dev/fuse.</summary>
    Auto,
    /// <summary>Always /dev/fuse: readers read requests and write replies with readv and writev.</summary>
    DevFuse,
    /// <summary>FUSE over io_uring or no mount: the mount fails with the reason when the kernel cannot.</summary>
    IoUring,
}
