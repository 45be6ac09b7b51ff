// The Scanner's shared layouts (samples/Scanner/Shared/ScannerMessages.cs) against scanuk.h: SCANNER_NOTIFICATION is
// 1032 bytes with the contents at 8, SCANNER_REPLY is one byte; with the 16-byte FltLib headers a get is 1048 bytes
// and a reply 17.
using System.Runtime.CompilerServices;
using Altitude.Samples.Scanner;

namespace Altitude.Samples.Tests;

public class ScannerMessageLayoutTests
{
    [Fact]
    public void TheStructsHaveTheWdkSizesAndOffsets()
    {
        Assert.Equal(1032, Unsafe.SizeOf<ScannerNotification>());
        Assert.Equal(ScannerNotification.Size, Unsafe.SizeOf<ScannerNotification>());
        Assert.Equal(1024, Unsafe.SizeOf<ScannerContents>());
        Assert.Equal(1, Unsafe.SizeOf<ScannerReply>());
        var n = new ScannerNotification();
        ref byte start = ref Unsafe.As<ScannerNotification, byte>(ref n);
        Assert.Equal(ScannerNotification.ContentsOffset, (int)Unsafe.ByteOffset(ref start, ref n.Contents[0]));
        Assert.Equal(4, (int)Unsafe.ByteOffset(ref start, ref Unsafe.As<uint, byte>(ref n.Reserved)));
        Assert.Equal(1048, 16 + ScannerNotification.Size);
        Assert.Equal(17, 16 + ScannerReply.Size);
    }

    [Fact]
    public void ContentsOfReadsBytesToScanBoundedByTheBuffer()
    {
        var buffer = new byte[ScannerNotification.Size];
        ScannerNotification.WriteHeader(buffer, 4);
        "foul"u8.CopyTo(buffer.AsSpan(ScannerNotification.ContentsOffset));
        Assert.Equal("foul"u8.ToArray(), ScannerNotification.ContentsOf(buffer).ToArray());
        // A BytesToScan beyond the buffer is cut at its end.
        ScannerNotification.WriteHeader(buffer, 5000);
        Assert.Equal(ScannerProtocol.ReadBufferSize, ScannerNotification.ContentsOf(buffer).Length);
    }
}
