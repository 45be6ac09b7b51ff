// What a pre-operation hands its post-operation (the completion context): the caller's buffer and parameters, the
// swapped buffer, and for the encryption mode the file and the plan of a size change. Pooled: no allocation per I/O.
namespace Altitude.Samples.SwapBuffers;

internal sealed class SwapState
{
    public AlignedBuffer? Buffer;
    public Memory<byte> ReadBuffer;
    public ReadOnlyMemory<byte> WriteBuffer;
    /// <summary>The caller's ByteOffset (-1: the file object's position) and Length, restored in the post-op.</summary>
    public long ByteOffset;
    public uint Length;
    /// <summary>Where the caller's bytes start in the file, and how many bytes of the swapped buffer come before them.</summary>
    public long Offset;
    public int Head;
    public DirectoryEntryList? Entries, CallerEntries;
    public EncryptedFileContext? File;
    /// <summary>A size change's plan: the zero ranges [start, end) to write as ciphertext after it (at most four).</summary>
    public readonly long[] Fills = new long[8];
    public int FillCount;

    public void AddFill(long start, long end)
    {
        if (end <= start) return;
        Fills[2 * FillCount] = start;
        Fills[2 * FillCount + 1] = end;
        FillCount++;
    }
    /// <summary>An open of our own, for a size change that came without one (truncate(2) by path).</summary>
    public FileObject? OwnOpen;

    /// <summary>Keeps the caller's READ parameters and puts <paramref name="buffer"/> (its first <paramref name="length"/> bytes, at <paramref name="byteOffset"/>) in their place.</summary>
    public void SwapRead(ref ReadParameters p, AlignedBuffer buffer, long byteOffset, int length)
    {
        Buffer = buffer;
        ReadBuffer = p.ReadBuffer;
        ByteOffset = p.ByteOffset;
        Length = p.Length;
        p.ByteOffset = byteOffset;
        p.Length = (uint)length;
        p.ReadBuffer = buffer.Memory[..length];
    }

    public void RestoreRead(ref ReadParameters p)
    {
        p.ByteOffset = ByteOffset;
        p.Length = Length;
        p.ReadBuffer = ReadBuffer;
    }

    /// <summary>As <see cref="SwapRead"/> for a WRITE (the caller copies its data into the buffer).</summary>
    public void SwapWrite(ref WriteParameters p, AlignedBuffer buffer, long byteOffset, int length)
    {
        Buffer = buffer;
        WriteBuffer = p.WriteBuffer;
        ByteOffset = p.ByteOffset;
        Length = p.Length;
        p.ByteOffset = byteOffset;
        p.Length = (uint)length;
        p.WriteBuffer = buffer.Memory[..length];
    }

    public void RestoreWrite(ref WriteParameters p)
    {
        p.ByteOffset = ByteOffset;
        p.Length = Length;
        p.WriteBuffer = WriteBuffer;
    }

    public void Reset()
    {
        Buffer = null;
        ReadBuffer = default;
        WriteBuffer = default;
        Entries = CallerEntries = null;
        File = null;
        OwnOpen = null;
        ByteOffset = Offset = 0;
        FillCount = 0;
        Length = 0;
        Head = 0;
    }
}
