// The callbacks: post-create scans (and refuses infected files), pre-write and pre-set-information mark the stream
// modified (and abort a cleanup scan running on it), pre-cleanup rescans what the handle modified.
namespace Altitude.Samples.AvScan;

public sealed partial class AvScanFilter
{
    /// <summary>
    /// AvPostCreate: a successful open of a file (not a directory) gets the stream context, a scan if the stream needs
    /// one, and, infected, FltCancelFileOpen with STATUS_VIRUS_INFECTED.
    /// </summary>
    private PostOperationStatus PostCreate(CallbackData data, in RelatedObjects objects, object? completionContext, PostOperationFlags flags)
    {
        if ((flags & PostOperationFlags.Draining) != 0 || !data.IoStatus.Status.IsSuccess() || data.IoStatus.Status == NtStatus.Reparse)
            return PostOperationStatus.FinishedProcessing;
        if (objects.FileObject is not { } fo || (fo.Flags & FileObjectFlags.Directory) != 0) return PostOperationStatus.FinishedProcessing;
        Instance instance = objects.Instance!;
        if (!GetOrCreateStreamContext(instance, fo, out AvStreamContext? stream)) return PostOperationStatus.FinishedProcessing;
        using var held = ContextReference.Of(stream);
        // O_TRUNC (or a supersede) emptied the file below: whatever verdict it had is stale.
        if (data.IoStatus.Information is CreateInformation.FileOverwritten or CreateInformation.FileSuperseded) stream!.SetModified();
        ScanIfNeeded(instance, fo, stream!, AvScanReason.OnOpen);
        if (stream!.State == AvFileState.Infected)
        {
            instance.CancelFileOpen(fo);
            data.IoStatus = new IoStatusBlock(NtStatus.VirusInfected, 0);
        }
        return PostOperationStatus.FinishedProcessing;
    }

    /// <summary>
    /// AvPreOperationCallback for WRITE and SET_INFORMATION: a write, a truncate (EndOfFile) or an fallocate
    /// (Allocation: the punch-hole and zero-range modes are FSCTL_SET_ZERO_DATA's) changes the contents. The stream
    /// becomes Modified, the handle is marked for a cleanup scan, and a cleanup scan already running on the stream is
    /// aborted (the section's conflicting-I/O notification in the WDK). The post-op marks the stream again.
    /// </summary>
    private PreOperationStatus PreModify(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        if (data.Iopb.MajorFunction == MajorFunction.SetInformation
            && data.Iopb.Parameters.SetFileInformation.FileInformationClass is not (FileInformationClass.FileEndOfFileInformation or FileInformationClass.FileAllocationInformation))
            return PreOperationStatus.SuccessNoCallback;
        if (objects.FileObject is not { } fo) return PreOperationStatus.SuccessNoCallback;
        Instance instance = objects.Instance!;
        if (!instance.GetStreamContext(fo, out AvStreamContext? stream).IsSuccess()) return PreOperationStatus.SuccessNoCallback;
        using var held = ContextReference.Of(stream);
        MarkModified(stream!);
        MarkHandleModified(instance, fo);
        return PreOperationStatus.SuccessWithCallback;
    }

    /// <summary>
    /// The post-op of a modification: a scan that began between the pre-op and the write reaching the file read the
    /// old contents, so the stream is marked again and its verdict not kept (a scan running now is aborted).
    /// </summary>
    private PostOperationStatus PostModify(CallbackData data, in RelatedObjects objects, object? completionContext, PostOperationFlags flags)
    {
        if (objects.FileObject is not { } fo || !objects.Instance!.GetStreamContext(fo, out AvStreamContext? stream).IsSuccess())
            return PostOperationStatus.FinishedProcessing;
        using var held = ContextReference.Of(stream);
        MarkModified(stream!);
        return PostOperationStatus.FinishedProcessing;
    }

    private void MarkModified(AvStreamContext stream)
    {
        stream.SetModified();
        if (stream.RunningScan is { Cancelable: true } scan) SendAbort(scan);
    }

    /// <summary>AvPreCleanup: a handle that modified its file scans it again; the verdict is kept for the next open, nothing is denied here.</summary>
    private PreOperationStatus PreCleanup(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        if (objects.FileObject is not { } fo) return PreOperationStatus.SuccessNoCallback;
        Instance instance = objects.Instance!;
        if (!instance.GetStreamHandleContext(fo, out AvStreamHandleContext? handle).IsSuccess()) return PreOperationStatus.SuccessNoCallback;
        handle!.Release();
        if (!instance.GetStreamContext(fo, out AvStreamContext? stream).IsSuccess()) return PreOperationStatus.SuccessNoCallback;
        using var held = ContextReference.Of(stream);
        ScanIfNeeded(instance, fo, stream!, AvScanReason.OnCleanup);
        return PreOperationStatus.SuccessNoCallback;
    }

    /// <summary>The handle's context, once (KEEP_IF_EXISTS): its presence is the mark.</summary>
    private void MarkHandleModified(Instance instance, FileObject fo)
    {
        if (instance.GetStreamHandleContext(fo, out AvStreamHandleContext? found).IsSuccess())
        {
            found!.Release();
            return;
        }
        if (!filter.AllocateContext(ContextType.StreamHandle, ContextSize, out AvStreamHandleContext? made).IsSuccess()) return;
        using var held = ContextReference.Of(made);
        instance.SetStreamHandleContext(fo, ContextSetOperation.KeepIfExists, made!);
    }

    /// <summary>AvCreateStreamContext + FltSetStreamContext(KEEP_IF_EXISTS): a new stream starts Modified; a racing open's context wins.</summary>
    private bool GetOrCreateStreamContext(Instance instance, FileObject fo, out AvStreamContext? stream)
    {
        if (instance.GetStreamContext(fo, out stream).IsSuccess()) return true;
        if (!filter.AllocateContext(ContextType.Stream, ContextSize, out AvStreamContext? made).IsSuccess()) return false;
        NtStatus st = instance.SetStreamContext(fo, ContextSetOperation.KeepIfExists, made!, out AvStreamContext? old);
        if (st.IsSuccess())
        {
            stream = made;
            return true;
        }
        made!.Release();
        if (st != NtStatus.FltContextAlreadyDefined) return false;
        stream = old;
        return true;
    }
}
