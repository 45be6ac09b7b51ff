// The counters of one Filter Manager through System.Diagnostics.Metrics (Meter "Altitude.FilterManager", readable with
// dotnet-counters): observable instruments read the plain fields when a listener collects, so they cost nothing per
// operation; the two callback-time histograms record per callback only while some listener enables them.
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Altitude;

internal sealed class FilterManagerMeter : IDisposable
{
    public const string MeterName = "Altitude.FilterManager";

    private readonly FilterManager manager;
    private readonly Histogram<double> preOperationDuration;
    private readonly Histogram<double> postOperationDuration;

    public FilterManagerMeter(FilterManager manager)
    {
        this.manager = manager;
        Meter = new Meter(MeterName);
        Meter.CreateObservableCounter("altitude.volume.operations", VolumeOperations, "{operation}", "Operations that entered the volume's stack");
        Meter.CreateObservableCounter("altitude.instance.pre_operations", () => InstanceMajors(pre: true), "{call}", "Pre-operation callbacks invoked");
        Meter.CreateObservableCounter("altitude.instance.post_operations", () => InstanceMajors(pre: false), "{call}", "Post-operation callbacks invoked");
        Meter.CreateObservableCounter("altitude.instance.pended", () => InstanceValues(c => c.Pended), "{operation}", "Callbacks that returned PENDING or MORE_PROCESSING_REQUIRED");
        Meter.CreateObservableCounter("altitude.instance.timed_out", () => InstanceValues(c => c.TimedOut), "{operation}", "Pends the watchdog ended");
        Meter.CreateObservableCounter("altitude.instance.faults", () => InstanceValues(c => c.Faults), "{fault}", "Faults of the instance's callbacks");
        Meter.CreateObservableUpDownCounter("altitude.port.connections", () => PortValues(p => p.ConnectionCount), "{connection}", "Connections holding a MaxConnections slot");
        Meter.CreateObservableCounter("altitude.port.connections.accepted", () => PortValues(p => p.Counters.Accepted), "{connection}", "Connections accepted");
        Meter.CreateObservableCounter("altitude.port.connections.refused", () => PortValues(p => p.Counters.Refused), "{connection}", "Connections refused");
        Meter.CreateObservableCounter("altitude.port.messages.sent", () => PortValues(p => p.Counters.MessagesSent), "{message}", "FltSendMessage messages sent");
        Meter.CreateObservableCounter("altitude.port.messages.received", () => PortValues(p => p.Counters.MessagesReceived), "{message}", "FilterSendMessage requests received");
        Meter.CreateObservableCounter("altitude.port.replies", () => PortValues(p => p.Counters.Replies), "{message}", "Replies received");
        Meter.CreateObservableCounter("altitude.port.timeouts", () => PortValues(p => p.Counters.Timeouts), "{message}", "FltSendMessage calls that timed out");
        preOperationDuration = Meter.CreateHistogram<double>("altitude.instance.pre_operation.duration", "s", "Pre-operation callback time");
        postOperationDuration = Meter.CreateHistogram<double>("altitude.instance.post_operation.duration", "s", "Post-operation callback time");
    }

    public Meter Meter { get; }

    /// <summary>After a pre-op returned (or threw): counts it and records its time; returns the timestamp it ended at. Allocates nothing.</summary>
    public long PreOperationDone(Instance instance, byte major, long started)
    {
        long now = Stopwatch.GetTimestamp();
        long elapsed = now - started;
        InstanceCounters c = instance.Counters;
        Interlocked.Increment(ref c.PreOperations[major]);
        c.PreOperationTime.Record(elapsed);
        if (preOperationDuration.Enabled) preOperationDuration.Record(elapsed / (double)Stopwatch.Frequency, Tags(instance, major));
        return now;
    }

    /// <summary>After a post-op returned (or threw), draining ones included; returns the timestamp it ended at.</summary>
    public long PostOperationDone(Instance instance, byte major, long started)
    {
        long now = Stopwatch.GetTimestamp();
        long elapsed = now - started;
        InstanceCounters c = instance.Counters;
        Interlocked.Increment(ref c.PostOperations[major]);
        c.PostOperationTime.Record(elapsed);
        if (postOperationDuration.Enabled) postOperationDuration.Record(elapsed / (double)Stopwatch.Frequency, Tags(instance, major));
        return now;
    }

    private static TagList Tags(Instance instance, byte major) => new()
    {
        { "volume", instance.Volume.Name },
        { "filter", instance.Filter.Name },
        { "instance", instance.Name },
        { "major", MajorFunctionNames.Of(major) },
    };

    private IEnumerable<Measurement<long>> VolumeOperations()
    {
        var list = new List<Measurement<long>>();
        foreach (var v in manager.Volumes)
            for (int m = 0; m < 256; m++)
            {
                long n = Volatile.Read(ref v.OperationCounts[m]);
                if (n != 0) list.Add(new Measurement<long>(n, new("volume", v.Name), new("major", MajorFunctionNames.Of((byte)m))));
            }
        return list;
    }

    private IEnumerable<Measurement<long>> InstanceMajors(bool pre)
    {
        var list = new List<Measurement<long>>();
        foreach (var v in manager.Volumes)
            foreach (var i in v.CurrentInstances.All)
            {
                long[] counts = pre ? i.Counters.PreOperations : i.Counters.PostOperations;
                for (int m = 0; m < 256; m++)
                {
                    long n = Volatile.Read(ref counts[m]);
                    if (n != 0) list.Add(new Measurement<long>(n, new TagList { { "volume", v.Name }, { "filter", i.Filter.Name }, { "instance", i.Name }, { "major", MajorFunctionNames.Of((byte)m) } }));
                }
            }
        return list;
    }

    private IEnumerable<Measurement<long>> InstanceValues(Func<InstanceCounters, long> read)
    {
        var list = new List<Measurement<long>>();
        foreach (var v in manager.Volumes)
            foreach (var i in v.CurrentInstances.All)
                list.Add(new Measurement<long>(read(i.Counters), new("volume", v.Name), new("filter", i.Filter.Name), new("instance", i.Name)));
        return list;
    }

    private IEnumerable<Measurement<long>> PortValues(Func<ServerPort, long> read)
    {
        var list = new List<Measurement<long>>();
        foreach (var p in manager.ListeningPorts())
            list.Add(new Measurement<long>(read(p), new("port", p.Name), new("filter", p.Filter?.Name)));
        return list;
    }

    public void Dispose() => Meter.Dispose();
}
