// One request read from /dev/fuse and its reply. Objects are pooled by the server: a reader reuses its request
// after the reply, or takes another when the operation is still in flight (pended in a filter) and its reply will
// be written later from another thread. Everything here is a view over native buffers: no allocation.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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

    private readonly NativeBuffer input, output, data;
    private readonly FuseServer server;
    private int length;
    internal int References;   // the reader's and the reply's; whoever drops the last one recycles the object

    internal FuseRequest(FuseServer server, int maxWrite)
    {
        this.server = server;
        input = new NativeBuffer(ReadOffset + HeaderSize + 40 + maxWrite + 4096);
        output = new NativeBuffer(OutHeaderSize + FuseServer.MaxReplyPayload);
        data = new NativeBuffer(maxWrite);
    }

    /// <summary>The fd the request came from (the reply goes there).</summary>
    internal FuseDevice Device = null!;

    /// <summary>Whatever the file-system layer keeps with this request object (created once, reused).</summary>
    public object? State { get; set; }

    internal int InputCapacity => input.Length - ReadOffset;
    internal byte* InputStart => input.Pointer + ReadOffset;

    public ref readonly fuse_in_header Header => ref Unsafe.AsRef<fuse_in_header>(input.Pointer + ReadOffset);
    public FuseOpcode Opcode => (FuseOpcode)Header.opcode;
    public ulong Unique => Header.unique;
    public ulong NodeId => Header.nodeid;
    public int Length => length;

    internal void Prepare(int bytes) => length = bytes;

    /// <summary>The opcode's input struct (the table checked the length).</summary>
    public ref T In<T>() where T : unmanaged => ref Unsafe.AsRef<T>(input.Pointer + ReadOffset + HeaderSize);

    /// <summary>The bytes after the header, without the request extensions (total_extlen * 8 bytes at the end).</summary>
    public int PayloadLength => length - HeaderSize - Header.total_extlen * 8;

    /// <summary>Payload bytes from <paramref name="offset"/> (relative to the end of the header) as Memory over the buffer.</summary>
    public ReadOnlyMemory<byte> PayloadMemory(int offset, int count) => input.Memory.Slice(ReadOffset + HeaderSize + offset, count);

    public ReadOnlySpan<byte> Payload => new(input.Pointer + ReadOffset + HeaderSize, Math.Max(0, PayloadLength));

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

    /// <summary>The reply's payload area (after the 16-byte out header).</summary>
    public Span<byte> ReplySpace => new(output.Pointer + OutHeaderSize, output.Length - OutHeaderSize);
    public Memory<byte> ReplyMemory => output.Memory[OutHeaderSize..];

    /// <summary>A typed reply struct at the start of the payload area (zeroed).</summary>
    public ref T ReplyStruct<T>() where T : unmanaged
    {
        ref T r = ref Unsafe.AsRef<T>(output.Pointer + OutHeaderSize);
        r = default;
        return ref r;
    }

    /// <summary>The aligned data buffer READ fills (max_write bytes).</summary>
    public Memory<byte> DataMemory => data.Memory;

    /// <summary>Sends an error reply (errno positive; 0 = empty success).</summary>
    public int ReplyError(int errno)
    {
        int e = Send(-errno, 0, null, 0);
        Release();
        return e;
    }

    /// <summary>Sends the first <paramref name="payloadLength"/> bytes of the reply area.</summary>
    public int Reply(int payloadLength)
    {
        int e = Send(0, payloadLength, null, 0);
        Release();
        return e;
    }

    /// <summary>Sends <paramref name="payload"/> (READ data, possibly a filter's swapped buffer) after the header.</summary>
    public int ReplyData(ReadOnlyMemory<byte> payload)
    {
        int e;
        using (var pin = payload.Pin())
            e = Send(0, 0, (byte*)pin.Pointer, payload.Length);
        Release();
        return e;
    }

    private int Send(int error, int inline, byte* extra, int extraLength)
    {
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

    internal void Free()
    {
        ((IDisposable)input).Dispose();
        ((IDisposable)output).Dispose();
        ((IDisposable)data).Dispose();
    }
}
