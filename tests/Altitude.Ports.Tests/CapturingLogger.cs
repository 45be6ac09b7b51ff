using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Altitude.Ports.Tests;

/// <summary>Keeps every log line, to check that a closed connection says why.</summary>
internal sealed class CapturingLogger : ILogger
{
    public readonly ConcurrentQueue<string> Lines = new();
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue($"{logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.GetType().Name)}");
    public bool Contains(string text)
    {
        foreach (var l in Lines) if (l.Contains(text, StringComparison.Ordinal)) return true;
        return false;
    }
}
