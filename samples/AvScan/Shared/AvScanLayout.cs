// The layouts shared by the filter and avscan (WDK avscan inc/avlib.h and avscan.h): port names, the connection
// context, the scan notification and the command message. Linked as source into both assemblies.
using System.Buffers.Binary;

namespace Altitude.Samples.AvScan;

internal static class AvScanPorts
{
    public const string Scan = @"\MicrosoftAvSampleFilterScanPort";
    public const string Abort = @"\MicrosoftAvSampleFilterAbortPort";
    public const string Query = @"\MicrosoftAvSampleFilterQueryPort";
}

/// <summary>AV_CONNECTION_TYPE, the one field of AV_CONNECTION_CONTEXT (a ULONG, 4 bytes).</summary>
internal enum AvConnectionType : uint { Scan = 1, Abort = 2, Query = 3 }

internal enum AvScanMessage : uint { StartScanning = 0, AbortScanning = 1, FilterUnloading = 2 }
internal enum AvScanReason : uint { OnOpen = 0, OnCleanup = 1 }
internal enum AvCommand : uint { IsFileModified = 0, CreateSectionForDataScan = 1, CloseSectionForDataScan = 2 }
internal enum AvScanResult : uint { Undetermined = 0, Infected = 1, Clean = 2 }

/// <summary>AV_SCANNER_NOTIFICATION {Message, Reason, LONGLONG ScanId, ULONG ScanThreadId}: 24 bytes (8-aligned).</summary>
internal struct AvScannerNotification
{
    public const int Size = 24;
    public AvScanMessage Message;
    public AvScanReason Reason;
    public long ScanId;
    public uint ScanThreadId;

    public readonly void Write(Span<byte> b)
    {
        b.Slice(0, Size).Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)Message);
        BinaryPrimitives.WriteUInt32LittleEndian(b.Slice(4), (uint)Reason);
        BinaryPrimitives.WriteInt64LittleEndian(b.Slice(8), ScanId);
        BinaryPrimitives.WriteUInt32LittleEndian(b.Slice(16), ScanThreadId);
    }

    public static AvScannerNotification Read(ReadOnlySpan<byte> b) => new()
    {
        Message = (AvScanMessage)BinaryPrimitives.ReadUInt32LittleEndian(b),
        Reason = (AvScanReason)BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(4)),
        ScanId = BinaryPrimitives.ReadInt64LittleEndian(b.Slice(8)),
        ScanThreadId = BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(16)),
    };
}

/// <summary>
/// COMMAND_MESSAGE {Command, LONGLONG ScanId, ULONG ScanThreadId, union {HANDLE FileHandle; Result}}: 32 bytes, the
/// union at 24. CreateSectionForDataScan answers with the 8-byte section HANDLE as its output.
/// </summary>
internal struct AvCommandMessage
{
    public const int Size = 32;
    public const int UnionOffset = 24;
    public AvCommand Command;
    public long ScanId;
    public uint ScanThreadId;
    public AvScanResult Result;

    public readonly void Write(Span<byte> b)
    {
        b.Slice(0, Size).Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)Command);
        BinaryPrimitives.WriteInt64LittleEndian(b.Slice(8), ScanId);
        BinaryPrimitives.WriteUInt32LittleEndian(b.Slice(16), ScanThreadId);
        BinaryPrimitives.WriteUInt32LittleEndian(b.Slice(UnionOffset), (uint)Result);
    }

    public static AvCommandMessage Read(ReadOnlySpan<byte> b) => new()
    {
        Command = (AvCommand)BinaryPrimitives.ReadUInt32LittleEndian(b),
        ScanId = BinaryPrimitives.ReadInt64LittleEndian(b.Slice(8)),
        ScanThreadId = BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(16)),
        Result = (AvScanResult)BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(UnionOffset)),
    };
}
