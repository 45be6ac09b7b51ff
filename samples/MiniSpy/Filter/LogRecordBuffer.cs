// One log record: a block that holds a LOG_RECORD exactly as the port returns it (the lookaside block of the WDK's
// RECORD_LIST), written in place by the pre- and post-operation callbacks. Blocks are reused, so logging an operation
// allocates nothing.
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Altitude.Samples.MiniSpy;

/// <summary>A LOG_RECORD in its own block, linked into the outstanding queue while it waits for the user program.</summary>
internal sealed class LogRecordBuffer
{
    /// <summary>The record's bytes: LOG_RECORD, then the NUL-terminated name (at most MAX_NAME_SPACE bytes).</summary>
    public readonly byte[] Bytes = new byte[LogRecordLayout.MaxRecordLength];

    /// <summary>The next record in the outstanding queue (owned by <see cref="RecordPool"/>).</summary>
    public LogRecordBuffer? Next;

    /// <summary>True for the one static record used when the pool is exhausted.</summary>
    public readonly bool IsStatic;

    public LogRecordBuffer(bool isStatic = false) => IsStatic = isStatic;

    public int Length => (int)BinaryPrimitives.ReadUInt32LittleEndian(Bytes);

    /// <summary>SpyNewRecord's part: a fresh header, RECORD_DATA zeroed, no name yet.</summary>
    public void Initialize(uint sequenceNumber, uint recordType)
    {
        Span<byte> b = Bytes;
        b.Slice(0, LogRecordLayout.Name).Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(b, LogRecordLayout.Name);
        BinaryPrimitives.WriteUInt32LittleEndian(b.Slice(LogRecordLayout.SequenceNumber), sequenceNumber);
        BinaryPrimitives.WriteUInt32LittleEndian(b.Slice(LogRecordLayout.RecordTypeOffset), recordType);
    }

    /// <summary>
    /// The space the name is written into (MAX_NAME_SPACE less the NUL, as characters). Fill a prefix of it and call
    /// <see cref="CommitName"/> with the number of characters written.
    /// </summary>
    public Span<char> NameSpace => MemoryMarshal.Cast<byte, char>(Bytes.AsSpan(LogRecordLayout.Name, LogRecordLayout.MaxNameSpace - 2));

    /// <summary>Copies as much of <paramref name="name"/> as fits; returns the characters written.</summary>
    public static int Append(Span<char> destination, int at, ReadOnlySpan<char> text)
    {
        int n = Math.Min(text.Length, destination.Length - at);
        if (n <= 0) return at;
        text.Slice(0, n).CopyTo(destination.Slice(at));
        return at + n;
    }

    /// <summary>Terminates the name and sets Length: LOG_RECORD + name + NUL, rounded to a pointer (SpySetRecordName).</summary>
    public void CommitName(int characters)
    {
        int nameBytes = characters * 2;
        Bytes.AsSpan(LogRecordLayout.Name + nameBytes, 2).Clear();
        int length = LogRecordLayout.RoundToPointer(LogRecordLayout.Name + nameBytes + 2);
        // The padding after the NUL leaves nothing of an earlier, longer name to the reader.
        Bytes.AsSpan(LogRecordLayout.Name + nameBytes + 2, length - LogRecordLayout.Name - nameBytes - 2).Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(Bytes, (uint)length);
    }

    public void WriteUInt32(int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Bytes.AsSpan(offset), value);
    public void WriteInt64(int offset, long value) => BinaryPrimitives.WriteInt64LittleEndian(Bytes.AsSpan(offset), value);
    public void WriteUInt64(int offset, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Bytes.AsSpan(offset), value);
    public void WriteByte(int offset, byte value) => Bytes[offset] = value;
}
