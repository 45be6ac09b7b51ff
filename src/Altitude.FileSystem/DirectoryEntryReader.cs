// Walks a buffer of raw linux_dirent64 records as filled by LoopbackFileSystem.ReadDirectory.
using System.Buffers.Binary;
using Altitude.FileSystem.Interop;

namespace Altitude.FileSystem;

/// <summary>
/// Forward-only view over linux_dirent64 records (u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, name, NUL).
/// Usage: <c>var r = new DirectoryEntryReader(buf[..n]); while (r.MoveNext()) { r.Name ... r.NextCookie ... }</c>.
/// Includes "." and ".." when the backing directory reports them.
/// </summary>
public ref struct DirectoryEntryReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _next;

    /// <summary>Creates a reader over the first <c>bytes</c> of the buffer passed to ReadDirectory.</summary>
    public DirectoryEntryReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _next = 0;
        Inode = 0;
        NextCookie = 0;
        Type = 0;
        Name = default;
    }

    /// <summary>Inode number of the current entry (d_ino).</summary>
    public ulong Inode { get; private set; }

    /// <summary>Cookie to pass to ReadDirectory to continue after the current entry (d_off).</summary>
    public long NextCookie { get; private set; }

    /// <summary>DT_* type of the current entry (DT_UNKNOWN 0, DT_DIR 4, DT_REG 8, DT_LNK 10, ...).</summary>
    public byte Type { get; private set; }

    /// <summary>Raw name bytes of the current entry, without the NUL; valid while the buffer is.</summary>
    public ReadOnlySpan<byte> Name { get; private set; }

    /// <summary>Advances to the next record; false at the end of the buffer or on a malformed record.</summary>
    public bool MoveNext()
    {
        if (_next + Libc.DirentNameOffset > _buffer.Length)
            return false;
        ReadOnlySpan<byte> rec = _buffer[_next..];
        ushort reclen = BinaryPrimitives.ReadUInt16LittleEndian(rec[16..]);
        if (reclen <= Libc.DirentNameOffset || reclen > rec.Length)
            return false;
        Inode = BinaryPrimitives.ReadUInt64LittleEndian(rec);
        NextCookie = BinaryPrimitives.ReadInt64LittleEndian(rec[8..]);
        Type = rec[18];
        ReadOnlySpan<byte> name = rec[Libc.DirentNameOffset..reclen];
        int nul = name.IndexOf((byte)0);
        Name = nul >= 0 ? name[..nul] : name;
        _next += reclen;
        return true;
    }
}
