// What filter-issued I/O changed in the file system: names and nodes, reported as Volume.FilterIoChanged right after
// the file system ran such an operation successfully. A front-end that caches names, attributes or data (the FUSE
// kernel caches) learns here what it could not have seen: the kernel knows what it asked for, not what filters did.
namespace Altitude;

/// <summary>What kind of change a <see cref="FilterIoChange"/> describes.</summary>
public enum FilterIoChangeKind : byte
{
    /// <summary>The name now refers to something else (created, renamed from or to, linked): forget what it resolved to.</summary>
    Name,
    /// <summary>The name was deleted; <see cref="FilterIoChange.NodeId"/> is the node it named (lost one link), when known.</summary>
    NameDeleted,
    /// <summary>The node's attributes changed (times, size, mode, owner, link count, extended attributes).</summary>
    Attributes,
    /// <summary>The node's data changed in [Offset, Offset + Length) (Length 0: up to the end), and with it its attributes.</summary>
    Data,
    /// <summary>Every cached name and attribute of the volume (Instance.InvalidateCachedInformation without a file object).</summary>
    Everything,
}

/// <summary>
/// One change made by filter-issued I/O. Names are as the operation gave them: <see cref="Name"/> is one component in
/// <see cref="DirectoryNodeId"/>, or, when that is 0, a path from the volume root (the form FltCreateFile and
/// rename destinations use). <see cref="NodeId"/> may be 0 for a node named only by such a name. The spans are valid
/// only during the call.
/// </summary>
public readonly ref struct FilterIoChange
{
    public FilterIoChange(FilterIoChangeKind kind, ulong directoryNodeId, ReadOnlySpan<byte> name, ulong nodeId, long offset = 0, long length = 0)
    {
        Kind = kind;
        DirectoryNodeId = directoryNodeId;
        Name = name;
        NodeId = nodeId;
        Offset = offset;
        Length = length;
    }

    public FilterIoChangeKind Kind { get; }
    public ulong DirectoryNodeId { get; }
    public ReadOnlySpan<byte> Name { get; }
    public ulong NodeId { get; }
    public long Offset { get; }
    public long Length { get; }
}

/// <summary>Volume.FilterIoChanged: runs on the thread that issued the I/O, inside the operation (post-ops not run yet); must not block.</summary>
public delegate void FilterIoChangedHandler(Volume volume, in FilterIoChange change);

public sealed partial class Volume
{
    /// <summary>
    /// Raised for each name or node that a filter's own I/O (FltCreateFile creating or overwriting, FltWriteFile,
    /// FltSetInformationFile, SetEa, SetSecurity) changed, once the file system has done it: whatever the post-ops make of
    /// the status, the change is made. Not raised for operations from the front-end itself (the kernel already knows)
    /// nor for reissued ones (the front-end's reply carries their result). Also raised, on the calling thread, for what
    /// a filter says its stable answers no longer are (<see cref="Instance.InvalidateCachedInformation"/>).
    /// </summary>
    public event FilterIoChangedHandler? FilterIoChanged;

    internal void RaiseFilterIoChanged(in FilterIoChange change) => FilterIoChanged?.Invoke(this, in change);

    internal bool HasFilterIoChangedSubscribers => FilterIoChanged is not null;
}

/// <summary>Turns one successful filter-issued operation into its <see cref="FilterIoChange"/>s (Dispatcher.CallFileSystem).</summary>
internal static class FilterIoChanges
{
    private const int FALLOC_FL_PUNCH_HOLE = 0x02, FALLOC_FL_COLLAPSE_RANGE = 0x08,
        FALLOC_FL_ZERO_RANGE = 0x10, FALLOC_FL_INSERT_RANGE = 0x20;

    /// <summary>Called after the file system ran <paramref name="d"/>, for generated I/O only.</summary>
    public static void Report(CallbackData d)
    {
        Volume volume = d.Volume;
        if ((d.Flags & CallbackDataFlags.ReissuedIo) != 0 || !volume.HasFilterIoChangedSubscribers) return;
        if (!d.IoStatus.Status.IsSuccess() || d.Iopb.TargetFileObject is not { } fo) return;
        ReadOnlySpan<byte> name = fo.FileName.Span;
        ulong dir = fo.ParentNodeId, node = fo.NodeId;
        switch (d.Iopb.MajorFunction)
        {
            case MajorFunction.Create:
                long created = d.IoStatus.Information;
                if (created == CreateInformation.FileCreated)
                    volume.RaiseFilterIoChanged(new FilterIoChange(FilterIoChangeKind.Name, dir, name, node));
                else if (created is CreateInformation.FileOverwritten or CreateInformation.FileSuperseded)
                    volume.RaiseFilterIoChanged(new FilterIoChange(FilterIoChangeKind.Data, dir, name, node));
                break;
            case MajorFunction.Write:
                if (d.IoStatus.Information <= 0) break;
                long at = d.Iopb.Parameters.Write.ByteOffset;
                bool whereverItLanded = at < 0 || (fo.OpenFlags & OpenFlags.O_APPEND) != 0;
                volume.RaiseFilterIoChanged(new FilterIoChange(FilterIoChangeKind.Data, dir, name, node,
                    whereverItLanded ? 0 : at, whereverItLanded ? 0 : d.IoStatus.Information));
                break;
            case MajorFunction.SetInformation:
                ReportSetInformation(volume, in d.Iopb.Parameters.SetFileInformation, dir, name, node);
                break;
            case MajorFunction.SetEa:
            case MajorFunction.SetSecurity:
                volume.RaiseFilterIoChanged(new FilterIoChange(FilterIoChangeKind.Attributes, dir, name, node));
                break;
        }
    }

    private static void ReportSetInformation(Volume volume, in SetFileInformationParameters p, ulong dir, ReadOnlySpan<byte> name, ulong node)
    {
        switch (p.FileInformationClass)
        {
            case FileInformationClass.FileDispositionInformation:
            case FileInformationClass.FileDispositionInformationEx:
                if ((p.DispositionFlags & DispositionFlags.Delete) != 0)
                    volume.RaiseFilterIoChanged(new FilterIoChange(FilterIoChangeKind.NameDeleted, dir, name, node));
                break;
            case FileInformationClass.FileRenameInformation:
            case FileInformationClass.FileRenameInformationEx:
                // Both names changed (an exchange swaps them; a replaced target lost its name); the node's ctime changed.
                volume.RaiseFilterIoChanged(new FilterIoChange(FilterIoChangeKind.Name, dir, name, node));
                volume.RaiseFilterIoChanged(new FilterIoChange(FilterIoChangeKind.Name, p.DestinationDirectory, p.DestinationName.Span, node));
                volume.RaiseFilterIoChanged(new FilterIoChange(FilterIoChangeKind.Attributes, p.DestinationDirectory, p.DestinationName.Span, node));
                break;
            case FileInformationClass.FileLinkInformation:
            case FileInformationClass.FileLinkInformationEx:
                volume.RaiseFilterIoChanged(new FilterIoChange(FilterIoChangeKind.Name, p.DestinationDirectory, p.DestinationName.Span, node));
                volume.RaiseFilterIoChanged(new FilterIoChange(FilterIoChangeKind.Attributes, dir, name, node));   // link count
                break;
            case FileInformationClass.FileEndOfFileInformation:
                // Pages from the new end on are gone (a shrink) or zeros (a growth).
                volume.RaiseFilterIoChanged(new FilterIoChange(FilterIoChangeKind.Data, dir, name, node, Math.Max(0, p.EndOfFile), 0));
                break;
            case FileInformationClass.FileAllocationInformation:
                int mode = p.AllocationMode;
                if ((mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE)) != 0)   // data after the range moves
                    volume.RaiseFilterIoChanged(new FilterIoChange(FilterIoChangeKind.Data, dir, name, node, p.AllocationOffset, 0));
                else if ((mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) != 0)
                    volume.RaiseFilterIoChanged(new FilterIoChange(FilterIoChangeKind.Data, dir, name, node, p.AllocationOffset, p.AllocationLength));
                else   // plain allocation: size (without KEEP_SIZE) and blocks
                    volume.RaiseFilterIoChanged(new FilterIoChange(FilterIoChangeKind.Attributes, dir, name, node));
                break;
            default:   // FileBasicInformation (times) and anything else that changes the node
                volume.RaiseFilterIoChanged(new FilterIoChange(FilterIoChangeKind.Attributes, dir, name, node));
                break;
        }
    }
}
