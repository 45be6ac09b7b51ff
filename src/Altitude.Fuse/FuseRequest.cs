// One request read from /dev/fuse and its reply. Objects are pooled by the server: a reader reuses its request
// after the reply, or takes another when the operation is still in flight (pended in a filter) and its reply will
// be written later from another thread. A request object owns small fixed buffers (8 KiB of input, 4 KiB of reply);
// a large request lands in a buffer rented from the session's BufferPool, and READ data and large reply pages are
// rented when a handler asks, so a request in flight costs what it uses (docs/architecture.md, "Requests in flight").
// Everything here is a view over native buffers: no allocation.
using System.Runtime.CompilerServices;
using Altitude.Fuse.Interop;
using Altitude.Fuse.Kernel;

namespace Altitude.Fuse;

/// <summary>A FUSE request: header, typed input, names and payload; and the reply helpers (each replies once).</summary>
public sealed unsafe class FuseRequest
{
    /// <summary>
    /// Requests are read this far into the input buffer so that a WRITE's data (after the 40-byte header and the
    /// 40-byte write_in) starts on a page boundary: the loopback can pwrite it to an O_DIRECT fd as it is.
    /// </summary>
    internal const int ReadOffset = 4096 - 80;
    internal const int HeaderSize = 40, OutHeaderSize = 16;
    /// <summary>The fixed input buffer: a request up to 4176 bytes (a 4 KiB WRITE) is read straight into it.</summary>
    internal const int SmallInputSize = 8192;
    /// <summary>The fixed reply buffer: every reply but READ data, READDIR pages, xattr values and readlink.</summary>
    internal const int SmallOutputSize = 4096;

    private readonly AlignedBuffer smallInput, smallOutput;
    private readonly FuseServer server;
    private AlignedBuffer input, output;
    private AlignedBuffer? landing, bigOutput, data;
    private BufferPool.SizeClass? dataClass;
    private int length;
    private int inputOffset = ReadOffset;   // where the header starts in the input buffer
    internal int References;   // the reader's and the reply's; whoever drops the last one recycles the object
    private int answered;      // set by the first reply: a request is answered once, by whoever owns it
    private int handedOff;     // an operation of the request parked: another thread owns the reply now
    private long answers;      // requests answered by this object, never reset (a request's ticket: see Answers)

    internal FuseRequest(FuseServer server)
    {
        this.server = server;
        smallInput = new AlignedBuffer(SmallInputSize);
        smallOutput = new AlignedBuffer(SmallOutputSize);
        input = smallInput;
        output = smallOutput;
    }

    /// <summary>The fd the request came from (the reply goes there).</summary>
    internal FuseDevice Device = null!;

    /// <summary>The io_uring entry the request came in (its reply is staged there and committed by the entry's thread); null for /dev/fuse.</summary>
    internal Uring.UringReader? Uring;

    /// <summary>Whatever the file-system layer keeps with this request object (created once, reused).</summary>
    public object? State { get; set; }

    /// <summary>Where the reader reads the first bytes of a request.</summary>
    internal byte* SmallInputStart => smallInput.Pointer + ReadOffset;
    internal const int SmallInputCapacity = SmallInputSize - ReadOffset;

    public ref readonly fuse_in_header Header => ref Unsafe.AsRef<fuse_in_header>(input.Pointer + inputOffset);
    public FuseOpcode Opcode => (FuseOpcode)Header.opcode;
    public ulong Unique => Header.unique;
    public ulong NodeId => Header.nodeid;
    public int Length => length;

    /// <summary>True once a reply was sent (or the request needs none and was let go).</summary>
    public bool IsAnswered => Volatile.Read(ref answered) != 0;

    /// <summary>True once an operation of the request was handed to another thread (it pended in a filter).</summary>
    public bool IsHandedOff => Volatile.Read(ref handedOff) != 0;

    /// <summary>Records that the reply will come from another thread: the reader must not answer it, even if its handler throws.</summary>
    public void MarkHandedOff() => Volatile.Write(ref handedOff, 1);

    /// <summary>The operation finished on this thread after all: its reply is this thread's again.</summary>
    public void ClearHandedOff() => Volatile.Write(ref handedOff, 0);

    /// <summary>Another reference for a thread that may answer the request (released by its reply or by <see cref="Release"/>).</summary>
    internal void AddReference() => Interlocked.Increment(ref References);

    /// <summary>
    /// A request of <paramref name="bytes"/>: read into the small buffer, or, when it overflowed into the reader's
    /// landing buffer, made contiguous there (the small part is copied in front) and the landing buffer taken.
    /// </summary>
    internal void Prepare(int bytes, AlignedBuffer readerLanding)
    {
        length = bytes;
        answered = 0;
        handedOff = 0;
        if (bytes <= SmallInputCapacity) return;
        Buffer.MemoryCopy(smallInput.Pointer + ReadOffset, readerLanding.Pointer + ReadOffset, SmallInputCapacity, SmallInputCapacity);
        landing = readerLanding;
        input = readerLanding;
    }

    /// <summary>A request that came in an io_uring entry: contiguous in the entry's buffer from <paramref name="start"/>.</summary>
    internal void PrepareUring(AlignedBuffer entry, int start, int bytes)
    {
        length = bytes;
        answered = 0;
        handedOff = 0;
        input = entry;
        inputOffset = start;
    }

    /// <summary>True when <see cref="Prepare"/> took the reader's landing buffer.</summary>
    internal bool TookLanding => landing is not null;

    /// <summary>Gives the landing buffer back to the reader (the request completed on the reader's thread).</summary>
    internal AlignedBuffer? TakeBackLanding()
    {
        AlignedBuffer? l = landing;
        landing = null;
        input = smallInput;
        return l;
    }

    /// <summary>The opcode's input struct (the table checked the length).</summary>
    public ref T In<T>() where T : unmanaged => ref Unsafe.AsRef<T>(input.Pointer + inputOffset + HeaderSize);

    /// <summary>The bytes after the header, without the request extensions (total_extlen * 8 bytes at the end).</summary>
    public int PayloadLength => length - HeaderSize - Header.total_extlen * 8;

    /// <summary>Payload bytes from <paramref name="offset"/> (relative to the end of the header) as Memory over the buffer.</summary>
    public ReadOnlyMemory<byte> PayloadMemory(int offset, int count) => input.Memory.Slice(inputOffset + HeaderSize + offset, count);

    public ReadOnlySpan<byte> Payload => new(input.Pointer + inputOffset + HeaderSize, Math.Max(0, PayloadLength));

    /// <summary>The NUL-terminated name starting at payload offset <paramref name="offset"/>; false when unterminated.</summary>
    public bool TryGetName(int offset, out ReadOnlyMemory<byte> name, out int next)
    {
        ReadOnlySpan<byte> p = Payload;
        name = default;
        next = 0;
        if (offset > p.Length) return false;
        int nul = p[offset..].IndexOf((byte)0);
        if (nul < 0) return false;
        name = PayloadMemory(offset, nul);
        next = offset + nul + 1;
        return true;
    }

    // ---- replies ----

    /// <summary>The reply's payload area (after the 16-byte out header): 4080 bytes unless <see cref="EnsureReplyCapacity"/> grew it.</summary>
    public Span<byte> ReplySpace => new(output.Pointer + OutHeaderSize, output.Length - OutHeaderSize);
    public Memory<byte> ReplyMemory => output.Memory[OutHeaderSize..];

    /// <summary>Makes the reply area hold <paramref name="payload"/> bytes (at most <see cref="FuseServer.MaxReplyPayload"/>).</summary>
    public void EnsureReplyCapacity(int payload)
    {
        if (payload <= output.Length - OutHeaderSize) return;
        bigOutput ??= server.Buffers.Medium.Rent();
        output = bigOutput;
    }

    /// <summary>A typed reply struct at the start of the payload area (zeroed).</summary>
    public ref T ReplyStruct<T>() where T : unmanaged
    {
        ref T r = ref Unsafe.AsRef<T>(output.Pointer + OutHeaderSize);
        r = default;
        return ref r;
    }

    /// <summary>An aligned buffer of at least <paramref name="bytes"/> for READ data (rented by size class, kept with the request).</summary>
    public Memory<byte> RentData(int bytes)
    {
        BufferPool.SizeClass c = server.Buffers.For(bytes);
        if (data is not null && !ReferenceEquals(c, dataClass))
        {
            dataClass!.Return(data);
            data = null;
        }
        if (data is null)
        {
            data = c.Rent();
            dataClass = c;
        }
        return data.Memory[..bytes];
    }

    /// <summary>Sends an error reply (errno positive; 0 = empty success).</summary>
    public int ReplyError(int errno)
    {
        if (!TryAnswer()) return Libc.EALREADY;
        int e = Send(-errno, 0, null, 0);
        Release();
        return e;
    }

    /// <summary>Sends the first <paramref name="payloadLength"/> bytes of the reply area.</summary>
    public int Reply(int payloadLength)
    {
        if (!TryAnswer()) return Libc.EALREADY;
        int e = Send(0, payloadLength, null, 0);
        Release();
        return e;
    }

    /// <summary>Sends <paramref name="payload"/> (READ data, possibly a filter's swapped buffer) after the header.</summary>
    public int ReplyData(ReadOnlyMemory<byte> payload)
    {
        if (!TryAnswer()) return Libc.EALREADY;
        int e;
        using (var pin = payload.Pin())
            e = Send(0, 0, (byte*)pin.Pointer, payload.Length);
        Release();
        return e;
    }

    /// <summary>Lets go of a request that takes no reply (FORGET, INTERRUPT, NOTIFY_REPLY).</summary>
    internal void Drop()
    {
        if (TryAnswer()) Release();
    }

    /// <summary>
    /// How many requests this object has answered. A request is unanswered while the count still has the value it had
    /// when the request arrived: until then its thread waits in the kernel (the Requestor's lookups rely on it).
    /// </summary>
    public long Answers => Volatile.Read(ref answers);

    /// <summary>The one reply of the request: a second attempt (a handler that replied, then threw) sends nothing.</summary>
    private bool TryAnswer()
    {
        if (Interlocked.Exchange(ref answered, 1) != 0) return false;
        Interlocked.Increment(ref answers);   // before the reply leaves: once it has, the thread may end
        return true;
    }

    private int Send(int error, int inline, byte* extra, int extraLength)
    {
        if (Uring is { } entry) return entry.Stage(error, Header.unique, output.Pointer + OutHeaderSize, inline, extra, extraLength);
        ref fuse_out_header h = ref Unsafe.AsRef<fuse_out_header>(output.Pointer);
        h.len = (uint)(OutHeaderSize + inline + extraLength);
        h.error = error;
        h.unique = Header.unique;
        Libc.IoVec* iov = stackalloc Libc.IoVec[2];
        iov[0].Base = output.Pointer;
        iov[0].Length = (nuint)(OutHeaderSize + inline);
        int count = 1;
        if (extraLength > 0)
        {
            iov[1].Base = extra;
            iov[1].Length = (nuint)extraLength;
            count = 2;
        }
        return Device.Write(iov, count);
    }

    /// <summary>Drops one reference; the last one returns the object to the server's pool.</summary>
    internal void Release()
    {
        if (Interlocked.Decrement(ref References) == 0) server.Recycle(this);
    }

    /// <summary>Returns every rented buffer (the object goes back to the pool, or is freed).</summary>
    internal void ReturnBuffers()
    {
        if (landing is not null) { server.Buffers.Large.Return(landing); landing = null; }
        if (bigOutput is not null) { server.Buffers.Medium.Return(bigOutput); bigOutput = null; }
        if (data is not null) { dataClass!.Return(data); data = null; dataClass = null; }
        input = smallInput;
        inputOffset = ReadOffset;
        output = smallOutput;
        Uring = null;
    }

    /// <summary>The reply area back to the small buffer for the next request on the same object (the large page stays rented).</summary>
    internal void ResetOutput() => output = smallOutput;

    internal void Free()
    {
        ReturnBuffers();
        ((IDisposable)smallInput).Dispose();
        ((IDisposable)smallOutput).Dispose();
        (State as IDisposable)?.Dispose();
        State = null;
    }
}
