// FILE_OBJECT: one open of a node (a FUSE fh), or a transient object for an operation without a handle
// (lookup, getattr by node, unlink...). The file system below keeps its private state in FsHandle/FsContext.
// What binds the object to a node (NodeId, ParentNodeId, FileName, Flags, FsHandle, FsContext) belongs to the engine, the
// front-end that issues the open (the I/O manager's role) and the file system: filters read it. A namespace filter that
// redirects an open uses ReplaceFileName in its pre-create (IoReplaceFileObjectName's role), which unbinds the node.
using System.Text;

namespace Altitude;

/// <summary>FO_* flags Altitude tracks.</summary>
[Flags]
public enum FileObjectFlags
{
    None = 0,
    /// <summary>A handle exists (the open was returned to its caller).</summary>
    HandleCreated = 0x1,
    /// <summary>FltCancelFileOpen ran on it.</summary>
    FileOpenCancelled = 0x2,
    /// <summary>CLEANUP has been sent (the last handle is gone).</summary>
    CleanupComplete = 0x4,
    /// <summary>CLOSE has been sent.</summary>
    Closed = 0x8,
    /// <summary>Transient: stands for a node during one operation without a handle.</summary>
    Transient = 0x10,
    /// <summary>Opened for a directory (OPENDIR).</summary>
    Directory = 0x20,
    /// <summary>The file system took a node reference for this object at CREATE and gives it back at CLOSE.</summary>
    HoldsNodeReference = 0x40,
}

/// <summary>Where a file object stands for contexts (and for names after cleanup).</summary>
internal enum FileObjectContextState : byte
{
    /// <summary>Not open yet (pre-create) or a failed create: no stream, no handle.</summary>
    NotOpened,
    /// <summary>The file system opened it: stream and handle contexts.</summary>
    Opened,
    /// <summary>CLOSE reached the file system: nothing any more (post-close).</summary>
    Closed,
    /// <summary>An operation by node without an open (transient): stream and file contexts of the node, no handle.</summary>
    ByNode,
    /// <summary>IRP_MJ_NETWORK_QUERY_OPEN: no contexts.</summary>
    QueryOpen,
}

/// <summary>One open of a file or directory on a volume.</summary>
public sealed class FileObject
{
    public FileObject(Volume volume) => Volume = volume;

    public Volume Volume { get; }

    /// <summary>
    /// The node this object refers to (FUSE nodeid): 0 until a CREATE resolved it, except for an open of a node the caller
    /// already holds (a FUSE OPEN/OPENDIR), which is bound to its node before pre-create.
    /// </summary>
    public ulong NodeId { get; internal set; }

    /// <summary>The directory the name is relative to (FUSE parent nodeid). 0 = the volume root with a path in <see cref="FileName"/>.</summary>
    public ulong ParentNodeId { get; internal set; }

    /// <summary>
    /// The name as opened, raw bytes (Linux names need not be UTF-8): a component of the parent, or a path from the root.
    /// For an open of a node the caller already holds (FUSE OPEN/OPENDIR), the name the node was last seen under, so
    /// pre-create sees the same name for open() with and without O_CREAT; empty for the root and for a node whose name
    /// is not known (unlinked while open, or its parent forgotten).
    /// </summary>
    public ReadOnlyMemory<byte> FileName { get; internal set; }

    /// <summary>
    /// IoReplaceFileObjectName's role, for a namespace filter's pre-create: the open goes to <paramref name="newName"/>, a
    /// path from the volume root (with or without its leading '/'), instead (the node it was bound to, if any, is let go). STATUS_INVALID_PARAMETER outside
    /// pre-create of this object, or for an empty name. The bytes are copied.
    /// </summary>
    public NtStatus ReplaceFileName(CallbackData data, ReadOnlySpan<byte> newName)
    {
        if (data.Iopb.MajorFunction != MajorFunction.Create || data.Iopb.TargetFileObject != this
            || ContextState != FileObjectContextState.NotOpened || newName.IsEmpty || (Flags & FileObjectFlags.HoldsNodeReference) != 0)
            return NtStatus.InvalidParameter;
        newName = newName.TrimStart((byte)'/');   // "/a/b" and "a/b" both mean the path from the root, as FltCreateFile takes it
        if (newName.IsEmpty) return NtStatus.InvalidParameter;
        FileName = newName.ToArray();
        ParentNodeId = 0;
        NodeId = 0;
        return NtStatus.Success;
    }

    /// <summary>The name decoded for display (invalid UTF-8 becomes U+FFFD). Allocates: not for hot paths.</summary>
    public string FileNameText => Encoding.UTF8.GetString(FileName.Span);

    /// <summary>The byte position for reads and writes without an offset.</summary>
    public long CurrentByteOffset { get; set; }

    /// <summary>open(2) flags of the open.</summary>
    public int OpenFlags { get; internal set; }

    public FileObjectFlags Flags { get; internal set; }

    /// <summary>The file system's handle for this open (a backing fd), or -1.</summary>
    public nint FsHandle { get; internal set; } = -1;

    /// <summary>Anything else the file system keeps per open (FsContext2's role).</summary>
    public object? FsContext { get; internal set; }

    // ---- engine state: contexts, names, filter-issued opens ----
    internal FileObjectContextState ContextState;
    /// <summary>The stream contexts this open found (kept until CLOSE, so a reused node id cannot mix streams).</summary>
    internal StreamState? Stream;
    /// <summary>Stream handle contexts, made at the first Set.</summary>
    internal ContextSlots? HandleContexts;
    /// <summary>The instance a filter opened it with (FltCreateFile); its CLEANUP and CLOSE start below that instance.</summary>
    internal Instance? IssuingInstance;
    internal bool IssuedByFilter;
    /// <summary>The opened name, cached per open (the name as opened depends on the open, not only the node).</summary>
    internal FileNameInformation? OpenedName;
    internal long OpenedNameEpoch;
    /// <summary>Where FltQueryEaFile continues a scan without RestartScan or an index (the EA position of the open).</summary>
    internal int EaScanIndex;

    public override string ToString() => $"FileObject(node {NodeId}, '{FileNameText}')";
}
