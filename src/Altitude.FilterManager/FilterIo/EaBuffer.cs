// The two EA buffer layouts of ntifs.h, as FltQueryEaFile and FltSetEaFile take them: FILE_FULL_EA_INFORMATION
// {ULONG NextEntryOffset; UCHAR Flags; UCHAR EaNameLength; USHORT EaValueLength; CHAR EaName[]; NUL; value} and
// FILE_GET_EA_INFORMATION {ULONG NextEntryOffset; UCHAR EaNameLength; CHAR EaName[]; NUL}. Entries start on 4-byte
// boundaries; the last has NextEntryOffset 0. Little-endian, as on every platform .NET runs Altitude on.
using System.Buffers.Binary;

namespace Altitude;

/// <summary>Writes and reads FILE_FULL_EA_INFORMATION and FILE_GET_EA_INFORMATION lists.</summary>
public static class EaBuffer
{
    /// <summary>FILE_NEED_EA: the file needs this EA to be understood (kept in the buffer, no meaning on Linux).</summary>
    public const byte FileNeedEa = 0x80;

    /// <summary>Bytes of one FILE_FULL_EA_INFORMATION entry, without padding.</summary>
    public static int FullEntrySize(int nameLength, int valueLength) => 8 + nameLength + 1 + valueLength;

    /// <summary>Bytes of one FILE_GET_EA_INFORMATION entry, without padding.</summary>
    public static int GetEntrySize(int nameLength) => 5 + nameLength + 1;

    internal static int Align4(int n) => (n + 3) & ~3;

    /// <summary>
    /// Appends a FILE_FULL_EA_INFORMATION entry at <paramref name="length"/> (the bytes used so far, updated) and links the
    /// previous entry to it. False (buffer unchanged) when it does not fit, or the name is longer than 255 or the value than 65535.
    /// </summary>
    public static bool TryAppendFull(Span<byte> buffer, ref int length, ref int lastEntry, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, byte flags = 0)
    {
        if (name.Length is 0 or > 255 || value.Length > ushort.MaxValue) return false;
        int at = length == 0 ? 0 : Align4(length);
        int size = FullEntrySize(name.Length, value.Length);
        if (at + size > buffer.Length) return false;
        if (length != 0) BinaryPrimitives.WriteUInt32LittleEndian(buffer[lastEntry..], (uint)(at - lastEntry));
        buffer[length..at].Clear();
        Span<byte> e = buffer.Slice(at, size);
        BinaryPrimitives.WriteUInt32LittleEndian(e, 0);
        e[4] = flags;
        e[5] = (byte)name.Length;
        BinaryPrimitives.WriteUInt16LittleEndian(e[6..], (ushort)value.Length);
        name.CopyTo(e[8..]);
        e[8 + name.Length] = 0;
        value.CopyTo(e[(9 + name.Length)..]);
        lastEntry = at;
        length = at + size;
        return true;
    }

    /// <summary>Appends a FILE_GET_EA_INFORMATION entry (an EaList for FltQueryEaFile); as <see cref="TryAppendFull"/>.</summary>
    public static bool TryAppendGet(Span<byte> buffer, ref int length, ref int lastEntry, ReadOnlySpan<byte> name)
    {
        if (name.Length is 0 or > 255) return false;
        int at = length == 0 ? 0 : Align4(length);
        int size = GetEntrySize(name.Length);
        if (at + size > buffer.Length) return false;
        if (length != 0) BinaryPrimitives.WriteUInt32LittleEndian(buffer[lastEntry..], (uint)(at - lastEntry));
        buffer[length..at].Clear();
        Span<byte> e = buffer.Slice(at, size);
        BinaryPrimitives.WriteUInt32LittleEndian(e, 0);
        e[4] = (byte)name.Length;
        name.CopyTo(e[5..]);
        e[5 + name.Length] = 0;
        lastEntry = at;
        length = at + size;
        return true;
    }

    /// <summary>
    /// IoCheckEaBufferValidity: every entry lies inside the buffer, is 4-byte aligned, has a NUL after its name, and the
    /// chain ends with NextEntryOffset 0. On failure <paramref name="errorOffset"/> is the offset of the bad entry.
    /// </summary>
    public static bool IsValidFull(ReadOnlySpan<byte> buffer, out int errorOffset)
    {
        int at = 0;
        while (true)
        {
            errorOffset = at;
            if (at + 9 > buffer.Length) return false;
            uint next = BinaryPrimitives.ReadUInt32LittleEndian(buffer[at..]);
            int nameLength = buffer[at + 5];
            int valueLength = BinaryPrimitives.ReadUInt16LittleEndian(buffer[(at + 6)..]);
            int size = FullEntrySize(nameLength, valueLength);
            if (nameLength == 0 || at + size > buffer.Length || buffer[at + 8 + nameLength] != 0) return false;
            if (next == 0) return true;
            if ((next & 3) != 0 || next < size || at + (long)next >= buffer.Length) return false;
            at += (int)next;
        }
    }

    /// <summary>Checks a FILE_GET_EA_INFORMATION list the same way.</summary>
    public static bool IsValidGet(ReadOnlySpan<byte> buffer, out int errorOffset)
    {
        int at = 0;
        while (true)
        {
            errorOffset = at;
            if (at + 6 > buffer.Length) return false;
            uint next = BinaryPrimitives.ReadUInt32LittleEndian(buffer[at..]);
            int nameLength = buffer[at + 4];
            int size = GetEntrySize(nameLength);
            if (nameLength == 0 || at + size > buffer.Length || buffer[at + 5 + nameLength] != 0) return false;
            if (next == 0) return true;
            if ((next & 3) != 0 || next < size || at + (long)next >= buffer.Length) return false;
            at += (int)next;
        }
    }

    /// <summary>Walks a valid FILE_FULL_EA_INFORMATION list: <c>foreach (var ea in EaBuffer.ReadFull(buffer))</c>.</summary>
    public static FullEaEnumerator ReadFull(ReadOnlySpan<byte> buffer) => new(buffer);

    /// <summary>Walks a valid FILE_GET_EA_INFORMATION list, yielding the names.</summary>
    public static GetEaEnumerator ReadGet(ReadOnlySpan<byte> buffer) => new(buffer);
}

/// <summary>One FILE_FULL_EA_INFORMATION entry (views into the buffer).</summary>
public readonly ref struct FullEaEntry
{
    internal FullEaEntry(byte flags, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) { Flags = flags; Name = name; Value = value; }
    public byte Flags { get; }
    public ReadOnlySpan<byte> Name { get; }
    public ReadOnlySpan<byte> Value { get; }
}

/// <summary>Enumerates FILE_FULL_EA_INFORMATION entries; the buffer must be valid (<see cref="EaBuffer.IsValidFull"/>).</summary>
public ref struct FullEaEnumerator
{
    private readonly ReadOnlySpan<byte> buffer;
    private int next;
    private bool done;

    internal FullEaEnumerator(ReadOnlySpan<byte> buffer) { this.buffer = buffer; next = 0; done = buffer.Length < 9; Current = default; }

    public FullEaEntry Current { get; private set; }
    public readonly FullEaEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (done) return false;
        int at = next;
        uint link = BinaryPrimitives.ReadUInt32LittleEndian(buffer[at..]);
        int nameLength = buffer[at + 5];
        int valueLength = BinaryPrimitives.ReadUInt16LittleEndian(buffer[(at + 6)..]);
        Current = new FullEaEntry(buffer[at + 4], buffer.Slice(at + 8, nameLength), buffer.Slice(at + 9 + nameLength, valueLength));
        if (link == 0) done = true; else next = at + (int)link;
        return true;
    }
}

/// <summary>Enumerates the names of a FILE_GET_EA_INFORMATION list; the buffer must be valid.</summary>
public ref struct GetEaEnumerator
{
    private readonly ReadOnlySpan<byte> buffer;
    private int next;
    private bool done;

    internal GetEaEnumerator(ReadOnlySpan<byte> buffer) { this.buffer = buffer; next = 0; done = buffer.Length < 6; Current = default; }

    public ReadOnlySpan<byte> Current { get; private set; }
    public readonly GetEaEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (done) return false;
        int at = next;
        uint link = BinaryPrimitives.ReadUInt32LittleEndian(buffer[at..]);
        Current = buffer.Slice(at + 5, buffer[at + 4]);
        if (link == 0) done = true; else next = at + (int)link;
        return true;
    }
}
