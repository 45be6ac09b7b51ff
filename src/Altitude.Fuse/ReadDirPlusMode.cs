// Which listing opcode the kernel uses on a FUSE volume (FuseVolumeOptions.ReadDirPlus).
namespace Altitude.Fuse;

/// <summary>How directories are listed: READDIRPLUS (entries with their attributes and a lookup each) or READDIR.</summary>
public enum ReadDirPlusMode
{
    /// <summary>DO_READDIRPLUS with READDIRPLUS_AUTO: the kernel starts a listing with READDIRPLUS and continues with it only if the names get looked up.</summary>
    Auto,
    /// <summary>DO_READDIRPLUS alone: every batch is READDIRPLUS.</summary>
    Always,
    /// <summary>Neither flag: every batch is READDIR (names only; each stat is a LOOKUP).</summary>
    Never,
}
