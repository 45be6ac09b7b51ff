// ScannerWorker: one of the threads draining the completion queue. For each message: print it, search the contents for
// "foul", reply with the verdict, post the get again. A failed completion or reply ends the thread.
using Altitude.FilterLib;

namespace Altitude.Samples.Scanner.User;

internal sealed class ScanWorker
{
    private static ReadOnlySpan<byte> FoulString => "foul"u8;

    private readonly FilterPortHandle port;
    private readonly CompletionQueue queue;
    private readonly bool replies;

    /// <param name="replies">False only in the test mode that holds every message unanswered (README: ALTITUDE_SCANUSER_NO_REPLY).</param>
    public ScanWorker(FilterPortHandle port, CompletionQueue queue, bool replies)
    {
        this.port = port;
        this.queue = queue;
        this.replies = replies;
    }

    public void Run()
    {
        Span<byte> reply = stackalloc byte[ScannerMessage.ReplySize];
        int hr;
        while (true)
        {
            MessageSlot slot = queue.Take();
            hr = slot.HResult;
            if (hr < 0) break;
            Console.WriteLine($"Received message, size {slot.Bytes}");
            FilterMessageHeader header = FilterMessageHeader.Read(slot.Buffer);
            bool found = ScanBuffer(ScannerNotification.ContentsOf(ScannerMessage.Notification(slot.Buffer.AsSpan(0, slot.Bytes))));
            if (!replies) continue;   // held: the filter's send waits until the scanner goes away
            ScannerMessage.WriteReply(reply, header.MessageId, safeToOpen: !found);
            Console.WriteLine($"Replying message, SafeToOpen: {(found ? 0 : 1)}");
            hr = FltLib.TryFilterReplyMessage(port, reply);
            if (hr >= 0) Console.WriteLine("Replied message");
            else
            {
                Console.WriteLine($"Scanner: Error replying message. Error = 0x{(uint)hr:X}");
                break;
            }
            slot.Post(port);
        }
        if (hr == HResults.InvalidHandle) Console.WriteLine("Scanner: Port is disconnected, probably due to scanner filter unloading.");
        else Console.WriteLine($"Scanner: Unknown error occurred. Error = 0x{(uint)hr:X}");
    }

    /// <summary>ScanBuffer: a case-sensitive byte search for "foul".</summary>
    private static bool ScanBuffer(ReadOnlySpan<byte> contents)
    {
        if (contents.IndexOf(FoulString) < 0) return false;
        Console.WriteLine("Found a string");
        return true;
    }
}
