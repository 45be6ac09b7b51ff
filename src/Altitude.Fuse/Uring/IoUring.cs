// The smallest io_uring a FUSE queue thread needs: one thread submits and reaps (SINGLE_ISSUER, DEFER_TASKRUN: the
// kernel runs completions only when that thread waits), 128-byte SQEs for the FUSE command area, and the rings mapped
// as the kernel lays them out. No liburing: two syscalls and three mmaps.
using Altitude.Fuse.Interop;

namespace Altitude.Fuse.Uring;

internal sealed unsafe class IoUring : IDisposable
{
    private int fd;
    private byte* sqRing, cqRing;
    private nuint sqRingSize, cqRingSize, sqesSize;
    private Libc.IoUringSqe128* sqes;
    private uint* sqTail, sqMask, sqArray, cqHead, cqTail, cqMask;
    private Libc.IoUringCqe* cqes;
    private uint pendingSubmit;

    private IoUring() { }

    /// <summary>A ring of <paramref name="entries"/> 128-byte SQEs, owned by the calling thread; null and the errno when the kernel refuses.</summary>
    public static IoUring? Create(uint entries, out int errno)
    {
        var p = new Libc.IoUringParams { Flags = Libc.IORING_SETUP_SQE128 | Libc.IORING_SETUP_SINGLE_ISSUER | Libc.IORING_SETUP_DEFER_TASKRUN };
        int fd = Libc.IoUringSetup(entries, &p);
        if (fd == -Libc.EINVAL)
        {
            // Kernels before 6.1 have no DEFER_TASKRUN: the completions then run as task work on this thread anyway.
            p = new Libc.IoUringParams { Flags = Libc.IORING_SETUP_SQE128 };
            fd = Libc.IoUringSetup(entries, &p);
        }
        if (fd < 0) { errno = -fd; return null; }
        var ring = new IoUring { fd = fd };
        errno = ring.Map(in p);
        if (errno != 0) { ring.Dispose(); return null; }
        return ring;
    }

    private int Map(in Libc.IoUringParams p)
    {
        sqRingSize = p.SqOff.Array + p.SqEntries * sizeof(uint);
        cqRingSize = p.CqOff.Cqes + p.CqEntries * (uint)sizeof(Libc.IoUringCqe);
        sqesSize = p.SqEntries * (uint)sizeof(Libc.IoUringSqe128);
        byte* sq = (byte*)Libc.Mmap(null, sqRingSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | Libc.MAP_POPULATE, fd, Libc.IORING_OFF_SQ_RING);
        if (sq == (byte*)-1) return Libc.LastError;
        sqRing = sq;
        byte* cq = (byte*)Libc.Mmap(null, cqRingSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | Libc.MAP_POPULATE, fd, Libc.IORING_OFF_CQ_RING);
        if (cq == (byte*)-1) return Libc.LastError;
        cqRing = cq;
        byte* s = (byte*)Libc.Mmap(null, sqesSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | Libc.MAP_POPULATE, fd, Libc.IORING_OFF_SQES);
        if (s == (byte*)-1) return Libc.LastError;
        sqes = (Libc.IoUringSqe128*)s;
        sqTail = (uint*)(sqRing + p.SqOff.Tail);
        sqMask = (uint*)(sqRing + p.SqOff.RingMask);
        sqArray = (uint*)(sqRing + p.SqOff.Array);
        cqHead = (uint*)(cqRing + p.CqOff.Head);
        cqTail = (uint*)(cqRing + p.CqOff.Tail);
        cqMask = (uint*)(cqRing + p.CqOff.RingMask);
        cqes = (Libc.IoUringCqe*)(cqRing + p.CqOff.Cqes);
        return 0;
    }

    /// <summary>The next SQE, zeroed; it is submitted by the next <see cref="SubmitAndWait"/>.</summary>
    public ref Libc.IoUringSqe128 NextSqe()
    {
        uint tail = *sqTail + pendingSubmit;
        uint index = tail & *sqMask;
        ref Libc.IoUringSqe128 sqe = ref sqes[index];
        sqe = default;
        sqArray[index] = index;
        pendingSubmit++;
        return ref sqe;
    }

    /// <summary>Submits what <see cref="NextSqe"/> prepared and waits for one completion: 0 or -errno (EINTR retried).</summary>
    public int SubmitAndWait()
    {
        uint submit = pendingSubmit;
        if (submit > 0)
        {
            Volatile.Write(ref *sqTail, *sqTail + submit);
            pendingSubmit = 0;
        }
        while (true)
        {
            if (submit == 0 && Volatile.Read(ref *cqTail) != *cqHead) return 0;
            int r = Libc.IoUringEnter(fd, submit, 1, Libc.IORING_ENTER_GETEVENTS);
            if (r >= 0) submit -= Math.Min((uint)r, submit);   // submitted; the wait may have been cut short: look again
            else if (r != -Libc.EINTR) return r;
        }
    }

    /// <summary>Submits what <see cref="NextSqe"/> prepared without waiting: 0 or -errno.</summary>
    public int Submit()
    {
        uint submit = pendingSubmit;
        if (submit == 0) return 0;
        Volatile.Write(ref *sqTail, *sqTail + submit);
        pendingSubmit = 0;
        while (submit > 0)
        {
            int r = Libc.IoUringEnter(fd, submit, 0, 0);
            if (r >= 0) submit -= Math.Min((uint)r, submit);
            else if (r != -Libc.EINTR) return r;
        }
        return 0;
    }

    /// <summary>Takes the oldest completion, if there is one.</summary>
    public bool TryReap(out Libc.IoUringCqe cqe)
    {
        uint head = *cqHead;
        if (head == Volatile.Read(ref *cqTail)) { cqe = default; return false; }
        cqe = cqes[head & *cqMask];
        Volatile.Write(ref *cqHead, head + 1);
        return true;
    }

    public void Dispose()
    {
        if (sqes is not null) Libc.Munmap(sqes, sqesSize);
        if (cqRing is not null) Libc.Munmap(cqRing, cqRingSize);
        if (sqRing is not null) Libc.Munmap(sqRing, sqRingSize);
        sqes = null; cqRing = null; sqRing = null;
        int d = Interlocked.Exchange(ref fd, -1);
        if (d >= 0) Libc.Close(d);
    }
}
