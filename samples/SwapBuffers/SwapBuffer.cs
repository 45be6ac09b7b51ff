// The sample's own buffers: the engine's AlignedBuffer (FltAllocatePoolAlignedWithTag's role: page-aligned native
// memory, so a swapped READ or WRITE on an O_DIRECT open still meets the backing file's alignment rules), pooled by
// power-of-two size class so the steady state allocates nothing.
namespace Altitude.Samples.SwapBuffers;

/// <summary>Free buffers by size class (4 KiB to 16 MiB); each class keeps at most <see cref="MaxIdle"/> idle ones.</summary>
internal sealed class SwapBufferPool : IDisposable
{
    private const int MinShift = 12, Classes = 13, MaxIdle = 16;
    private readonly Stack<AlignedBuffer>[] free = new Stack<AlignedBuffer>[Classes];
    private volatile bool disposed;   // a buffer returned after the unload is freed, not kept

    public SwapBufferPool()
    {
        for (int i = 0; i < Classes; i++) free[i] = new Stack<AlignedBuffer>(MaxIdle);
    }

    private static int ShiftFor(int length) => Math.Max(MinShift, 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)Math.Max(1, length) - 1));

    /// <summary>A buffer of at least <paramref name="length"/> bytes; null past the largest class (the caller fails the operation).</summary>
    public AlignedBuffer? Rent(int length)
    {
        int shift = ShiftFor(length);
        if (shift - MinShift >= Classes) return null;
        Stack<AlignedBuffer> stack = free[shift - MinShift];
        lock (stack)
            if (stack.Count > 0) return stack.Pop();
        return new AlignedBuffer(1 << shift);
    }

    public void Return(AlignedBuffer buffer)
    {
        Stack<AlignedBuffer> stack = free[ShiftFor(buffer.Length) - MinShift];
        lock (stack)
        {
            if (stack.Count < MaxIdle && !disposed) { stack.Push(buffer); return; }
        }
        ((IDisposable)buffer).Dispose();
    }

    public void Dispose()
    {
        disposed = true;
        foreach (Stack<AlignedBuffer> stack in free)
            lock (stack)
                while (stack.Count > 0) ((IDisposable)stack.Pop()).Dispose();
    }
}
