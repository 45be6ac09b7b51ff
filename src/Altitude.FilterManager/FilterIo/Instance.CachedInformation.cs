// The other half of OperationRegistrationFlags.StableInformation (an Altitude extension): a filter whose
// QUERY_INFORMATION or NETWORK_QUERY_OPEN answers are cached by the front-end says when they change. The request goes
// out through the channel filter-issued I/O uses (Volume.FilterIoChanged), so the FUSE front-end turns it into the
// same INVAL_ENTRY and INVAL_INODE notifications.
namespace Altitude;

public sealed partial class Instance
{
    /// <summary>
    /// Altitude extension: what this instance answered about <paramref name="fileObject"/>'s name and attributes (or,
    /// with null, about every name and node of the volume) may have changed; caches that hold those answers drop them,
    /// so the next query reaches the callbacks again. Returns STATUS_SUCCESS once the invalidation is queued (the FUSE
    /// front-end writes it on its notifier thread: a query racing with the call may still be answered from the old
    /// cache), STATUS_INVALID_PARAMETER for a file object of another volume, STATUS_FLT_DELETING_OBJECT while the
    /// instance tears down. Filters without StableInformation rows never need it: nothing caches their answers.
    /// </summary>
    public NtStatus InvalidateCachedInformation(FileObject? fileObject)
    {
        if (fileObject is not null && !ReferenceEquals(fileObject.Volume, Volume)) return NtStatus.InvalidParameter;
        if (!TryEnterCallback()) return NtStatus.FltDeletingObject;
        try
        {
            if (fileObject is null)
            {
                Volume.RaiseFilterIoChanged(new FilterIoChange(FilterIoChangeKind.Everything, 0, default, 0));
                return NtStatus.Success;
            }
            ReadOnlySpan<byte> name = fileObject.FileName.Span;
            ulong directory = fileObject.ParentNodeId, node = fileObject.NodeId;
            // The name's entry (a NETWORK_QUERY_OPEN answer, positive or negative) and the node's attributes.
            if (!name.IsEmpty) Volume.RaiseFilterIoChanged(new FilterIoChange(FilterIoChangeKind.Name, directory, name, 0));
            if (node != 0 || !name.IsEmpty) Volume.RaiseFilterIoChanged(new FilterIoChange(FilterIoChangeKind.Attributes, directory, name, node));
            return NtStatus.Success;
        }
        finally
        {
            ExitCallback();
        }
    }
}
