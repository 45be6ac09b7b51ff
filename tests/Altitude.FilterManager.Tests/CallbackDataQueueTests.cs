// FltCbdq*: the cancel-safe queue over the engine's pending and cancellation. A scanner-like filter pends every READ into
// the queue; a cancel (the FUSE front-end's INTERRUPT) and the filter's own removal race, and each operation must be
// completed exactly once, by exactly one of them.
namespace Altitude.Tests;

public sealed class CallbackDataQueueTests : IDisposable
{
    private sealed class CountingQueue : CallbackDataQueue
    {
        public int Canceled;
        protected override void OnCompleteCanceledIo(PendedOperation operation)
        {
            Interlocked.Increment(ref Canceled);
            base.OnCompleteCanceledIo(operation);
        }
    }

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly FilterManager manager = new(new FilterManagerOptions { PendingTimeout = TimeSpan.FromMinutes(5) });
    private readonly Volume volume;
    private readonly CountingQueue queue = new();
    private readonly LambdaFilter scanner = new("Scanner");
    private CallbackDataQueueIoContext? nextContext;
    private PendedOperation lastToken;
    private NtStatus lastInsert;

    public CallbackDataQueueTests()
    {
        volume = manager.AddVolume(new FakeFileSystem());
        scanner.Pre = (CallbackData d, in RelatedObjects o, out object? c) =>
        {
            c = null;
            lastToken = d.PendedOperation;
            lastInsert = queue.InsertIo(d, nextContext);
            if (lastInsert.IsSuccess()) return PreOperationStatus.Pending;
            d.IoStatus = new IoStatusBlock(lastInsert, 0);
            return PreOperationStatus.Complete;
        };
        scanner.Register(manager, "265000", withPost: false, majors: MajorFunction.Read);
        Assert.Equal(NtStatus.Success, queue.Initialize(scanner.Filter.Instances.Single()));
    }

    public void Dispose() => manager.Dispose();

    /// <summary>Starts a READ that the scanner queues; returns its completion sink.</summary>
    private CompletionSink StartQueued(CallbackDataQueueIoContext? context)
    {
        nextContext = context;
        var sink = new CompletionSink();
        Assert.False(volume.StartOperation(Ops.Read(volume), sink));
        Assert.Equal(NtStatus.Success, lastInsert);
        return sink;
    }

    [Fact]
    public void ACancelWhileQueuedRemovesAndCompletesTheOperationCanceledExactlyOnce()
    {
        var context = new CallbackDataQueueIoContext();
        CompletionSink sink = StartQueued(context);
        PendedOperation token = lastToken;
        Assert.Equal(1, queue.Count);
        Assert.True(context.IsQueued);

        Assert.True(token.Cancel());
        Assert.True(sink.Done.Wait(Wait));
        Assert.Equal(NtStatus.Cancelled, sink.Status.Status);
        Assert.Equal(1, queue.Canceled);
        Assert.Equal(0, queue.Count);
        Assert.False(context.IsQueued);

        // Nothing is left to remove, and a second cancel finds no routine.
        Assert.Equal(NtStatus.NotFound, queue.RemoveIo(context, out _));
        Assert.Equal(NtStatus.NoMoreEntries, queue.RemoveNextIo(out _));
        Assert.False(token.Cancel());
        Assert.Equal(1, queue.Canceled);
        Assert.Equal(1, sink.Calls);
    }

    [Fact]
    public void RemoveIoRacingWithCancelHasExactlyOneWinner()
    {
        int removedWins = 0, cancelWins = 0;
        var context = new CallbackDataQueueIoContext();
        for (int i = 0; i < 300; i++)
        {
            int canceledBefore = queue.Canceled;
            CompletionSink sink = StartQueued(context);
            PendedOperation token = lastToken;
            using var start = new Barrier(2);
            bool removed = false;
            NtStatus completed = NtStatus.Unsuccessful;
            var remover = new Thread(() =>
            {
                start.SignalAndWait();
                removed = queue.RemoveIo(context, out PendedOperation op) == NtStatus.Success;
                if (removed) completed = op.CompletePreOperation(PreOperationStatus.SuccessNoCallback);
            });
            var canceller = new Thread(() =>
            {
                start.SignalAndWait();
                token.Cancel();
            });
            remover.Start();
            canceller.Start();
            remover.Join();
            canceller.Join();

            Assert.True(sink.Done.Wait(Wait));
            int canceled = queue.Canceled - canceledBefore;
            Assert.Equal(1, (removed ? 1 : 0) + canceled);
            Assert.Equal(1, sink.Calls);
            Assert.Equal(0, queue.Count);
            if (removed)
            {
                Assert.Equal(NtStatus.Success, completed);
                Assert.Equal(NtStatus.Success, sink.Status.Status);   // went on to the file system
                removedWins++;
            }
            else
            {
                Assert.Equal(NtStatus.Cancelled, sink.Status.Status);
                cancelWins++;
            }
        }
        Assert.Equal(300, removedWins + cancelWins);
    }

    [Fact]
    public void RemoveNextIoIsFirstInFirstOutAndADisabledQueueRefusesInserts()
    {
        var sinks = new List<CompletionSink>();
        var tokens = new List<PendedOperation>();
        for (int i = 0; i < 3; i++)
        {
            sinks.Add(StartQueued(null));
            tokens.Add(lastToken);
        }
        Assert.Equal(3, queue.Count);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(NtStatus.Success, queue.RemoveNextIo(out PendedOperation op));
            Assert.Equal(tokens[i], op);
            Assert.Equal(NtStatus.Success, op.Complete(NtStatus.AccessDenied));
            Assert.True(sinks[i].Done.Wait(Wait));
            Assert.Equal(NtStatus.AccessDenied, sinks[i].Status.Status);
        }
        Assert.Equal(NtStatus.NoMoreEntries, queue.RemoveNextIo(out _));

        queue.Disable();
        CallbackData d = Ops.Read(volume);
        Assert.Equal(NtStatus.FltCbdqDisabled, volume.PerformOperation(d));
        d.Free();
        Assert.Equal(0, queue.Count);

        queue.Enable();
        CompletionSink again = StartQueued(null);
        Assert.Equal(NtStatus.Success, queue.RemoveNextIo(out PendedOperation last));
        Assert.Equal(NtStatus.Success, last.CompletePreOperation(PreOperationStatus.SuccessNoCallback));
        Assert.True(again.Done.Wait(Wait));
        Assert.Equal(0, queue.Canceled);
    }

    [Fact]
    public void AnOperationCancelledBeforeItWasQueuedIsCompletedCanceledByTheInsert()
    {
        CallbackData d = Ops.Read(volume);
        d.PendedOperation.Next.Cancel();   // the INTERRUPT came before the request started
        var sink = new CompletionSink();
        bool finishedHere = volume.StartOperation(d, sink);
        Assert.Equal(NtStatus.Success, lastInsert);
        Assert.True(finishedHere || sink.Done.Wait(Wait));
        Assert.Equal(NtStatus.Cancelled, d.IoStatus.Status);
        Assert.Equal(1, queue.Canceled);
        Assert.Equal(0, queue.Count);
        d.Free();
    }

    [Fact]
    public void InsertAndRemoveAllocateNothingPerOperation()
    {
        CallbackData d = volume.AllocateCallbackData(new FileObject(volume));
        var context = new CallbackDataQueueIoContext();
        int failures = 0;
        void Cycle()
        {
            // No Assert inside the measured loop: xunit's comparers allocate.
            if (queue.InsertIo(d, context) != NtStatus.Success) failures++;
            if (queue.RemoveIo(context, out _) != NtStatus.Success) failures++;
            if (queue.InsertIo(d) != NtStatus.Success) failures++;
            if (queue.RemoveNextIo(out _) != NtStatus.Success) failures++;
        }
        for (int i = 0; i < 100; i++) Cycle();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) Cycle();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, failures);
        Assert.Equal(0, allocated);
        d.Free();
    }
}
