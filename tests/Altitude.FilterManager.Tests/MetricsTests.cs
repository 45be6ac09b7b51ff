// System.Diagnostics.Metrics: a MeterListener sees the engine's counters (exact values), and listening to every
// instrument, histograms included, adds no allocation to the per-operation path.
using System.Diagnostics.Metrics;

namespace Altitude.Tests;

public sealed class MetricsTests : LoopbackStack
{
    public MetricsTests() : base(verifier: false) { }

    /// <summary>A listener on every instrument of this manager's meter; it keeps the last value per (instrument, tags).</summary>
    private sealed class Recorder : IDisposable
    {
        public readonly MeterListener Listener = new();
        public readonly Dictionary<string, long> Values = new();
        public long PreDurations, PostDurations;
        public long Counted;

        public Recorder(Meter meter, bool keepValues)
        {
            Listener.InstrumentPublished = (instrument, l) => { if (ReferenceEquals(instrument.Meter, meter)) l.EnableMeasurementEvents(instrument); };
            Listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                if (!keepValues) { Counted++; return; }
                string key = instrument.Name;
                foreach (var t in tags) key += $" {t.Key}={t.Value}";
                lock (Values) Values[key] = value;
            });
            Listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            {
                if (instrument.Name.Contains("pre_operation")) PreDurations++;
                else PostDurations++;
            });
            Listener.Start();
        }

        public void Dispose() => Listener.Dispose();
    }

    [Fact]
    public void AListenerSeesOperationsByMajorAndCallbackTimes()
    {
        var f = Register("Metered", "370000");
        using var recorder = new Recorder(Manager.Meter, keepValues: true);
        for (int i = 0; i < 5; i++)
        {
            var fo = Open("file" + i);
            Assert.Equal(NtStatus.Success, Client.CloseHandle(fo));
        }
        recorder.Listener.RecordObservableInstruments();

        string volume = $"volume={Volume.Name}";
        string instance = $"{volume} filter=Metered instance={f.Instance.Name}";
        Assert.Equal(5, recorder.Values[$"altitude.volume.operations {volume} major=Create"]);
        Assert.Equal(5, recorder.Values[$"altitude.volume.operations {volume} major=Cleanup"]);
        Assert.Equal(5, recorder.Values[$"altitude.volume.operations {volume} major=Close"]);
        Assert.Equal(5, recorder.Values[$"altitude.instance.pre_operations {instance} major=Create"]);
        Assert.Equal(5, recorder.Values[$"altitude.instance.post_operations {instance} major=Create"]);
        Assert.Equal(0, recorder.Values[$"altitude.instance.faults {instance}"]);
        // Create, Cleanup and Close: 15 pre-ops and 15 post-ops, each recorded in its histogram.
        Assert.Equal(15, recorder.PreDurations);
        Assert.Equal(15, recorder.PostDurations);
    }

    [Fact]
    public void TheMeterIsDisposedWithTheManager()
    {
        var manager = new FilterManager(new FilterManagerOptions { PortDirectory = Backing + "-other" });
        bool ended = false;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) => { if (ReferenceEquals(instrument.Meter, manager.Meter)) l.EnableMeasurementEvents(instrument); },
            MeasurementsCompleted = (instrument, _) => ended = true,
        };
        listener.Start();
        manager.Dispose();
        Assert.True(ended);
    }

    [Fact]
    public void TheOperationPathAllocatesNothingWithOrWithoutAListener()
    {
        Register("Hot", "370000");
        var fo = Open("hot");
        var buffer = new byte[64];
        Assert.Equal(NtStatus.Success, Client.Write(fo, buffer, 0, out _));
        int failures = 0;

        long Run()
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
                if (Client.Read(fo, buffer, 0, out _) != NtStatus.Success) failures++;
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Run();   // warm up
        Assert.Equal(0, Run());
        using (var recorder = new Recorder(Manager.Meter, keepValues: false))
        {
            Run();   // warm up the listener's paths
            long before = recorder.PreDurations;
            Assert.Equal(0, Run());
            Assert.Equal(1000, recorder.PreDurations - before);   // the histograms did record, without allocating
        }
        Assert.Equal(0, failures);
        Assert.Equal(NtStatus.Success, Client.CloseHandle(fo));
    }
}
