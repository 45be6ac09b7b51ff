// The sample's own buffers (FltAllocatePoolAlignedWithTag's role): page-aligned native memory, so a swapped READ or
// WRITE on an O_DIRECT open still meets the backing file's alignment rules, pooled by power-of-two size class so the
// steady state allocates nothing.
using System.Buffers;
using System.Runtime.InteropServices;

namespace Altitude.Samples.SwapBuffers;

/// <summary>One aligned buffer of <see cref="Capacity"/> bytes, rented from and returned to <see cref="SwapBufferPool"/>.</summary>
internal sealed unsafe class SwapBuffer : MemoryManager<byte>
{
    private byte* pointer;

    public SwapBuffer(int capacity, int sizeClass)
    {
        Capacity = capacity;
        SizeClass = sizeClass;
        pointer = (byte*)NativeMemory.AlignedAlloc((nuint)capacity, 4096);
    }

    public int Capacity { get; }
    public int SizeClass { get; }

    public override Span<byte> GetSpan() => new(pointer, Capacity);
    public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);
    public override void Unpin() { }

    protected override void Dispose(bool disposing)
    {
        if (pointer is null) return;
        NativeMemory.AlignedFree(pointer);
        pointer = null;
    }
}

/// <summary>Free buffers by size class (4 KiB to 16 MiB); each class keeps at most <see cref="MaxIdle"/> idle ones.</summary>
internal sealed class SwapBufferPool : IDisposable
{
    private const int MinShift = 12, Classes = 13, MaxIdle = 16;
    private readonly Stack<SwapBuffer>[] free = new Stack<SwapBuffer>[Classes];
    private volatile bool disposed;   // a buffer returned after the unload is freed, not kept

    public SwapBufferPool()
    {
        for (int i = 0; i < Classes; i++) free[i] = new Stack<SwapBuffer>(MaxIdle);
    }

    /// <summary>A buffer of at least <paramref name="length"/> bytes; null past the largest class (the caller fails the operation).</summary>
    public SwapBuffer? Rent(int length)
    {
        int shift = Math.Max(MinShift, 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)Math.Max(1, length) - 1));
        int cls = shift - MinShift;
        if (cls >= Classes) return null;
        Stack<SwapBuffer> stack = free[cls];
        lock (stack)
            if (stack.Count > 0) return stack.Pop();
        return new SwapBuffer(1 << shift, cls);
    }

    public void Return(SwapBuffer buffer)
    {
        Stack<SwapBuffer> stack = free[buffer.SizeClass];
        lock (stack)
        {
            if (stack.Count < MaxIdle && !disposed) { stack.Push(buffer); return; }
        }
        ((IDisposable)buffer).Dispose();
    }

    public void Dispose()
    {
        disposed = true;
        foreach (Stack<SwapBuffer> stack in free)
            lock (stack)
                while (stack.Count > 0) ((IDisposable)stack.Pop()).Dispose();
    }
}
