// FltCloseSectionForDataScan, and ObOpenObjectByPointer's role for a data-scan section: during MessageNotify,
// a handle to the section in the FilterSendMessage caller's process (its descriptor rides on the SendResult).
using Altitude.Ports;
using Altitude.Ports.Interop;

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
        Instance? instance = Volatile.Read(ref sectionContext.Section)?.Instance;
        return instance is not null && instance.CloseSection(sectionContext) ? NtStatus.Success : NtStatus.InvalidParameter;
    }

    /// <summary>
    /// ObOpenObjectByPointer(Section, …, KernelMode, &amp;Handle) from MessageNotify: opens <paramref name="section"/>
    /// for the process whose FilterSendMessage is being served. The SendResult carries a read-only duplicate of
    /// the section's descriptor, and FilterLib writes its number in that process, as a little-endian 8-byte
    /// HANDLE, at <paramref name="handleOffset"/> of the caller's output buffer (write a placeholder there and
    /// return a length covering it). The caller owns the handle (closes it). Only on the thread running one of
    /// this filter's MessageNotify callbacks, one handle per call, and only a successful status delivers it
    /// (otherwise it is closed). STATUS_INVALID_PARAMETER: not in MessageNotify, a bad offset, a closed section,
    /// or a second handle; STATUS_INSUFFICIENT_RESOURCES when the descriptor cannot be duplicated.
    /// </summary>
    public NtStatus OpenSectionForCaller(DataScanSection section, int handleOffset)
    {
        MessageNotifyWorkItem? current = MessageNotifyWorkItem.Current;
        if (section is null || current is null || current.Filter != this) return NtStatus.InvalidParameter;
        if (handleOffset < 0 || handleOffset > current.OutputCapacity - 8 || current.HasHandle) return NtStatus.InvalidParameter;
        bool added = false;
        try
        {
            section.Handle.DangerousAddRef(ref added);
            int dup = PortInterop.Duplicate((int)section.Handle.DangerousGetHandle());
            if (dup < 0) return NtStatus.InsufficientResources;
            current.QueueHandle(dup, handleOffset);
            return NtStatus.Success;
        }
        catch (ObjectDisposedException)
        {
            return NtStatus.InvalidParameter;   // closed meanwhile
        }
        finally
        {
            if (added) section.Handle.DangerousRelease();
        }
    }
}
