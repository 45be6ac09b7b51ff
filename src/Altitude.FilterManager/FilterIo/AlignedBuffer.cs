// FltAllocatePoolAlignedWithTag's role: a block of native memory aligned for direct I/O (page-aligned by default),
// exposed as Memory<byte>. It never moves, so it may be handed to the file system below as a READ or WRITE buffer on
// an O_DIRECT descriptor; the FUSE front-end's request and reply buffers are these too. Freed on Dispose.
using System.Buffers;
using System.Runtime.InteropServices;

namespace Altitude;

public sealed unsafe class AlignedBuffer : MemoryManager<byte>
{
    private byte* pointer;

    /// <param name="length">Bytes (more than 0).</param>
    /// <param name="alignment">A power of two: 4096 (the page, and every block size O_DIRECT asks for) by default.</param>
    public AlignedBuffer(int length, int alignment = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(alignment), "a power of two");
        Length = length;
        pointer = (byte*)NativeMemory.AlignedAlloc((nuint)length, (nuint)alignment);
    }

    public int Length { get; }

    /// <summary>The memory itself, for the front-end's own native calls.</summary>
    internal byte* Pointer => pointer;

    public override Span<byte> GetSpan() => new(pointer, Length);
    public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);
    public override void Unpin() { }

    protected override void Dispose(bool disposing)
    {
        if (pointer is null) return;
        NativeMemory.AlignedFree(pointer);
        pointer = null;
    }
}
