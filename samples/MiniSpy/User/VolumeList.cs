// /l and the list at startup (ListDevices in mspyUser.c): every volume with its DOS name (the mount point), and
// "Attached" when MiniSpy has instances on it, with the count when there are several. The volumes come from
// FilterVolumeFindFirst/Next, the instances from FilterVolumeInstanceFindFirst/Next (through FilterManagement).
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
            output.WriteLine();
            output.WriteLine("Dos Name        Volume Name                            Status ");
            output.WriteLine("--------------  ------------------------------------  --------");
            foreach (var v in volumes)
            {
                int instances = 0;
                try
                {
                    foreach (var i in management.EnumerateInstances(volume: v.Name))
                        if (string.Equals(i.FilterName, MiniSpyProtocol.FilterName, StringComparison.OrdinalIgnoreCase)) instances++;
                }
                catch (FilterException) { }   // a volume gone since the listing: no instances
                string line = $"{v.DosName ?? "",-14}  {v.Name,-36}  {(instances > 0 ? "Attached" : "")}";
                output.WriteLine(instances > 1 ? $"{line} ({instances})" : line);
            }
        }
        catch (FilterException e) when (e.HResult == HResults.NoMoreItems)
        {
            output.WriteLine("No volumes found.");
        }
        catch (FilterException e)
        {
            output.WriteLine($"Volume listing failed with error: 0x{(uint)e.HResult:x8}");
        }
    }
}
