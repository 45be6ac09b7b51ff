// Settings of one FUSE session.
namespace Altitude.Fuse;

/// <summary>Options of a <see cref="FuseServer"/>; the defaults are the ones spec/fuse-frontend-notes.md recommends.</summary>
public sealed class FuseServerOptions
{
    /// <summary>Reader threads, each with its own /dev/fuse fd (the first one's clones). 2 suits 2 cores.</summary>
    public int Readers { get; init; } = 2;
    /// <summary>max_write and max_read: 1 MiB (MAX_PAGES = 256).</summary>
    public int MaxWrite { get; init; } = 1024 * 1024;
    /// <summary>The file-system type is "fuse." + this.</summary>
    public string Subtype { get; init; } = "altitude";
    /// <summary>The kernel checks mode bits (and never sends ACCESS).</summary>
    public bool DefaultPermissions { get; init; } = true;
    /// <summary>Users other than the mounter may use the mount (for a non-root mounter only when /etc/fuse.conf has user_allow_other).</summary>
    public bool AllowOther { get; init; } = true;
    /// <summary>Parallel background requests the kernel may queue (its default is 12).</summary>
    public ushort MaxBackground { get; init; } = 64;
}
