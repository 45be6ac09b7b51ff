// What the MiniSpy filter and the minispy program share (the WDK's inc/minispy.h): the port name, the commands, the
// version, and the byte layout of LOG_RECORD and RECORD_DATA as the x64 build lays them out, so a record written by the
// filter reads the same in any client. Compiled into both assemblies (the user program links this file).
using System.Buffers.Binary;

namespace Altitude.Samples.MiniSpy;

/// <summary>The port, the commands and the version (minispy.h).</summary>
public static class MiniSpyProtocol
{
    /// <summary>MINISPY_PORT_NAME.</summary>
    public const string PortName = @"\MiniSpyPort";

    /// <summary>The service name (MINISPY_NAME): what FilterAttach and FilterDetach are given.</summary>
    public const string FilterName = "MiniSpy";

    /// <summary>MINISPY_COMMAND: GetMiniSpyLog.</summary>
    public const uint GetMiniSpyLog = 0;
    /// <summary>MINISPY_COMMAND: GetMiniSpyVersion.</summary>
    public const uint GetMiniSpyVersion = 1;

    /// <summary>sizeof(COMMAND_MESSAGE) without Data: {MINISPY_COMMAND Command; ULONG Reserved}.</summary>
    public const int CommandMessageSize = 8;

    /// <summary>MINISPY_MAJ_VERSION / MINISPY_MIN_VERSION; MINISPYVER is {USHORT Major; USHORT Minor} (4 bytes).</summary>
    public const ushort MajorVersion = 2, MinorVersion = 0;
    public const int VersionSize = 4;

    /// <summary>The user program's receive buffer (BUFFER_SIZE in mspyLog.h).</summary>
    public const int LogBufferSize = 4096;

    /// <summary>Writes a COMMAND_MESSAGE with no data.</summary>
    public static void WriteCommand(Span<byte> destination, uint command)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, command);
        BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(4), 0);
    }
}

/// <summary>LOG_RECORD's record types and flags.</summary>
public static class RecordType
{
    public const uint Normal = 0x00000000;
    public const uint FileTag = 0x00000004;
    public const uint FlagStatic = 0x80000000;
    public const uint FlagExceedMemoryAllowance = 0x20000000;
    public const uint FlagOutOfMemory = 0x10000000;
    public const uint FlagMask = 0xffff0000;
}

/// <summary>
/// Byte offsets of LOG_RECORD {ULONG Length; ULONG SequenceNumber; ULONG RecordType; ULONG Reserved; RECORD_DATA Data;
/// WCHAR Name[]} and of RECORD_DATA inside it (FILE_ID, ULONG_PTR and PVOID are 8 bytes on x64). Little-endian.
/// </summary>
public static class LogRecordLayout
{
    /// <summary>RECORD_SIZE: one lookaside block (the LIST_ENTRY of RECORD_LIST included).</summary>
    public const int RecordSize = 1024;
    /// <summary>sizeof(RECORD_LIST) - sizeof(LOG_RECORD): the LIST_ENTRY that precedes each record in the kernel.</summary>
    public const int ListEntrySize = 16;

    public const int Length = 0, SequenceNumber = 4, RecordTypeOffset = 8, Reserved = 12, Data = 16;

    // RECORD_DATA, from the start of the record.
    public const int OriginatingTime = Data + 0;
    public const int CompletionTime = Data + 8;
    public const int DeviceObject = Data + 16;
    public const int FileObject = Data + 24;
    public const int Transaction = Data + 32;
    public const int ProcessId = Data + 40;
    public const int ThreadId = Data + 48;
    public const int Information = Data + 56;
    public const int Status = Data + 64;
    public const int IrpFlags = Data + 68;
    public const int Flags = Data + 72;
    public const int CallbackMajorId = Data + 76;
    public const int CallbackMinorId = Data + 77;
    public const int DataReserved = Data + 78;
    public const int Arg1 = Data + 80;   // Arg1..Arg5 are 8 bytes apart; Arg6 is a LARGE_INTEGER after them
    public const int Arg6 = Data + 120;
    public const int EcpCount = Data + 128;
    public const int KnownEcpMask = Data + 132;

    /// <summary>sizeof(RECORD_DATA) on x64.</summary>
    public const int RecordDataSize = 136;
    /// <summary>sizeof(LOG_RECORD) = FIELD_OFFSET(LOG_RECORD, Name).</summary>
    public const int Name = Data + RecordDataSize;

    /// <summary>MAX_NAME_SPACE: the bytes left for the name and its NUL in one block, pointer-rounded (856).</summary>
    public const int MaxNameSpace = (RecordSize - ListEntrySize - Name) & ~7;
    /// <summary>MAX_LOG_RECORD_LENGTH: the longest record (LOG_RECORD plus the whole name space).</summary>
    public const int MaxRecordLength = Name + MaxNameSpace;

    /// <summary>The offset of ArgN (1..6).</summary>
    public static int Arg(int n) => n == 6 ? Arg6 : Arg1 + (n - 1) * 8;

    /// <summary>ROUND_TO_SIZE(length, sizeof(PVOID)): every record's Length is a multiple of 8.</summary>
    public static int RoundToPointer(int length) => (length + 7) & ~7;
}

/// <summary>FLT_CALLBACK_DATA flags the screen and file output look at (IRP, fast I/O or FsFilter).</summary>
public static class RecordDataFlags
{
    public const uint IrpOperation = 0x1, FastIoOperation = 0x2, FsFilterOperation = 0x4;
}

/// <summary>IRP_* bits of RECORD_DATA.IrpFlags that the output shows as N, P, S, Y.</summary>
public static class RecordIrpFlags
{
    public const uint NoCache = 0x1, PagingIo = 0x2, SynchronousApi = 0x4, SynchronousPagingIo = 0x40;
}
