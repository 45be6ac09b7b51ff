// FltQueueDeferredIoWorkItem: the item runs on a Filter Manager system worker, and posting is refused where the spec says
// it is unsafe (non-IRP operations, paging I/O, TopLevelIrp set, an instance being torn down).
namespace Altitude.Tests;

public sealed class DeferredIoWorkItemTests : IDisposable
{
    private readonly FilterManager manager = new(new FilterManagerOptions { PendingTimeout = TimeSpan.FromMinutes(5) });
    private readonly FakeFileSystem fileSystem = new();
    private readonly Volume volume;
    private readonly LambdaFilter filter = new("Deferring");
    private readonly DeferredIoWorkItem item = new();
    private readonly List<string> ranOn = new();
    private NtStatus queued;

    public DeferredIoWorkItemTests()
    {
        volume = manager.AddVolume(fileSystem);
        filter.Pre = (CallbackData d, in RelatedObjects o, out object? c) =>
        {
            c = null;
            queued = item.Queue(d, (workItem, operation, context) =>
            {
                lock (ranOn) ranOn.Add($"{Thread.CurrentThread.Name}:{context}");
                operation.CompletePreOperation(PreOperationStatus.SuccessNoCallback);
            }, WorkQueueType.DelayedWorkQueue, "ctx");
            if (queued.IsSuccess()) return PreOperationStatus.Pending;
            d.IoStatus = new IoStatusBlock(queued, 0);
            return PreOperationStatus.Complete;
        };
        filter.Register(manager, "265000", withPost: false, majors: MajorFunction.Read);
    }

    public void Dispose() => manager.Dispose();

    [Fact]
    public void AQueuedItemRunsOnASystemWorkerAndCanBeQueuedAgain()
    {
        for (int i = 0; i < 2; i++)
        {
            IoStatusBlock result = Ops.RunRead(volume);
            Assert.Equal(NtStatus.Success, queued);
            Assert.Equal(new IoStatusBlock(NtStatus.Success, 42), result);   // the pended read went on to the file system
        }
        Assert.Equal(new[] { "fltmgr-worker:ctx", "fltmgr-worker:ctx" }, ranOn);
        Assert.Equal(2, fileSystem.Executed);
        Assert.Equal(WorkQueueType.DelayedWorkQueue, item.QueueType);
    }

    [Fact]
    public void PagingIoIsNotSafeToPost()
    {
        CallbackData d = Ops.Read(volume);
        d.Iopb.IrpFlags |= IoParameterBlock.IrpPagingIo;
        Assert.Equal(NtStatus.FltNotSafeToPostOperation, volume.PerformOperation(d));
        d.Free();
        Assert.Empty(ranOn);
        Assert.Equal(0, fileSystem.Executed);
    }

    [Fact]
    public void NonIrpOperationsAndTheFileSystemsOwnThreadAreNotSafeToPost()
    {
        Instance instance = filter.Filter.Instances.Single();
        CallbackData fastIo = volume.AllocateCallbackData(new FileObject(volume));
        fastIo.Flags = CallbackDataFlags.FastIoOperation;
        fastIo.Iopb.TargetInstance = instance;
        Assert.Equal(NtStatus.FltNotSafeToPostOperation, item.Queue(fastIo, (w, o, c) => { }, WorkQueueType.CriticalWorkQueue, null));
        fastIo.Free();

        // Called back while the file system runs (TopLevelIrp set on Windows).
        NtStatus inFileSystem = NtStatus.Success;
        filter.Pre = (CallbackData d, in RelatedObjects o, out object? c) => { c = null; return PreOperationStatus.SuccessNoCallback; };
        fileSystem.Hook = d =>
        {
            inFileSystem = item.Queue(d, (w, o, c) => { }, WorkQueueType.CriticalWorkQueue, null);
            return false;
        };
        Assert.Equal(NtStatus.Success, Ops.RunRead(volume).Status);
        Assert.Equal(NtStatus.FltNotSafeToPostOperation, inFileSystem);
    }

    [Fact]
    public void AnInstanceBeingTornDownCannotPost()
    {
        NtStatus duringTeardown = NtStatus.Success;
        filter.OnTeardownStart = instance =>
        {
            CallbackData d = volume.AllocateCallbackData(new FileObject(volume));
            d.Iopb.MajorFunction = MajorFunction.Read;
            d.Iopb.TargetInstance = instance;
            duringTeardown = item.Queue(d, (w, o, c) => { }, WorkQueueType.CriticalWorkQueue, null);
            d.Free();
        };
        Assert.Equal(NtStatus.Success, filter.Filter.DetachVolume(volume, null));
        Assert.Equal(NtStatus.FltDeletingObject, duringTeardown);
        Assert.Empty(ranOn);
    }
}
