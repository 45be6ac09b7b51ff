// Thousands of concurrent operations while instances attach and detach: no operation lost, no post-op
// called twice, no callback after teardown complete.
using System.Collections.Concurrent;

namespace Altitude.Tests;

public sealed class StressTests
{
    private sealed class Tracker
    {
        public readonly ConcurrentDictionary<long, int> PostsPerOp = new();
        public long Pres, Posts, Drained, LateCallbacks;
        public volatile bool TornDown;
    }

    [Fact]
    public void ConcurrentOperationsWhileInstancesAttachAndDetach()
    {
        using var manager = new FilterManager(new FilterManagerOptions { PendingTimeout = TimeSpan.FromSeconds(60) });
        var fs = new FakeFileSystem();
        var volume = manager.AddVolume(fs);
        const int FilterCount = 4;
        var trackers = new ConcurrentDictionary<Instance, Tracker>();
        var filters = new Filter[FilterCount];
        long nextOp = 0;

        for (int n = 0; n < FilterCount; n++)
        {
            int index = n;
            var reg = new FilterRegistration
            {
                OperationRegistration = new[]
                {
                    new OperationRegistration(MajorFunction.Read, 0,
                        (CallbackData d, in RelatedObjects o, out object? c) =>
                        {
                            var t = trackers[o.Instance!];
                            if (t.TornDown) Interlocked.Increment(ref t.LateCallbacks);
                            Interlocked.Increment(ref t.Pres);
                            long id = Interlocked.Increment(ref nextOp);
                            c = id;
                            // Every other filter pends half of its operations and completes them on the thread pool.
                            if (index % 2 == 1 && (id & 1) == 0)
                            {
                                PendedOperation op = d.PendedOperation;
                                ThreadPool.UnsafeQueueUserWorkItem(_ => op.CompletePreOperation(PreOperationStatus.SuccessWithCallback, -id), null);
                                c = null;
                                return PreOperationStatus.Pending;
                            }
                            return PreOperationStatus.SuccessWithCallback;
                        },
                        (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags f) =>
                        {
                            var t = trackers[o.Instance!];
                            if (t.TornDown) Interlocked.Increment(ref t.LateCallbacks);
                            if ((f & PostOperationFlags.Draining) != 0) Interlocked.Increment(ref t.Drained);
                            Interlocked.Increment(ref t.Posts);
                            t.PostsPerOp.AddOrUpdate((long)c!, 1, (_, v) => v + 1);
                            return PostOperationStatus.FinishedProcessing;
                        }),
                },
                InstanceSetup = (in RelatedObjects o, InstanceSetupFlags f, VolumeDeviceType t, FileSystemType fst) => { trackers[o.Instance!] = new Tracker(); return NtStatus.Success; },
                InstanceQueryTeardown = (in RelatedObjects o, InstanceTeardownFlags f) => NtStatus.Success,
                InstanceTeardownComplete = (in RelatedObjects o, InstanceTeardownFlags r) => trackers[o.Instance!].TornDown = true,
                FilterUnload = _ => NtStatus.Success,
            };
            Assert.Equal(NtStatus.Success, manager.RegisterFilter(FilterConfiguration.Single("S" + n, (100 + n * 10).ToString()), reg, out var registered));
            filters[n] = registered!;
            Assert.Equal(NtStatus.Success, filters[n]!.StartFiltering());
        }

        const int Operations = 20_000, Workers = 4, MinimumChurn = 200;
        int completed = 0, churnCycles = 0, workersDone = 0;
        var failures = new ConcurrentQueue<string>();
        // Dedicated threads: the churn must really interleave with the operations on a 2-core machine.
        var churn = new Thread(() =>
        {
            var rnd = new Random(1);
            while (Volatile.Read(ref workersDone) < Workers || Volatile.Read(ref churnCycles) < MinimumChurn)
            {
                var f = filters[rnd.Next(FilterCount)];
                if (f.Instances.Count > 0) f.DetachVolume(volume, null);
                else f.AttachVolume(volume, null, out _);
                Interlocked.Increment(ref churnCycles);
            }
        });
        churn.Start();
        var workers = new Thread[Workers];
        for (int w = 0; w < Workers; w++)
        {
            workers[w] = new Thread(() =>
            {
                for (int k = 0; k < Operations / Workers; k++)
                {
                    var st = Ops.RunRead(volume);
                    if (st.Status != NtStatus.Success) failures.Enqueue(st.ToString());
                    Interlocked.Increment(ref completed);
                }
                Interlocked.Increment(ref workersDone);
            });
            workers[w].Start();
        }
        foreach (var w in workers) Assert.True(w.Join(TimeSpan.FromMinutes(2)));
        Assert.True(churn.Join(TimeSpan.FromMinutes(2)));
        Assert.Empty(failures);
        Assert.Equal(Operations, completed);
        Assert.Equal(Operations, fs.Executed);
        foreach (var f in filters) Assert.Equal(NtStatus.Success, manager.UnloadFilter(f));
        foreach (var (inst, t) in trackers)
        {
            Assert.Equal(0, t.LateCallbacks);
            Assert.True(t.TornDown);
            foreach (var (op, count) in t.PostsPerOp) Assert.True(count == 1, $"post-op of operation {op} ran {count} times on {inst}");
            // No operation lost: every pre-op asked for its post-op (SuccessWithCallback, or a pend completed with
            // it), so each got exactly one, in the normal order or drained when its instance went away. How many were
            // drained depends on the interleaving; TeardownDrainTests drains deterministically.
            Assert.True(t.Pres == t.Posts, $"{inst}: {t.Pres} pre-ops but {t.Posts} post-ops ({t.Drained} of them drained)");
            Assert.Equal(t.Posts, t.PostsPerOp.Count);
        }
        Assert.True(trackers.Count >= MinimumChurn / 2, $"attach/detach churn happened ({trackers.Count} instances)");
        Assert.Equal(0, manager.FaultCount);
    }
}
