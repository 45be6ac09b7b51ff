// A page-aligned block of native memory exposed as Memory<byte>: request and reply buffers never move, may be
// handed to filters as Memory (ReadParameters.ReadBuffer, WriteParameters.WriteBuffer) and satisfy O_DIRECT alignment.
using System.Buffers;
using System.Runtime.InteropServices;

namespace Altitude.Fuse;

/// <summary>An aligned native buffer, freed on Dispose (readers keep theirs for the life of the server).</summary>
internal sealed unsafe class NativeBuffer : MemoryManager<byte>
{
    private byte* pointer;

    public NativeBuffer(int length, int alignment = 4096)
    {
        Length = length;
        pointer = (byte*)NativeMemory.AlignedAlloc((nuint)length, (nuint)alignment);
    }

    public int Length { get; }
    public byte* Pointer => pointer;

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
