// /l and the list at startup (ListDevices in mspyUser.c): every volume with its DOS name (the mount point), and
// "Attached" when MiniSpy has instances on it, with the count when there are several. The volumes come from
// FilterVolumeFindFirst/Next, MiniSpy's instances from FilterInstanceFindFirst/Next (through FilterManagement), once.
using Altitude.FilterLib;

namespace Altitude.Samples.MiniSpy.User;

internal static class VolumeList
{
    public static void Print(TextWriter output)
    {
        try
        {
            using var management = new FilterManagement();
            var volumes = management.GetVolumes();
            if (volumes.Count == 0)
            {
                output.WriteLine("No volumes found.");
                return;
            }
            // MiniSpy's instances, listed once and counted per volume.
            var attached = new Dictionary<string, int>(StringComparer.Ordinal);
            try
            {
                foreach (var i in management.EnumerateInstances(filter: MiniSpyProtocol.FilterName))
                    attached[i.VolumeName] = attached.GetValueOrDefault(i.VolumeName) + 1;
            }
            catch (FilterException) { }   // the filter gone since the listing: no instances
            output.WriteLine();
            output.WriteLine("Dos Name        Volume Name                            Status ");
            output.WriteLine("--------------  ------------------------------------  --------");
            foreach (var v in volumes)
            {
                int instances = attached.GetValueOrDefault(v.Name);
                string line = $"{v.DosName ?? "",-14}  {v.Name,-36}  {(instances > 0 ? "Attached" : "")}";
                output.WriteLine(instances > 1 ? $"{line} ({instances})" : line);
            }
        }
        catch (FilterException e)
        {
            output.WriteLine($"Volume listing failed with error: 0x{(uint)e.HResult:x8}");
        }
    }
}
