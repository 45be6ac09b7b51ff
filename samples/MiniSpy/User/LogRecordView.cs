// One LOG_RECORD as received from GetMiniSpyLog, read field by field from the buffer (mspyLog.c walks the same bytes).
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Altitude.Samples.MiniSpy.User;

/// <summary>A view of one record in the receive buffer; valid until the next poll reuses the buffer.</summary>
internal readonly ref struct LogRecordView
{
    private readonly ReadOnlySpan<byte> r;

    public LogRecordView(ReadOnlySpan<byte> record) => r = record;

    private uint U32(int at) => BinaryPrimitives.ReadUInt32LittleEndian(r.Slice(at));
    private ulong U64(int at) => BinaryPrimitives.ReadUInt64LittleEndian(r.Slice(at));

    public int Length => (int)U32(LogRecordLayout.Length);
    public uint SequenceNumber => U32(LogRecordLayout.SequenceNumber);
    public uint RecordType => U32(LogRecordLayout.RecordTypeOffset);
    public long OriginatingTime => (long)U64(LogRecordLayout.OriginatingTime);
    public long CompletionTime => (long)U64(LogRecordLayout.CompletionTime);
    public ulong DeviceObject => U64(LogRecordLayout.DeviceObject);
    public ulong FileObject => U64(LogRecordLayout.FileObject);
    public ulong Transaction => U64(LogRecordLayout.Transaction);
    public ulong ProcessId => U64(LogRecordLayout.ProcessId);
    public ulong ThreadId => U64(LogRecordLayout.ThreadId);
    public ulong Information => U64(LogRecordLayout.Information);
    public uint Status => U32(LogRecordLayout.Status);
    public uint IrpFlags => U32(LogRecordLayout.IrpFlags);
    public uint Flags => U32(LogRecordLayout.Flags);
    public byte MajorId => r[LogRecordLayout.CallbackMajorId];
    public byte MinorId => r[LogRecordLayout.CallbackMinorId];
    public ulong Arg(int n) => U64(LogRecordLayout.Arg(n));

    /// <summary>The name up to its NUL (or the end of the record).</summary>
    public string Name
    {
        get
        {
            ReadOnlySpan<char> chars = MemoryMarshal.Cast<byte, char>(r.Slice(LogRecordLayout.Name, (Length - LogRecordLayout.Name) & ~1));
            int nul = chars.IndexOf('\0');
            return new string(nul < 0 ? chars : chars.Slice(0, nul));
        }
    }

    /// <summary>IRP, FIO, FSF or ERR, from the callback data flags.</summary>
    public string OperationKind =>
        (Flags & RecordDataFlags.IrpOperation) != 0 ? "IRP"
        : (Flags & RecordDataFlags.FastIoOperation) != 0 ? "FIO"
        : (Flags & RecordDataFlags.FsFilterOperation) != 0 ? "FSF" : "ERR";
}
