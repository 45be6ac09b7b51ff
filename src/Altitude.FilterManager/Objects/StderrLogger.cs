// The logger a FilterManager uses when the host gives none: Warning and above go to stderr, so port
// errors, protocol errors and filter faults never vanish. Debug and Information stay out (noise).
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Altitude;

/// <summary>One line per entry on stderr: time, level, "Altitude", message, exception type and message.</summary>
internal sealed class StderrLogger : ILogger
{
    public static readonly StderrLogger Instance = new();

    // Console.Error is synchronized already; the lock keeps a line from interleaving with another
    // logger's line and makes the write and the flush one step.
    private static readonly object WriteLock = new();

    private StderrLogger() { }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        try
        {
            string message = formatter(state, exception);
            string failure = exception is null ? "" : $" [{exception.GetType().FullName}: {OneLine(exception.Message)}]";
            string line = string.Create(CultureInfo.InvariantCulture,
                $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {logLevel} Altitude: {OneLine(message)}{failure}");
            lock (WriteLock)
            {
                var error = Console.Error;
                error.WriteLine(line);
                error.Flush();
            }
        }
        catch
        {
            // stderr closed or a broken formatter: logging must never fail the caller.
        }
    }

    private static string OneLine(string text) => text.Contains('\n') ? text.ReplaceLineEndings(" | ") : text;
}
