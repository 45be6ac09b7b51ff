// A byte-range lock description for GetLock/SetLock (OFD locks; offsets always from the file start).
namespace Altitude.FileSystem;

/// <summary>Byte-range lock. Type is 0 = read, 1 = write, 2 = unlock (F_RDLCK/F_WRLCK/F_UNLCK).</summary>
public struct PosixLock
{
    /// <summary>Shared (read) lock.</summary>
    public const short Read = 0;

    /// <summary>Exclusive (write) lock.</summary>
    public const short Write = 1;

    /// <summary>Unlock, or "no conflicting lock" from GetLock.</summary>
    public const short Unlock = 2;

    /// <summary>Read, Write or Unlock.</summary>
    public short Type;

    /// <summary>First byte of the range.</summary>
    public long Start;

    /// <summary>Bytes in the range; 0 = to the end of the file, however large it grows.</summary>
    public long Length;

    /// <summary>From GetLock: -1 for a conflicting OFD lock, else the owner pid of a classic POSIX lock.</summary>
    public int Pid;

    /// <summary>Creates a lock description.</summary>
    public PosixLock(short type, long start, long length)
    {
        Type = type;
        Start = start;
        Length = length;
        Pid = 0;
    }
}
