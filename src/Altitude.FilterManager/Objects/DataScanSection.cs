// The section object of FltCreateSectionForDataScan: here a read-only descriptor of the backing file
// (O_RDONLY|O_CLOEXEC, opened through the backing file system's node fd, never by a path under the mount).
// A scanner maps or reads it; ObOpenObjectByPointer's role (a handle in the caller's process) is
// Filter.OpenSectionForCaller, which passes a duplicate over the port (docs/port-protocol.md, section 2).
using Microsoft.Win32.SafeHandles;

namespace Altitude;

/// <summary>
/// A section for data scan (SectionHandle/SectionObject of FltCreateSectionForDataScan). It holds the section
/// context (one reference) until <see cref="Filter.CloseSectionForDataScan"/>, which closes the descriptor.
/// Mapped reads of it go to the backing file directly: no filter sees them (docs/deviations.md).
/// </summary>
public sealed class DataScanSection
{
    private readonly SafeFileHandle handle;

    internal DataScanSection(Instance instance, FileObject fileObject, FltContext context, SafeFileHandle handle, long fileSize)
    {
        Instance = instance;
        FileObject = fileObject;
        SectionContext = context;
        this.handle = handle;
        FileSize = fileSize;
    }

    public Instance Instance { get; }
    public FileObject FileObject { get; }
    public FltContext SectionContext { get; }
    /// <summary>SectionFileSize: the file's size when the section was made (a mapping of the file covers it).</summary>
    public long FileSize { get; }
    /// <summary>True once CloseSectionForDataScan (or the instance's teardown) closed it.</summary>
    public bool IsClosed => handle.IsClosed;

    /// <summary>
    /// The read-only descriptor, for the filter's own reads with RandomAccess.Read. Never map it in the daemon: a
    /// truncate during the scan would make touching the mapping raise SIGBUS and kill fltmgrd with every volume.
    /// Valid until the section is closed; do not dispose it (CloseSectionForDataScan does).
    /// </summary>
    public SafeFileHandle Handle => handle;

    internal void CloseHandle() => handle.Dispose();
}
