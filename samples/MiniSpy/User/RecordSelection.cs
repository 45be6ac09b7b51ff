// The Linux additions' filters: --pid, --op and --path choose which records are shown (screen, file and JSON alike).
// Every record is still taken from the filter, so the queue drains whatever is selected.
using System.IO.Enumeration;

namespace Altitude.Samples.MiniSpy.User;

internal sealed class RecordSelection
{
    private readonly HashSet<ulong> processIds = new();
    private readonly HashSet<byte> majors = new();
    private readonly List<string> paths = new();

    public bool IsEmpty => processIds.Count == 0 && majors.Count == 0 && paths.Count == 0;

    /// <summary>--pid N[,N...]: records of these processes only.</summary>
    public bool AddProcessIds(string list)
    {
        foreach (string p in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!ulong.TryParse(p, out ulong pid)) return false;
            processIds.Add(pid);
        }
        return true;
    }

    /// <summary>--op IRP_MJ_CREATE,WRITE...: records of these majors only.</summary>
    public bool AddOperations(string list)
    {
        foreach (string o in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!IrpNames.TryParseMajor(o, out byte major)) return false;
            majors.Add(major);
        }
        return true;
    }

    /// <summary>--path P: records whose name starts with P, or matches it when P has * or ? (a glob over the whole name).</summary>
    public void AddPath(string path) => paths.Add(path);

    public bool Selects(in LogRecordView r)
    {
        if (processIds.Count != 0 && !processIds.Contains(r.ProcessId)) return false;
        if (majors.Count != 0 && !majors.Contains(r.MajorId)) return false;
        if (paths.Count == 0) return true;
        string name = r.Name;
        foreach (string p in paths)
        {
            bool glob = p.AsSpan().IndexOfAny('*', '?') >= 0;
            if (glob ? FileSystemName.MatchesSimpleExpression(p, name, ignoreCase: false) : name.StartsWith(p, StringComparison.Ordinal)) return true;
        }
        return false;
    }
}
