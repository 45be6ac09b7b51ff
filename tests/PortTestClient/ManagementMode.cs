// "mgmt": a FilterLib management client driven line by line on stdin, for the control endpoint tests. Each input
// line is "<id>\t<command>\t<arg>..." ("-" is a NULL argument); each answer is one line "<id> 0x<HRESULT> <detail>".
//   filters|volumes <class>                   FilterFindFirst/Next (FilterVolumeFindFirst/Next) with a 4 KiB buffer:
//                                             detail = every entry's bytes in hex, comma-separated, then the last HRESULT
//   finstances <filter> <class>               FilterInstanceFindFirst/Next, same detail
//   vinstances <volume> <class>               FilterVolumeInstanceFindFirst/Next, same detail
//   first <kind> <class> <size> <name|->      one First with a <size>-byte buffer (kind: filters, finstances, volumes, vinstances):
//                                             detail = "<bytesReturned> handle|nohandle <hex>"
//   getinfo <filter> <class> <size>           FilterCreate + FilterGetInformation: detail = "<bytes> <hex>"
//   instinfo <filter> <volume> <inst|-> <class>  FilterInstanceCreate + FilterInstanceGetInformation: detail = "<instance> <hex>"
//   attach <filter> <volume> <inst|->         FilterAttach: detail = the created instance name
//   attachat <filter> <volume> <alt> <inst|-> FilterAttachAtAltitude
//   detach <filter> <volume> <inst|->         FilterDetach
//   load|unload <name>                        FilterLoad / FilterUnload
//   dosname <volume>                          FilterGetDosName: detail = the name in brackets
//   mount <backing> <mountpoint>, unmount <mountpoint>
//   typed-filters | typed-volumes | typed-instances <filter|-> <volume|-> | stats
//                                             FilterManagement: detail = the records (ToString), " | "-separated
//   raw <hex>                                 FilterSendMessage of these request bytes on one connection held for every
//                                             raw line: detail = the reply bytes in hex
using Altitude.FilterLib;

internal static class ManagementMode
{
    public static int Run(string socketPath)
    {
        using var typed = new FilterManagement(socketPath);
        FilterPortHandle? raw = null;
        Console.WriteLine("ready");
        Console.Out.Flush();
        string? line;
        while ((line = Console.ReadLine()) is not null)
        {
            var f = line.Split('\t');
            string answer;
            try
            {
                answer = Execute(f, socketPath, typed, ref raw);
            }
            catch (FilterException e)
            {
                answer = $"0x{(uint)e.HResult:X8} exception {e.Message}";
            }
            Console.WriteLine(f[0] + " " + answer);
            Console.Out.Flush();
        }
        raw?.Dispose();
        return 0;
    }

    private static string? Arg(string s) => s == "-" ? null : s;
    private static string Hr(int hr) => $"0x{(uint)hr:X8}";
    private static string Hex(ReadOnlySpan<byte> b) => Convert.ToHexString(b);

    private static string Execute(string[] f, string socket, FilterManagement typed, ref FilterPortHandle? raw)
    {
        var buffer = new byte[4096];
        switch (f[1])
        {
            case "filters":
            case "volumes":
            case "finstances":
            case "vinstances":
                return Enumerate(f[1], f.Length > 3 ? f[2] : null, uint.Parse(f[^1]), socket);
            case "first":
            {
                var small = new byte[int.Parse(f[4])];
                int hr = First(f[2], Arg(f[5]), uint.Parse(f[3]), small, out int bytes, out var handle, socket);
                string result = $"{Hr(hr)} {bytes} {(handle is null ? "nohandle" : "handle")} {Hex(small.AsSpan(0, hr < 0 ? 0 : bytes))}";
                handle?.Dispose();
                return result;
            }
            case "getinfo":
            {
                var small = new byte[int.Parse(f[4])];
                using var h = FltLib.FilterCreate(f[2], socket);
                int hr = FltLib.TryFilterGetInformation(h, (FilterInformationClass)uint.Parse(f[3]), small, out int bytes);
                return $"{Hr(hr)} {bytes} {Hex(small.AsSpan(0, hr < 0 ? 0 : bytes))}";
            }
            case "instinfo":
            {
                using var h = FltLib.FilterInstanceCreate(f[2], f[3], Arg(f[4]), socket);
                int hr = FltLib.TryFilterInstanceGetInformation(h, (InstanceInformationClass)uint.Parse(f[5]), buffer, out int bytes);
                return $"{Hr(hr)} {h.InstanceName} {Hex(buffer.AsSpan(0, hr < 0 ? 0 : bytes))}";
            }
            case "attach":
            {
                int hr = FltLib.TryFilterAttach(f[2], f[3], Arg(f[4]), out var name, socket);
                return $"{Hr(hr)} {name}";
            }
            case "attachat":
            {
                int hr = FltLib.TryFilterAttachAtAltitude(f[2], f[3], f[4], Arg(f[5]), out var name, socket);
                return $"{Hr(hr)} {name}";
            }
            case "detach":
                return Hr(FltLib.TryFilterDetach(f[2], f[3], Arg(f[4]), socket));
            case "load":
                return Hr(FltLib.TryFilterLoad(f[2], socket));
            case "unload":
                return Hr(FltLib.TryFilterUnload(f[2], socket));
            case "dosname":
            {
                int hr = FltLib.TryFilterGetDosName(f[2], out var dos, socket);
                return $"{Hr(hr)} [{dos}]";
            }
            case "mount":
            {
                int hr = FltLib.TryFilterMountVolume(f[2], f[3], out var name, socket);
                return $"{Hr(hr)} {name}";
            }
            case "unmount":
                return Hr(FltLib.TryFilterUnmountVolume(f[2], socket));
            case "typed-filters":
                return "0x00000000 " + string.Join(" | ", typed.GetFilters());
            case "typed-volumes":
                return "0x00000000 " + string.Join(" | ", typed.GetVolumes());
            case "typed-instances":
                return "0x00000000 " + string.Join(" | ", typed.GetInstances(Arg(f[2]), Arg(f[3])));
            case "stats":
            {
                var s = typed.GetStatistics();
                return $"0x00000000 faults={s.Faults} volumes={s.Volumes.Count} instances={s.Instances.Count} ports={s.Ports.Count}";
            }
            case "raw":
            {
                if (raw is null)
                {
                    int c = FltLib.TryFilterConnectCommunicationPort(Path.GetFileName(socket), 0, default, out raw, Path.GetDirectoryName(socket));
                    if (c < 0) return Hr(c) + " connect";
                }
                int hr = FltLib.TryFilterSendMessage(raw!, Convert.FromHexString(f[2]), buffer, out int bytes);
                return $"{Hr(hr)} {Hex(buffer.AsSpan(0, bytes))}";
            }
            default:
                return "unknown-command";
        }
    }

    private static int First(string kind, string? name, uint cls, Span<byte> buffer, out int bytes, out FilterFindHandle? handle, string socket) => kind switch
    {
        "filters" => FltLib.TryFilterFindFirst((FilterInformationClass)cls, buffer, out bytes, out handle, socket),
        "volumes" => FltLib.TryFilterVolumeFindFirst((FilterVolumeInformationClass)cls, buffer, out bytes, out handle, socket),
        "finstances" => FltLib.TryFilterInstanceFindFirst(name!, (InstanceInformationClass)cls, buffer, out bytes, out handle, socket),
        _ => FltLib.TryFilterVolumeInstanceFindFirst(name!, (InstanceInformationClass)cls, buffer, out bytes, out handle, socket),
    };

    private static int Next(string kind, FilterFindHandle handle, uint cls, Span<byte> buffer, out int bytes) => kind switch
    {
        "filters" => FltLib.TryFilterFindNext(handle, (FilterInformationClass)cls, buffer, out bytes),
        "volumes" => FltLib.TryFilterVolumeFindNext(handle, (FilterVolumeInformationClass)cls, buffer, out bytes),
        "finstances" => FltLib.TryFilterInstanceFindNext(handle, (InstanceInformationClass)cls, buffer, out bytes),
        _ => FltLib.TryFilterVolumeInstanceFindNext(handle, (InstanceInformationClass)cls, buffer, out bytes),
    };

    /// <summary>First, then Next until a failure: "0x&lt;last HRESULT&gt; &lt;hex&gt;,&lt;hex&gt;,...".</summary>
    private static string Enumerate(string kind, string? name, uint cls, string socket)
    {
        var buffer = new byte[4096];
        var entries = new List<string>();
        int hr = First(kind, name, cls, buffer, out int bytes, out var handle, socket);
        if (hr >= 0)
        {
            using (handle)
            {
                while (hr >= 0)
                {
                    entries.Add(Hex(buffer.AsSpan(0, bytes)));
                    hr = Next(kind, handle!, cls, buffer, out bytes);
                }
            }
        }
        return $"{Hr(hr)} {string.Join(",", entries)}";
    }
}
