// What the bridge keeps with each pooled FuseRequest: its callback data (rented once from the volume's pool and
// reused, so dispatch allocates nothing), reusable file objects for operations without a handle, a directory entry
// list, and the step of a multi-operation request (RELEASE = CLEANUP + CLOSE, MKDIR = CREATE + CLEANUP + CLOSE...).
// It also answers the lookups of the requestor it names (process, image, cgroup), only while the request is unanswered.
using System.Diagnostics.CodeAnalysis;
using Altitude.Fuse.Kernel;

namespace Altitude.Fuse.Bridge;

/// <summary>Per-request bridge state; also the completion target when an operation pends in a filter.</summary>
internal sealed class RequestState : RequestorSource, IOperationCompletion, IDisposable
{
    public RequestState(FuseBridge bridge)
    {
        Bridge = bridge;
        Data = bridge.Volume.AllocateCallbackData(null);
        Transient = new FileObject(bridge.Volume);
        Named = new FileObject(bridge.Volume);
    }

    public readonly FuseBridge Bridge;
    /// <summary>Never freed: a reader's callback data lives as long as its request object.</summary>
    public readonly CallbackData Data;
    /// <summary>Stands for a node (or a name) during one operation without a handle (Flags = Transient).</summary>
    public readonly FileObject Transient;
    /// <summary>A non-transient object for LOOKUP, LINK, MKDIR, MKNOD and SYMLINK: the node reference it gets is the kernel's.</summary>
    public readonly FileObject Named;
    public readonly DirectoryEntryList Entries = new();

    public FuseRequest Request = null!;
    public FuseOpcode Opcode;
    public ulong Unique;
    public Requestor Requestor;
    public int Step;
    public OpenHandle? Handle;
    public ulong Node;
    /// <summary>The operation registered for INTERRUPT (its token, so a late cancel cannot reach the next one).</summary>
    public PendedOperation Operation;

    public void OnOperationCompleted(CallbackData data) => Bridge.Resume(this);

    // The ticket is the request object's answer count when the request arrived (FuseRequest.Answers). While it has not
    // moved, the requesting thread waits for the reply, so /proc/<tid> and the tid's pidfd are that thread's. Checked
    // before and after each lookup: an answer found while the reply left may be about a thread that reused the id.
    protected internal override bool TryGetProcessId(int threadId, long ticket, out int processId)
    {
        processId = 0;
        if (!Unanswered(ticket) || !ProcessIds.Shared.TryGetProcess(threadId, out int pid) || !Unanswered(ticket)) return false;
        processId = pid;
        return true;
    }

    protected internal override bool TryGetImagePath(int threadId, long ticket, [NotNullWhen(true)] out string? path) =>
        ReadWhileUnanswered(threadId, ticket, ProcFiles.ReadExe, out path);

    protected internal override bool TryGetCgroup(int threadId, long ticket, [NotNullWhen(true)] out string? cgroup) =>
        ReadWhileUnanswered(threadId, ticket, ProcFiles.ReadCgroup, out cgroup);

    /// <summary>A /proc read about the requesting thread, trusted only if the request was still unanswered before and after it.</summary>
    private bool ReadWhileUnanswered(int threadId, long ticket, Func<int, string?> read, [NotNullWhen(true)] out string? value)
    {
        value = Unanswered(ticket) ? read(threadId) : null;
        if (value is null || Unanswered(ticket)) return value is not null;
        value = null;
        return false;
    }

    private bool Unanswered(long ticket) => Request is { } r && r.Answers == ticket;

    /// <summary>The request object is freed (the server keeps fewer after a burst): the callback data goes back to the volume's pool.</summary>
    public void Dispose() => Data.Free();

    /// <summary>Resets a reusable file object for the next operation.</summary>
    public static FileObject Reset(FileObject fo, FileObjectFlags flags)
    {
        fo.NodeId = 0;
        fo.ParentNodeId = 0;
        fo.FileName = default;
        fo.CurrentByteOffset = 0;
        fo.OpenFlags = 0;
        fo.Flags = flags;
        fo.FsHandle = -1;
        fo.FsContext = null;
        return fo;
    }
}
