// scanuk.h: what the Scanner filter and scanuser share, compiled into both (the filter and samples/Scanner/User link
// this one file). Only the port name and the two payloads; the user side adds the FltLib headers (User/ScannerMessage.cs).
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Altitude.Samples.Scanner;

/// <summary>The names and sizes both sides agree on.</summary>
public static class ScannerProtocol
{
    /// <summary>ScannerPortName.</summary>
    public const string PortName = @"\ScannerPort";

    /// <summary>SCANNER_READ_BUFFER_SIZE: how many bytes of a file (or of a write) are sent for scanning.</summary>
    public const int ReadBufferSize = 1024;
}

/// <summary>The 1024 content bytes of a notification, inline.</summary>
[InlineArray(ScannerProtocol.ReadBufferSize)]
public struct ScannerContents
{
    private byte first;
}

/// <summary>
/// SCANNER_NOTIFICATION, the filter's message (1032 bytes): ULONG BytesToScan at 0, ULONG Reserved at 4 (for quad
/// alignment of the contents), UCHAR Contents[1024] at 8; only the first BytesToScan bytes mean anything.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct ScannerNotification
{
    public const int Size = 8 + ScannerProtocol.ReadBufferSize;
    public const int ContentsOffset = 8;

    public uint BytesToScan;
    public uint Reserved;
    public ScannerContents Contents;

    /// <summary>Writes the header fields; the contents are written in place at <see cref="ContentsOffset"/>.</summary>
    public static void WriteHeader(Span<byte> buffer, uint bytesToScan)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, bytesToScan);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[4..], 0);
    }

    /// <summary>The bytes to scan in a received notification (BytesToScan, bounded by the buffer).</summary>
    public static ReadOnlySpan<byte> ContentsOf(ReadOnlySpan<byte> notification)
    {
        uint n = BinaryPrimitives.ReadUInt32LittleEndian(notification);
        int available = notification.Length - ContentsOffset;
        return notification.Slice(ContentsOffset, (int)Math.Min(n, (uint)Math.Max(available, 0)));
    }
}

/// <summary>SCANNER_REPLY, scanuser's verdict (1 byte): BOOLEAN SafeToOpen at 0.</summary>
[StructLayout(LayoutKind.Sequential, Size = Size)]
public struct ScannerReply
{
    public const int Size = 1;

    public byte SafeToOpen;
}
