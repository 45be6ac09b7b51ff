// The console format outside systemd: information as the bare message (what an operator reads, and what scripts wait for,
// e.g. "serving"), warnings and errors as "fltmgrd: [warning: ]message" on standard error, exceptions after them. Under
// systemd the built-in systemd formatter is used instead (syslog priority prefixes that journald reads).
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Altitude.Daemon.Service;

internal sealed class DaemonConsoleFormatter : ConsoleFormatter
{
    public const string FormatterName = "fltmgrd";

    public DaemonConsoleFormatter() : base(FormatterName) { }

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        string message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (logEntry.Exception is null && string.IsNullOrEmpty(message)) return;
        textWriter.Write(logEntry.LogLevel switch
        {
            LogLevel.Warning => "fltmgrd: warning: ",
            >= LogLevel.Error => "fltmgrd: ",
            _ => "",
        });
        textWriter.Write(message);
        if (logEntry.Exception is not null && !message.Contains(logEntry.Exception.Message, StringComparison.Ordinal))
            textWriter.Write(": " + logEntry.Exception);
        textWriter.WriteLine();
    }
}
