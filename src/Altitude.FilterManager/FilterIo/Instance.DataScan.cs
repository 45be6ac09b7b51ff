// FltRegisterForDataScan, FltCreateSectionForDataScan, FltGetSectionContext, FltCloseSectionForDataScan
// (the last on Filter, as it takes only the context). The instance keeps its open sections so a detach
// closes what the filter left open.
using Microsoft.Win32.SafeHandles;

namespace Altitude;

public sealed partial class Instance
{
    private readonly List<DataScanSection> sections = new();
    private bool dataScanRegistered;

    /// <summary>FltRegisterForDataScan: allows CreateSectionForDataScan on this instance's volume. STATUS_NOT_SUPPORTED when the file system below cannot open a node for reading.</summary>
    public NtStatus RegisterForDataScan()
    {
        if (!Volume.FileSystem.SupportsDataScan) return NtStatus.NotSupported;
        lock (sections) dataScanRegistered = true;
        return NtStatus.Success;
    }

    /// <summary>
    /// FltCreateSectionForDataScan: a read-only section of the file <paramref name="fileObject"/> is open on,
    /// holding <paramref name="sectionContext"/> (a context of type Section, allocated by this filter and in no
    /// other section; the section takes a reference). Errors: STATUS_NOT_SUPPORTED (RegisterForDataScan was not
    /// called), STATUS_INVALID_PARAMETER (not a section context of this filter, or the object is not an open
    /// file of this volume), STATUS_FLT_CONTEXT_ALREADY_LINKED (the context has a section), STATUS_FLT_DELETING_OBJECT
    /// (teardown), or the backing file system's failure to open the node (e.g. a directory).
    /// </summary>
    public NtStatus CreateSectionForDataScan(FileObject fileObject, FltContext sectionContext, out DataScanSection? section)
    {
        section = null;
        if (sectionContext is null || fileObject is null || sectionContext.ContextType != ContextType.Section || sectionContext.Filter != Filter)
            return NtStatus.InvalidParameter;
        if (fileObject.Volume != Volume || fileObject.NodeId == 0 || fileObject.ContextState != FileObjectContextState.Opened)
            return NtStatus.InvalidParameter;
        lock (sections)
        {
            if (!dataScanRegistered) return NtStatus.NotSupported;
            if (IsTearingDown) return NtStatus.FltDeletingObject;
            if (sectionContext.Section is not null) return NtStatus.FltContextAlreadyLinked;
        }
        NtStatus st = Volume.FileSystem.OpenForDataScan(fileObject, out SafeFileHandle? handle, out long size);
        if (!st.IsSuccess()) return st;
        var made = new DataScanSection(this, fileObject, sectionContext, handle!, size);
        lock (sections)
        {
            // The context links to one section at a time, whichever instance makes it (a CAS: two instances may race).
            bool linked = !IsTearingDown && Interlocked.CompareExchange(ref sectionContext.Section, made, null) is null;
            if (!linked)
            {
                handle!.Dispose();
                return IsTearingDown ? NtStatus.FltDeletingObject : NtStatus.FltContextAlreadyLinked;
            }
            sectionContext.Instance = this;
            sectionContext.AddReference();
            sections.Add(made);
        }
        section = made;
        return NtStatus.Success;
    }

    /// <summary>FltGetSectionContext: the context of this instance's open section on <paramref name="fileObject"/>, referenced; STATUS_NOT_FOUND when none.</summary>
    public NtStatus GetSectionContext(FileObject fileObject, out FltContext? context)
    {
        context = null;
        lock (sections)
        {
            foreach (var s in sections)
            {
                if (s.FileObject != fileObject) continue;
                s.SectionContext.Reference();
                context = s.SectionContext;
                return NtStatus.Success;
            }
        }
        return NtStatus.NotFound;
    }

    /// <summary>Closes one of this instance's sections (its descriptor, and its reference on the context). False if it was closed already.</summary>
    internal bool CloseSection(DataScanSection s)
    {
        lock (sections)
        {
            if (!sections.Remove(s)) return false;
            Interlocked.CompareExchange(ref s.SectionContext.Section, null, s);
        }
        s.CloseHandle();
        s.SectionContext.ReleaseReference();
        return true;
    }

    /// <summary>At detach: what the filter left open is closed (as Windows closes sections at instance teardown).</summary>
    internal void CloseSectionsAtTeardown()
    {
        DataScanSection[] left;
        lock (sections) left = sections.ToArray();
        foreach (var s in left) CloseSection(s);
    }
}
