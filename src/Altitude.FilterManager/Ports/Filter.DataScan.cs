// FltCloseSectionForDataScan, and ObOpenObjectByPointer's role for a data-scan section: during MessageNotify,
// a handle to the section in the FilterSendMessage caller's process (its descriptor rides on the SendResult).
using Altitude.Ports;

namespace Altitude;

public sealed partial class Filter
{
    /// <summary>
    /// FltCloseSectionForDataScan: closes the section made with <paramref name="sectionContext"/> (its descriptor;
    /// handles already passed to a scanner stay valid in its process, as on Windows) and drops the section's
    /// reference on the context. STATUS_INVALID_PARAMETER if it is not this filter's section context or has no open section.
    /// </summary>
    public NtStatus CloseSectionForDataScan(FltContext sectionContext)
    {
        if (sectionContext is null || sectionContext.ContextType != ContextType.Section || sectionContext.Filter != this) return NtStatus.InvalidParameter;
        DataScanSection? section = Volatile.Read(ref sectionContext.Section);
        return section is not null && section.Instance.CloseSection(section) ? NtStatus.Success : NtStatus.InvalidParameter;
    }

    /// <summary>
    /// ObOpenObjectByPointer(Section, …, KernelMode, &amp;Handle) from MessageNotify: opens <paramref name="section"/>
    /// for the process whose FilterSendMessage is being served. The SendResult carries a read-only descriptor of
    /// the section's file, opened afresh by the file system below (its own file offset and status flags, shared
    /// with no other handle), and FilterLib writes its number in that process, as a little-endian 8-byte HANDLE,
    /// at <paramref name="handleOffset"/> of the caller's output buffer (write -1 there as a placeholder and
    /// return a length covering it). The caller owns the handle (closes it). Only on the thread running one of
    /// this filter's MessageNotify callbacks, one handle per call, and only a successful status delivers it
    /// (otherwise it is closed). STATUS_INVALID_PARAMETER: not in MessageNotify, a bad offset, a closed section,
    /// or a second handle; otherwise the file system's failure to open the file again.
    /// </summary>
    public NtStatus OpenSectionForCaller(DataScanSection section, int handleOffset)
    {
        MessageNotifyWorkItem? current = MessageNotifyWorkItem.Current;
        if (section is null || current is null || current.Filter != this) return NtStatus.InvalidParameter;
        if (handleOffset < 0 || handleOffset > current.OutputCapacity - 8 || current.HasHandle || section.IsClosed) return NtStatus.InvalidParameter;
        NtStatus st = section.Instance.Volume.FileSystem.OpenForDataScan(section.FileObject, out var handle, out _);
        if (!st.IsSuccess()) return st;
        // The descriptor leaves the SafeHandle: the SendResult owns it from here (sent, then closed; or closed).
        int fd = (int)handle!.DangerousGetHandle();
        handle.SetHandleAsInvalid();
        current.QueueHandle(fd, handleOffset);
        return NtStatus.Success;
    }
}
