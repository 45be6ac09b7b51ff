// A thread of one FUSE io_uring queue: its own ring and one entry (header and payload buffers registered with
// FUSE_IO_URING_CMD_REGISTER). One submission per request, COMMIT_AND_FETCH, carries the reply and asks for the next
// request, where /dev/fuse needs a writev and a readv. One entry per thread is what keeps blocking filters safe: the
// kernel hands a request only to an entry that waits, so a thread stuck in a filter holds no request but its own, and
// the server adds a thread to a queue whose last waiting entry took a request, as it adds /dev/fuse readers.
using System.Runtime.CompilerServices;
using Altitude.Fuse.Interop;
using Altitude.Fuse.Kernel;

namespace Altitude.Fuse.Uring;

internal sealed unsafe class UringReader
{
    /// <summary>Room before the payload: the request's fuse_in_header and op_in are copied there, so that the request is
    /// contiguous as a /dev/fuse read leaves it, and a WRITE's data (after a 40-byte write_in) stays page-aligned.</summary>
    internal const int HeaderArea = 4096;

    private const ulong RegisterTag = 1, CommitTag = 2;
    private const uint CmdRegister = 1, CmdCommitAndFetch = 2;

    private readonly FuseServer server;
    private readonly AlignedBuffer header, buffer;
    private readonly int payloadSize;
    private readonly ManualResetEventSlim committable = new(false);
    private int staged;

    public UringReader(FuseServer server, UringQueue queue, int payloadSize)
    {
        this.server = server;
        Queue = queue;
        this.payloadSize = payloadSize;
        header = new AlignedBuffer(4096);
        buffer = new AlignedBuffer(HeaderArea + payloadSize);
    }

    public UringQueue Queue { get; }
    public Thread? Thread;
    public long Allocated;
    public bool Served;

    private ref fuse_uring_req_header Headers => ref Unsafe.AsRef<fuse_uring_req_header>(header.Pointer);
    private byte* Payload => buffer.Pointer + HeaderArea;

    /// <summary>
    /// The reply of the request in this entry, written where the kernel reads it at the commit (the out header into
    /// in_out, the payload into the payload buffer); then the thread may commit. Called once per request, by any thread.
    /// </summary>
    internal int Stage(int error, ulong unique, byte* inline, int inlineLength, byte* extra, int extraLength)
    {
        int total = inlineLength + extraLength;
        if (total > payloadSize) { error = -Libc.EIO; total = inlineLength = extraLength = 0; }
        ref fuse_out_header h = ref Unsafe.AsRef<fuse_out_header>(header.Pointer + fuse_uring_req_header.InOutOffset);
        h.len = (uint)(FuseRequest.OutHeaderSize + total);
        h.error = error;
        h.unique = unique;
        if (inlineLength > 0) Buffer.MemoryCopy(inline, Payload, payloadSize, inlineLength);
        if (extraLength > 0 && extra != Payload + inlineLength) Buffer.MemoryCopy(extra, Payload + inlineLength, payloadSize - inlineLength, extraLength);
        Headers.ring_ent_in_out.payload_sz = (uint)total;
        Volatile.Write(ref staged, 1);
        committable.Set();
        return 0;
    }

    public void Run()
    {
        Pin(Queue.Id);
        IoUring? ring = IoUring.Create(4, out int errno);
        if (ring is null)
        {
            Interlocked.Decrement(ref Queue.Idle);
            server.ReportFault(new IOException($"FUSE io_uring queue {Queue.Id}: io_uring_setup failed: errno {errno}", errno));
            return;
        }
        Libc.IoVec* iov = (Libc.IoVec*)(header.Pointer + 1024);
        iov[0].Base = header.Pointer;
        iov[0].Length = (nuint)sizeof(fuse_uring_req_header);
        iov[1].Base = Payload;
        iov[1].Length = (nuint)payloadSize;
        Prepare(ring, CmdRegister, 0, RegisterTag).Addr = (ulong)iov;
        // REGISTER alone first: once it is submitted the entry waits in the kernel (Registered says so; a request that
        // finds no waiting entry stays queued until an entry of this queue commits).
        int submitted = ring.Submit();
        if (submitted < 0)
        {
            server.ReportFault(new IOException($"FUSE io_uring queue {Queue.Id}: REGISTER not submitted: errno {-submitted}", -submitted));
            Interlocked.Decrement(ref Queue.Idle);
            ring.Dispose();
            return;
        }
        Interlocked.Increment(ref Queue.Registered);
        FuseRequest request = server.RentForUring(this);
        bool idle = true;   // counted by the server when it started this thread
        try
        {
            while (true)
            {
                if (!idle) { Interlocked.Increment(ref Queue.Idle); idle = true; }
                int r = ring.SubmitAndWait();
                if (r < 0)
                {
                    server.ReportFault(new IOException($"FUSE io_uring queue {Queue.Id}: io_uring_enter failed: errno {-r}", -r));
                    return;
                }
                if (!ring.TryReap(out Libc.IoUringCqe cqe)) continue;
                idle = false;
                if (Interlocked.Decrement(ref Queue.Idle) == 0 && cqe.Res == 0) server.UringQueueBusy();
                // ENOTCONN and ECONNABORTED: the session is over; any other error refuses the entry (a registration the
                // kernel rejected turns io_uring off for the connection, and /dev/fuse serves it).
                if (cqe.Res < 0)
                {
                    if (cqe.Res != -Libc.ENOTCONN && cqe.Res != -103 /* ECONNABORTED */)
                        server.ReportFault(new IOException($"FUSE io_uring queue {Queue.Id}: {(cqe.UserData == RegisterTag ? "REGISTER" : "COMMIT_AND_FETCH")} failed: errno {-cqe.Res}", -cqe.Res));
                    return;
                }
                ulong commitId = Headers.ring_ent_in_out.commit_id;
                request = Handle(request);
                Prepare(ring, CmdCommitAndFetch, commitId, CommitTag);
            }
        }
        finally
        {
            if (idle) Interlocked.Decrement(ref Queue.Idle);
            server.Recycle(request);
            ring.Dispose();
        }
    }

    /// <summary>Runs the request in the entry and waits until its reply is staged; returns the object for the next one.</summary>
    private FuseRequest Handle(FuseRequest request)
    {
        ref fuse_in_header h = ref Unsafe.AsRef<fuse_in_header>(header.Pointer + fuse_uring_req_header.InOutOffset);
        uint payload = Headers.ring_ent_in_out.payload_sz;
        long opIn = (long)h.len - FuseRequest.HeaderSize - payload;
        Volatile.Write(ref staged, 0);
        committable.Reset();
        if (opIn < 0 || opIn > fuse_uring_req_header.OpInSize || payload > payloadSize)
        {
            // Not a request this entry can hold as the kernel described it: answer EIO rather than guess.
            Stage(-Libc.EIO, h.unique, null, 0, null, 0);
            return request;
        }
        // Contiguous, as a /dev/fuse read: the header and op_in right before the payload the kernel copied.
        int start = HeaderArea - FuseRequest.HeaderSize - (int)opIn;
        Buffer.MemoryCopy(header.Pointer + fuse_uring_req_header.InOutOffset, buffer.Pointer + start, FuseRequest.HeaderSize, FuseRequest.HeaderSize);
        if (opIn > 0) Buffer.MemoryCopy(header.Pointer + fuse_uring_req_header.OpInOffset, buffer.Pointer + start + FuseRequest.HeaderSize, opIn, opIn);
        request.PrepareUring(buffer, start, (int)h.len);
        server.CountUringRequest();
        request.References = 2;
        long before = PoolGrowth.SteadyStateBytes;
        server.Dispatch(request);
        Allocated += PoolGrowth.SteadyStateBytes - before;
        Served = true;
        if (Volatile.Read(ref staged) == 0 && !request.IsHandedOff && request.IsAnswered)
            Stage(-Libc.ENOSYS, h.unique, null, 0, null, 0);   // answered without a reply (a no-reply opcode): the entry must still commit
        // A reply from another thread (the operation pended) is waited for here: the commit is what sends it.
        bool stillHeld = Interlocked.Decrement(ref request.References) != 0;
        while (Volatile.Read(ref staged) == 0) committable.Wait();
        if (stillHeld) return server.RentForUring(this);   // another thread holds the object: the next request takes another
        request.ResetOutput();
        return request;
    }

    private ref Libc.IoUringSqe128 Prepare(IoUring ring, uint command, ulong commitId, ulong tag)
    {
        ref Libc.IoUringSqe128 sqe = ref ring.NextSqe();
        sqe.Opcode = Libc.IORING_OP_URING_CMD;
        sqe.Fd = server.Device.Fd;
        sqe.CmdOp = command;
        sqe.Len = command == CmdRegister ? 2u : 0u;
        sqe.UserData = tag;
        ref fuse_uring_cmd_req cmd = ref Unsafe.As<byte, fuse_uring_cmd_req>(ref sqe.Cmd);
        cmd.commit_id = commitId;
        cmd.qid = (ushort)Queue.Id;
        return ref sqe;
    }

    private static void Pin(int cpu)
    {
        if (cpu >= 64) return;
        ulong mask = 1UL << cpu;
        Libc.SchedSetAffinity(0, sizeof(ulong), &mask);   // best effort: outside the process's cpuset it stays unpinned
    }

    internal void Free()
    {
        committable.Dispose();
        ((IDisposable)header).Dispose();
        ((IDisposable)buffer).Dispose();
    }
}
