// FilterManager.GetStatistics and the manager's Meter: one snapshot of the plain counters the objects own.
using System.Diagnostics.Metrics;

namespace Altitude;

public sealed partial class FilterManager
{
    /// <summary>Meter "Altitude.FilterManager" of this manager (disposed with it).</summary>
    public Meter Meter => metrics.Meter;

    internal FilterManagerMeter Metrics => metrics;

    /// <summary>
    /// Every counter now: per mounted volume, per attached instance, per listening port. Counters are read one by one
    /// without stopping operations, so two of them may be a few operations apart.
    /// </summary>
    public FilterManagerStatistics GetStatistics()
    {
        var volumeStats = new List<VolumeOperationStatistics>();
        var instanceStats = new List<InstanceStatistics>();
        foreach (var v in Volumes)
        {
            volumeStats.Add(new VolumeOperationStatistics(v.Name, v.DosName, ByMajor(v.OperationCounts)));
            foreach (var i in v.CurrentInstances.All)
            {
                InstanceCounters c = i.Counters;
                instanceStats.Add(new InstanceStatistics(i.Filter.Name, i.Name, v.Name, i.Altitude.ToString(),
                    ByMajor(c.PreOperations), ByMajor(c.PostOperations), c.PreOperationTime.Snapshot(), c.PostOperationTime.Snapshot(),
                    Interlocked.Read(ref c.Pended), Interlocked.Read(ref c.TimedOut), Interlocked.Read(ref c.Faults)));
            }
        }
        var portStats = new List<PortStatistics>();
        foreach (var p in ListeningPorts())
        {
            PortCounters c = p.Counters;
            portStats.Add(new PortStatistics(p.Name, p.Filter?.Name, p.ConnectionCount, Interlocked.Read(ref c.Accepted), Interlocked.Read(ref c.Refused),
                Interlocked.Read(ref c.MessagesSent), Interlocked.Read(ref c.MessagesReceived), Interlocked.Read(ref c.Replies), Interlocked.Read(ref c.Timeouts)));
        }
        return new FilterManagerStatistics(FaultCount, volumeStats, instanceStats, portStats);
    }

    private static Dictionary<string, long> ByMajor(long[] counts)
    {
        var result = new Dictionary<string, long>();
        for (int m = 0; m < counts.Length; m++)
        {
            long n = Interlocked.Read(ref counts[m]);
            if (n != 0) result[MajorFunctionNames.Of((byte)m)] = n;
        }
        return result;
    }

    /// <summary>The ports listening now (the name table's bound entries).</summary>
    internal List<ServerPort> ListeningPorts()
    {
        var list = new List<ServerPort>();
        lock (portNames)
            foreach (var p in portNames.Values)
                if (p is not null) list.Add(p);
        return list;
    }
}
