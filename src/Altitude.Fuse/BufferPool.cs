// Native buffers by size class, shared by a session's requests. A request owns only small fixed buffers; what only
// some requests need (the landing area of a large WRITE or SETXATTR, READ data, a READDIR or xattr reply page) is
// rented here for as long as the request lives. Each class caps how many buffers may be out at once (what bounds the
// memory of requests in flight: a renter past the cap waits for a return) and how many idle ones it keeps (the rest
// are freed, so a burst leaves nothing behind).
namespace Altitude.Fuse;

internal sealed class BufferPool : IDisposable
{
    /// <summary>One size class.</summary>
    internal sealed class SizeClass
    {
        private readonly Stack<AlignedBuffer> free = new();
        private readonly int maxOutstanding, maxIdle;
        private int outstanding;
        private bool disposed;

        public SizeClass(int size, int maxOutstanding, int maxIdle)
        {
            Size = size;
            this.maxOutstanding = maxOutstanding;
            this.maxIdle = maxIdle;
        }

        public int Size { get; }
        public int MaxOutstanding => maxOutstanding;

        /// <summary>Buffers out now (diagnostics and tests).</summary>
        public int Outstanding { get { lock (free) return outstanding; } }

        /// <summary>A buffer of <see cref="Size"/> bytes; waits while <see cref="MaxOutstanding"/> are out.</summary>
        public AlignedBuffer Rent()
        {
            lock (free)
            {
                while (outstanding >= maxOutstanding && !disposed) Monitor.Wait(free);
                outstanding++;
                if (free.Count > 0) return free.Pop();
            }
            long mark = PoolGrowth.Begin();
            var created = new AlignedBuffer(Size);
            PoolGrowth.End(mark);
            return created;
        }

        public void Return(AlignedBuffer buffer)
        {
            lock (free)
            {
                outstanding--;
                Monitor.Pulse(free);
                if (free.Count < maxIdle && !disposed) { free.Push(buffer); return; }
            }
            ((IDisposable)buffer).Dispose();
        }

        public void Dispose()
        {
            lock (free)
            {
                disposed = true;
                while (free.Count > 0) ((IDisposable)free.Pop()).Dispose();
                Monitor.PulseAll(free);
            }
        }
    }

    public BufferPool(int maxWrite, int maxReaders)
    {
        // 16 KiB: most READs of small files; 132 KiB: readahead-sized READs and reply pages (READDIR, xattr values,
        // readlink) of up to MaxReplyPayload; large: a request's landing area (a max_write WRITE) and max_read READs.
        int large = FuseRequest.ReadOffset + FuseRequest.HeaderSize + 40 + maxWrite + 4096;
        int idle = Math.Max(4, 2 * maxReaders);
        Small = new SizeClass(16 * 1024, 1024, idle);
        Medium = new SizeClass(FuseServer.MaxReplyPayload + 4096, 256, idle);
        Large = new SizeClass(large, 64 + maxReaders, idle);
    }

    public SizeClass Small { get; }
    public SizeClass Medium { get; }
    public SizeClass Large { get; }

    /// <summary>The smallest class that holds <paramref name="bytes"/>.</summary>
    public SizeClass For(int bytes) => bytes <= Small.Size ? Small : bytes <= Medium.Size ? Medium : Large;

    public void Dispose()
    {
        Small.Dispose();
        Medium.Dispose();
        Large.Dispose();
    }
}
