// Pre- and post-create: the trusted process bypass, the scan on open, cancelling an unsafe open, and the stream-handle
// context that marks handles with write access for scanning their writes and rescanning at cleanup.
namespace Altitude.Samples.Scanner;

public sealed partial class ScannerFilter
{
    private const NameOptions NameQuery = NameOptions.Normalized | NameOptions.QueryDefault;

    /// <summary>
    /// ScannerPreCreate. The scanner's own opens are never scanned (it would wait for itself); everyone else's get the
    /// post-create, where the file exists and can be read.
    /// </summary>
    private PreOperationStatus PreCreate(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        int scanner = clientProcessId;
        if (scanner != 0 && data.GetRequestorProcessId() == (uint)scanner) return PreOperationStatus.SuccessNoCallback;
        return PreOperationStatus.SuccessWithCallback;
    }

    /// <summary>
    /// ScannerPostCreate: for a successful open of a watched extension, scan the file's first bytes. Unsafe: cancel
    /// the open (the file systems below see it closed) and fail it with STATUS_ACCESS_DENIED for the ones above and
    /// the caller (EACCES). Safe and opened with write access: a stream-handle context asks for the writes to be
    /// scanned and for a rescan at cleanup.
    /// </summary>
    private PostOperationStatus PostCreate(CallbackData data, in RelatedObjects objects, object? completionContext, PostOperationFlags flags)
    {
        // A failed create has nothing to scan; a draining copy has nothing to decide.
        if ((flags & PostOperationFlags.Draining) != 0 || !data.IoStatus.Status.IsSuccess() || data.IoStatus.Status == NtStatus.Reparse)
            return PostOperationStatus.FinishedProcessing;
        if (objects.FileObject is not { } fo || (fo.Flags & FileObjectFlags.Directory) != 0) return PostOperationStatus.FinishedProcessing;
        Instance instance = objects.Instance!;

        if (!data.GetFileNameInformation(NameQuery, out FileNameInformation? name).IsSuccess()) return PostOperationStatus.FinishedProcessing;
        bool watched = settings.IsScanned(name!.Extension.Span);
        name.Release();
        if (!watched) return PostOperationStatus.FinishedProcessing;

        if (!Allows(ScanFile(instance, fo)))
        {
            instance.CancelFileOpen(fo);
            data.IoStatus = new IoStatusBlock(NtStatus.AccessDenied, 0);
            return PostOperationStatus.FinishedProcessing;
        }

        const uint WriteAccess = AccessMask.FileWriteData | AccessMask.FileAppendData;
        if ((data.Iopb.Parameters.Create.DesiredAccess & WriteAccess) != 0) SetRescanContext(instance, fo);
        return PostOperationStatus.FinishedProcessing;
    }

    /// <summary>A fresh context with RescanRequired, replacing any (REPLACE_IF_EXISTS, as the sample).</summary>
    private void SetRescanContext(Instance instance, FileObject fo)
    {
        if (!Filter!.AllocateContext(ContextType.StreamHandle, StreamHandleContextSize, out ScannerStreamHandleContext? context).IsSuccess()) return;
        using var held = ContextReference.Of(context);   // our allocation reference goes, set or not
        context!.RescanRequired = true;
        instance.SetStreamHandleContext(fo, ContextSetOperation.ReplaceIfExists, context);
    }
}
