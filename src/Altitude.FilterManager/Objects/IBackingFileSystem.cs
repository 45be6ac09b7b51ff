// The bottom of the stack: what runs after the last pre-op. Altitude's loopback over a directory implements
// it (Altitude.FileSystem); tests use fakes. A front-end (the FUSE bridge) reaches the file system only through
// the volume: operations through the stack, and the few node-level services below, which have no Filter Manager
// operation of their own (FUSE FORGET, the attributes an entry reply carries, READDIRPLUS lookups for a volume whose
// filters do not watch lookups, undoing an open that never reached its caller).
namespace Altitude;

/// <summary>The file system an Altitude volume sits on.</summary>
public interface IBackingFileSystem
{
    /// <summary>
    /// Performs the operation in <paramref name="data"/> and sets data.IoStatus (and the output fields of its
    /// parameters). Runs on the dispatching thread; must not throw for ordinary failures (return a status).
    /// </summary>
    void Execute(CallbackData data);

    /// <summary>Name of the backing file system for fltmc volumes (e.g. "ext4").</summary>
    string TypeName { get; }

    /// <summary>
    /// The node table this file system fills (ids, generations, lookup counts, names), which becomes the volume's
    /// (<see cref="Volume.Nodes"/>); null for a file system without node identity (in-process fakes).
    /// </summary>
    NodeTable? Nodes => null;

    /// <summary>The current attributes of a live node, read below every filter (entry and SETATTR replies).</summary>
    NtStatus QueryNodeAttributes(ulong nodeId, out FileStatInformation stat)
    {
        stat = default;
        return NtStatus.NotImplemented;
    }

    /// <summary>Looks up a name in a directory node below every filter: +1 lookup reference on success.</summary>
    NtStatus LookupNode(ulong parent, ReadOnlySpan<byte> name, out ulong nodeId, out ulong generation, out FileStatInformation stat)
    {
        nodeId = generation = 0;
        stat = default;
        return NtStatus.NotImplemented;
    }

    /// <summary>
    /// Releases what a successful CREATE gave <paramref name="fileObject"/> (its handle and its node reference) when the
    /// open is abandoned before any CLEANUP or CLOSE could be sent (a post-create failed it, or its caller is gone).
    /// </summary>
    void AbandonOpen(FileObject fileObject) { }

    /// <summary>True when <see cref="OpenForDataScan"/> works (FltRegisterForDataScan answers STATUS_NOT_SUPPORTED otherwise).</summary>
    bool SupportsDataScan => false;

    /// <summary>
    /// FltCreateSectionForDataScan below every filter: a new read-only descriptor (O_RDONLY|O_CLOEXEC) of the
    /// regular file <paramref name="fileObject"/> is open on, opened from the node (never by a path through the
    /// mount), and the file's size. The caller owns the handle.
    /// </summary>
    NtStatus OpenForDataScan(FileObject fileObject, out Microsoft.Win32.SafeHandles.SafeFileHandle? handle, out long fileSize)
    {
        handle = null;
        fileSize = 0;
        return NtStatus.NotSupported;
    }

    /// <summary>The volume this file system is the bottom of, once it exists and before any filter attaches.</summary>
    void OnVolumeAdded(Volume volume) { }
}
