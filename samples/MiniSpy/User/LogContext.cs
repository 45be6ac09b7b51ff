// LOG_CONTEXT of mspyLog.h: what the command interpreter and the logging thread share (the port, where records go, the
// shutdown signal), plus the Linux additions (--json, the record selection, where the program's own messages go).
using Altitude.FilterLib;

namespace Altitude.Samples.MiniSpy.User;

internal sealed class LogContext
{
    /// <summary>Guards the outputs: the logging thread writes records while the interpreter toggles them.</summary>
    public readonly object Gate = new();

    public FilterPortHandle? Port;
    /// <summary>Set by <c>exit</c>: the logging thread finishes its poll and ends.</summary>
    public volatile bool CleaningUp;
    /// <summary>Signalled with <see cref="CleaningUp"/>, so a thread waiting between polls wakes at once.</summary>
    public readonly ManualResetEventSlim ShutDown = new();

    public volatile bool LogToScreen;
    /// <summary>The screen state to restore when command mode ends (/s toggles it).</summary>
    public bool NextLogToScreen = true;
    public StreamWriter? OutputFile;
    public bool FileHeaderWritten;

    public bool Json;
    public RecordSelection Selection = new();

    /// <summary>The program's own messages: standard output, or standard error with --json (stdout stays pure JSON lines).</summary>
    public TextWriter Messages = Console.Out;
}
