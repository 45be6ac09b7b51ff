// The pre- and post-operation callbacks every major shares (SpyPreOperationCallback, SpyPostOperationCallback) and the
// name a record carries. Nothing here allocates in the steady state: records come from the pool, names are copied into
// the record's block, and the fallback texts are formatted in place.
using System.Runtime.CompilerServices;

namespace Altitude.Samples.MiniSpy;

public sealed partial class MiniSpyFilter
{
    /// <summary>
    /// Every pre-op: take a record (none left: the operation goes unlogged), name it, fill RECORD_DATA, and ask for the
    /// post-op with the record as the completion context. SHUTDOWN has no post-op: its record is completed here.
    /// </summary>
    private PreOperationStatus PreOperation(CallbackData data, in RelatedObjects fltObjects, out object? completionContext)
    {
        completionContext = null;
        LogRecordBuffer? record = records.NewRecord();
        if (record is null) return PreOperationStatus.SuccessNoCallback;

        record.CommitName(WriteName(record.NameSpace, data, fltObjects));
        LogPreOperationData(record, data, fltObjects);

        if (data.Iopb.MajorFunction == MajorFunction.Shutdown)
        {
            LogPostOperationData(record, data);
            records.Enqueue(record);
            return PreOperationStatus.SuccessNoCallback;
        }
        completionContext = record;
        return PreOperationStatus.SuccessWithCallback;
    }

    /// <summary>
    /// Every post-op: while the instance drains, only free the record; otherwise add the status, the information and the
    /// completion time, and queue it. (The WDK also logs a FILETAG record when the operation returned reparse tag data;
    /// Linux has no reparse tags, so TagData is never set.)
    /// </summary>
    private PostOperationStatus PostOperation(CallbackData data, in RelatedObjects fltObjects, object? completionContext, PostOperationFlags flags)
    {
        if (completionContext is not LogRecordBuffer record) return PostOperationStatus.FinishedProcessing;
        if ((flags & PostOperationFlags.Draining) != 0)
        {
            records.Free(record);
            return PostOperationStatus.FinishedProcessing;
        }
        LogPostOperationData(record, data);
        records.Enqueue(record);
        return PostOperationStatus.FinishedProcessing;
    }

    /// <summary>SpyLogPreOperationData: what the operation is, on what, for whom, with which arguments, and when it began.</summary>
    private static void LogPreOperationData(LogRecordBuffer record, CallbackData data, in RelatedObjects fltObjects)
    {
        record.WriteInt64(LogRecordLayout.OriginatingTime, DateTime.UtcNow.ToFileTimeUtc());
        record.WriteByte(LogRecordLayout.CallbackMajorId, (byte)data.Iopb.MajorFunction);
        record.WriteByte(LogRecordLayout.CallbackMinorId, data.Iopb.MinorFunction);
        record.WriteUInt32(LogRecordLayout.IrpFlags, data.Iopb.IrpFlags);
        record.WriteUInt32(LogRecordLayout.Flags, (uint)data.Flags);
        // FILE_IDs: the objects' identities (the WDK logs their addresses); Transaction stays 0 (no KTM; Initialize cleared it).
        record.WriteUInt64(LogRecordLayout.DeviceObject, (uint)RuntimeHelpers.GetHashCode(fltObjects.Volume));
        record.WriteUInt64(LogRecordLayout.FileObject, fltObjects.FileObject is { } fo ? (uint)RuntimeHelpers.GetHashCode(fo) : 0);
        record.WriteUInt64(LogRecordLayout.ProcessId, data.GetRequestorProcessId());
        record.WriteUInt64(LogRecordLayout.ThreadId, (uint)Math.Max(0, data.Requestor.ThreadId));
        OperationArguments.Write(record, data);
    }

    /// <summary>SpyLogPostOperationData: how it ended and when.</summary>
    private static void LogPostOperationData(LogRecordBuffer record, CallbackData data)
    {
        record.WriteUInt32(LogRecordLayout.Status, (uint)data.IoStatus.Status);
        record.WriteInt64(LogRecordLayout.Information, data.IoStatus.Information);
        record.WriteInt64(LogRecordLayout.CompletionTime, DateTime.UtcNow.ToFileTimeUtc());
    }

    /// <summary>
    /// The record's name: the normalized name by the configured query method; failing that <c>&lt;%08x&gt; opened name</c>
    /// (the normalize status, then the name as opened, asked of the file system); failing both
    /// <c>&lt;NO NAME: NormalizeStatus=%08x OpenedStatus=%08x&gt;</c>; <c>&lt;NO NAME&gt;</c> without a file object. A rename or
    /// link adds <c> -&gt; </c> and the destination's normalized name (Altitude's addition, as the WDK adds ECP text to creates).
    /// Returns the characters written.
    /// </summary>
    private int WriteName(Span<char> name, CallbackData data, in RelatedObjects fltObjects)
    {
        if (fltObjects.FileObject is not { } fo) return LogRecordBuffer.Append(name, 0, "<NO NAME>");
        int at;
        NtStatus normalizeStatus = data.GetFileNameInformation(NameOptions.Normalized | nameQueryMethod, out FileNameInformation? info);
        if (normalizeStatus.IsSuccess())
        {
            at = LogRecordBuffer.Append(name, 0, info!.Name);
            info.Release();
        }
        else
        {
            NtStatus openedStatus = data.GetFileNameInformation(NameOptions.Opened | NameOptions.QueryFileSystemOnly, out FileNameInformation? opened);
            if (openedStatus.IsSuccess())
            {
                at = LogRecordBuffer.Append(name, 0, "<");
                at = AppendHex(name, at, (uint)normalizeStatus);
                at = LogRecordBuffer.Append(name, at, "> ");
                at = LogRecordBuffer.Append(name, at, opened!.Name);
                opened.Release();
            }
            else
            {
                at = LogRecordBuffer.Append(name, 0, "<NO NAME: NormalizeStatus=");
                at = AppendHex(name, at, (uint)normalizeStatus);
                at = LogRecordBuffer.Append(name, at, " OpenedStatus=");
                at = AppendHex(name, at, (uint)openedStatus);
                at = LogRecordBuffer.Append(name, at, ">");
            }
        }
        if (data.Iopb.MajorFunction == MajorFunction.SetInformation
            && data.Iopb.Parameters.SetFileInformation.FileInformationClass is FileInformationClass.FileRenameInformationEx or FileInformationClass.FileRenameInformation
                or FileInformationClass.FileLinkInformationEx or FileInformationClass.FileLinkInformation
            && fltObjects.Instance is { } instance)
        {
            ref readonly SetFileInformationParameters p = ref data.Iopb.Parameters.SetFileInformation;
            if (instance.GetDestinationFileNameInformation(fo, p.DestinationDirectory, p.DestinationName.Span, NameOptions.Normalized | nameQueryMethod,
                    out FileNameInformation? destination).IsSuccess())
            {
                at = LogRecordBuffer.Append(name, at, " -> ");
                at = LogRecordBuffer.Append(name, at, destination!.Name);
                destination.Release();
            }
        }
        return at;
    }

    /// <summary>%08x into the name, in place.</summary>
    private static int AppendHex(Span<char> name, int at, uint value)
    {
        Span<char> hex = stackalloc char[8];
        value.TryFormat(hex, out int written, "x8");
        return LogRecordBuffer.Append(name, at, hex.Slice(0, written));
    }
}
