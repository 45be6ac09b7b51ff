// The volume context of swapBuffers: the volume's name and the sector size its buffers are rounded to.
namespace Altitude.Samples.SwapBuffers;

internal sealed class VolumeContext : FltContext
{
    public string Name = "";
    /// <summary>max(the file system's fragment size, 512), as the WDK sample takes max(SectorSize, MIN_SECTOR_SIZE).</summary>
    public uint SectorSize = 512;
}
