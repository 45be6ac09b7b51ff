// The logging thread (RetrieveLogRecords in mspyLog.c): asks the filter for records with GetMiniSpyLog into a 4096-byte
// buffer, writes each to the screen, the file and/or as JSON, and waits 200 ms when there was nothing (or an error).
// 0x80070006 means the filter unloaded: the program says so and exits.
using Altitude.FilterLib;

namespace Altitude.Samples.MiniSpy.User;

internal sealed class LogReader(LogContext context)
{
    /// <summary>POLL_INTERVAL.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private readonly byte[] buffer = new byte[MiniSpyProtocol.LogBufferSize];
    private readonly byte[] command = new byte[MiniSpyProtocol.CommandMessageSize];
    private RecordJson? json;
    private bool screenHeaderWritten;

    public Thread Start()
    {
        var thread = new Thread(Run) { Name = "minispy log", IsBackground = true };
        thread.Start();
        return thread;
    }

    private void Run()
    {
        MiniSpyProtocol.WriteCommand(command, MiniSpyProtocol.GetMiniSpyLog);
        if (context.Json) json = new RecordJson(Console.OpenStandardOutput());
        while (!context.CleaningUp)
        {
            int hr = FltLib.TryFilterSendMessage(context.Port!, command, buffer, out int bytesReturned);
            if (hr < 0)
            {
                if (hr == HResults.InvalidHandle)
                {
                    // With --json, standard output is records only: the message goes where the others go.
                    context.Messages.WriteLine("The kernel component of minispy has unloaded. Exiting");
                    context.Messages.Flush();
                    Environment.Exit(0);
                }
                if (hr != HResults.NoMoreItems) context.Messages.WriteLine($"UNEXPECTED ERROR received: {(uint)hr:x}");
                context.ShutDown.Wait(PollInterval);
                continue;
            }
            Show(buffer.AsSpan(0, bytesReturned));
            if (bytesReturned == 0) context.ShutDown.Wait(PollInterval);
        }
        context.Messages.WriteLine("Log: Shutting down");
        context.Messages.WriteLine("Log: All done");
    }

    /// <summary>Walks the records one after another; each says how long it is.</summary>
    private void Show(ReadOnlySpan<byte> records)
    {
        int used = 0;
        while (used + LogRecordLayout.Name <= records.Length)
        {
            var r = new LogRecordView(records.Slice(used));
            int length = r.Length;
            if (length < LogRecordLayout.Name + 2)
            {
                context.Messages.WriteLine($"UNEXPECTED LOG_RECORD->Length: length={length} expected>={LogRecordLayout.Name + 2}");
                return;
            }
            if (used + length > records.Length)
            {
                context.Messages.WriteLine($"UNEXPECTED LOG_RECORD size: used={used + length} bytesReturned={records.Length}");
                return;
            }
            // FILETAG records carry reparse data; Linux has none, so the filter never sends one (skip it if one comes).
            if ((r.RecordType & RecordType.FileTag) == 0) Write(new LogRecordView(records.Slice(used, length)));
            used += length;
        }
    }

    private void Write(in LogRecordView r)
    {
        bool selected = context.Selection.Selects(r);
        lock (context.Gate)
        {
            // The file first: once a record is on the screen, its file line has been written too.
            if (context.OutputFile is { } file)
            {
                if (!context.FileHeaderWritten)
                {
                    file.WriteLine(RecordText.FileHeader);
                    file.WriteLine(RecordText.FileRule);
                    context.FileHeaderWritten = true;
                }
                if (selected) file.WriteLine(RecordText.File(r));
                if (RecordText.FileMemoryNote(r) is { } note) file.WriteLine(note);
            }
            if (!context.LogToScreen) return;
            if (json is not null)
            {
                if (selected || (r.RecordType & (RecordType.FlagOutOfMemory | RecordType.FlagExceedMemoryAllowance)) != 0) json.Write(r);
                return;
            }
            var screen = Console.Out;
            if (!screenHeaderWritten)
            {
                screen.WriteLine(RecordText.ScreenHeader);
                screen.WriteLine(RecordText.ScreenRule);
                screenHeaderWritten = true;
            }
            if (selected)
            {
                var (line, minor) = RecordText.Screen(r);
                screen.WriteLine(line);
                if (minor is not null) screen.WriteLine(minor);
            }
            if (RecordText.ScreenMemoryNote(r) is { } memory) screen.WriteLine(memory);
        }
    }
}
