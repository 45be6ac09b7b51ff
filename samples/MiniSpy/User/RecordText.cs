// The screen line and the tab-separated file line of a record (ScreenDump and FileDump in mspyLog.c, x64 layouts),
// and the memory notes that follow a record flagged OUT_OF_MEMORY or EXCEED_MEMORY_ALLOWANCE.
using System.Globalization;
using System.Text;

namespace Altitude.Samples.MiniSpy.User;

internal static class RecordText
{
    public const string ScreenHeader =
        "Opr  SeqNum   PreOp Time  PostOp Time   Process.Thrd      Major/Minor Operation          IrpFlags          DevObj           FileObj          Transact       status:inform                               Arguments                                                                             Name";
    public const string ScreenRule =
        "--- -------- ------------ ------------ ------------- ----------------------------------- ------------- ---------------- ---------------- ---------------- ------------------------- --------------------------------------------------------------------------------------------------------- -----------------------------------";
    public const string FileHeader =
        "Opr\t  SeqNum  \t PreOp Time \tPostOp Time \t Process.Thrd\t          Major Operation          \t          Minor Operation          \t   IrpFlags    \t      DevObj      \t     FileObj      \t    Transactn     \t    status:inform            \t      Arg 1       \t      Arg 2       \t      Arg 3       \t      Arg 4       \t      Arg 5       \t  Arg 6   \tName";
    public const string FileRule =
        "---\t----------\t------------\t------------\t-------------\t-----------------------------------\t-----------------------------------\t---------------\t------------------\t------------------\t------------------\t-----------------------------\t------------------\t------------------\t------------------\t------------------\t------------------\t----------\t--------------------------------------------------";

    private static readonly string MinorIndent = new(' ', 69);

    /// <summary>The screen line, and the minor's line (null when the major has no minor codes).</summary>
    public static (string Line, string? MinorLine) Screen(in LogRecordView r)
    {
        var s = new StringBuilder(400);
        s.Append(r.OperationKind).Append(' ');
        s.Append(Hex(r.SequenceNumber, "X8")).Append(' ');
        s.Append(Time(r.OriginatingTime).PadRight(12)).Append(' ');
        s.Append(Time(r.CompletionTime).PadRight(12)).Append(' ');
        AppendProcessThread(s, r).Append(' ');
        s.Append(IrpNames.Major(r.MajorId).PadRight(35)).Append(' ');
        s.Append(Hex(r.IrpFlags, "x8")).Append(' ');
        AppendIrpLetters(s, r.IrpFlags).Append(' ');
        s.Append(Pointer(r.DeviceObject)).Append(' ');
        s.Append(Pointer(r.FileObject)).Append(' ');
        s.Append(Pointer(r.Transaction)).Append(' ');
        s.Append(Hex(r.Status, "x8")).Append(':').Append(Pointer(r.Information)).Append(' ');
        for (int n = 1; n <= 5; n++) s.Append(n).Append(':').Append(Pointer(r.Arg(n))).Append(' ');
        s.Append("6:").Append(Hex(r.Arg(6), "x8")).Append(' ');
        s.Append(r.Name);
        string? minor = IrpNames.Minor(r.MajorId, r.MinorId);
        return (s.ToString(), minor is null ? null : MinorIndent + minor.PadRight(35));
    }

    /// <summary>The file line: tab-separated, the sequence number as 0x%08X, major and minor in 35 columns each.</summary>
    public static string File(in LogRecordView r)
    {
        var s = new StringBuilder(400);
        s.Append(r.OperationKind);
        s.Append("\t0x").Append(Hex(r.SequenceNumber, "X8"));
        s.Append('\t').Append(Time(r.OriginatingTime).PadRight(12));
        s.Append('\t').Append(Time(r.CompletionTime).PadRight(12));
        s.Append('\t');
        AppendProcessThread(s, r).Append(' ');
        s.Append('\t').Append(IrpNames.Major(r.MajorId).PadRight(35));
        s.Append('\t').Append((IrpNames.Minor(r.MajorId, r.MinorId) ?? "").PadRight(35));
        s.Append("\t0x").Append(Hex(r.IrpFlags, "x8")).Append(' ');
        AppendIrpLetters(s, r.IrpFlags);
        s.Append("\t0x").Append(Pointer(r.DeviceObject));
        s.Append("\t0x").Append(Pointer(r.FileObject));
        s.Append("\t0x").Append(Pointer(r.Transaction));
        s.Append("\t0x").Append(Hex(r.Status, "x8")).Append(":0x").Append(Pointer(r.Information));
        for (int n = 1; n <= 5; n++) s.Append("\t0x").Append(Pointer(r.Arg(n)));
        s.Append("\t0x").Append(Hex(r.Arg(6), "x8"));
        s.Append('\t').Append(r.Name);
        return s.ToString();
    }

    /// <summary>The memory note of a record, screen form (null when it carries none).</summary>
    public static string? ScreenMemoryNote(in LogRecordView r) => MemoryText(r.RecordType) is { } t ? $"M:  {Hex(r.SequenceNumber, "X8")} {t}" : null;

    /// <summary>The memory note of a record, file form (null when it carries none).</summary>
    public static string? FileMemoryNote(in LogRecordView r) => MemoryText(r.RecordType) is { } t ? $"M:\t0x{Hex(r.SequenceNumber, "X8")}\t{t}" : null;

    private static string? MemoryText(uint recordType) =>
        (recordType & RecordType.FlagOutOfMemory) != 0 ? "System Out of Memory"
        : (recordType & RecordType.FlagExceedMemoryAllowance) != 0 ? "Exceeded Mamimum Allowed Memory Buffers" : null;

    /// <summary>Local time as HH:MM:SS:mmm (FormatSystemTime after FileTimeToLocalFileTime), or "time error".</summary>
    public static string Time(long fileTime)
    {
        if (fileTime <= 0) return "time error";
        try
        {
            DateTime t = DateTime.FromFileTimeUtc(fileTime).ToLocalTime();
            return t.ToString("HH':'mm':'ss':'fff", CultureInfo.InvariantCulture);
        }
        catch (ArgumentOutOfRangeException) { return "time error"; }
    }

    /// <summary>%8Ix.%-4Ix: the pid right-aligned in 8, the tid left-aligned in 4, lowercase hex.</summary>
    private static StringBuilder AppendProcessThread(StringBuilder s, in LogRecordView r) =>
        s.Append(Hex(r.ProcessId, "x").PadLeft(8)).Append('.').Append(Hex(r.ThreadId, "x").PadRight(4));

    /// <summary>N (no cache), P (paging), S (synchronous API), Y (synchronous paging), or '-' for each.</summary>
    private static StringBuilder AppendIrpLetters(StringBuilder s, uint irpFlags) => s
        .Append((irpFlags & RecordIrpFlags.NoCache) != 0 ? 'N' : '-')
        .Append((irpFlags & RecordIrpFlags.PagingIo) != 0 ? 'P' : '-')
        .Append((irpFlags & RecordIrpFlags.SynchronousApi) != 0 ? 'S' : '-')
        .Append((irpFlags & RecordIrpFlags.SynchronousPagingIo) != 0 ? 'Y' : '-');

    /// <summary>%p on x64: 16 uppercase hex digits.</summary>
    private static string Pointer(ulong value) => value.ToString("X16", CultureInfo.InvariantCulture);

    private static string Hex(ulong value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
