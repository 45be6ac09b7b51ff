// fltmgrd: the Altitude daemon (docs/service.md). Reads the configuration directory (docs/configuration.md), then runs
// the service under Microsoft.Extensions.Hosting until SIGINT or SIGTERM.
using Altitude.Daemon;
using Altitude.Daemon.Configuration;
using Altitude.Daemon.Service;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

const int ExConfig = 78;   // sysexits.h EX_CONFIG: systemd's RestartPreventExitStatus and operators read it as "fix the configuration"

if (args.Length > 0 && args[0] is "-h" or "--help")
{
    Console.WriteLine(DaemonArguments.Usage);
    return 0;
}
var arguments = DaemonArguments.Parse(args, out string? usageError);
if (arguments is null)
{
    Console.Error.WriteLine($"fltmgrd: {usageError}\n\n{DaemonArguments.Usage}");
    return 2;
}
ConfigurationDirectory config;
if (arguments.EffectiveConfigDirectory is string directory)
{
    var loaded = ConfigurationDirectory.Load(directory, out var settingsErrors);
    if (loaded is null)
    {
        foreach (string e in settingsErrors) Console.Error.WriteLine("fltmgrd: " + e);
        Console.Error.WriteLine("fltmgrd: not started: the settings are invalid");
        return ExConfig;
    }
    config = loaded;
}
else config = ConfigurationDirectory.Empty();
var settings = (arguments.RuntimeDirectory is { } runtime ? config.Settings.WithRuntimeDirectory(runtime) : config.Settings) with
{
    MinReaders = arguments.MinReaders ?? config.Settings.MinReaders,
    MaxReaders = arguments.MaxReaders ?? config.Settings.MaxReaders,
    MaxRequests = arguments.MaxRequests ?? config.Settings.MaxRequests,
    Transport = arguments.Transport ?? config.Settings.Transport,
};
if (settings.MinReaders > settings.MaxReaders) { Console.Error.WriteLine($"fltmgrd: --min-readers ({settings.MinReaders}) is above --max-readers ({settings.MaxReaders})"); return 2; }
if (settings.MaxRequests < settings.MaxReaders) { Console.Error.WriteLine($"fltmgrd: --max-requests ({settings.MaxRequests}) is below --max-readers ({settings.MaxReaders})"); return 2; }
config = config.With(settings);

var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { Args = args });
builder.Logging.SetMinimumLevel(settings.LogLevel);
// journald sets JOURNAL_STREAM for a service whose output it reads: there, syslog priority prefixes; elsewhere, plain lines.
bool journal = Environment.GetEnvironmentVariable("JOURNAL_STREAM") is not null;
if (journal) builder.Logging.AddSystemdConsole(o => o.IncludeScopes = false);
else
{
    builder.Logging.AddConsole(o =>
    {
        o.FormatterName = DaemonConsoleFormatter.FormatterName;
        o.LogToStandardErrorThreshold = LogLevel.Warning;
    });
    builder.Logging.AddConsoleFormatter<DaemonConsoleFormatter, ConsoleFormatterOptions>();
}
// The host must not cut the stop short: the service bounds it itself (Settings.StopTimeout), leaving what hangs behind.
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.StopTimeout + TimeSpan.FromSeconds(5));
builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
builder.Services.AddSingleton(config);
builder.Services.AddSingleton(arguments);
builder.Services.AddSingleton<FilterService>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<FilterService>());

using var host = builder.Build();
try
{
    host.Run();
}
catch (ServiceStartException e)
{
    // Logged already; this is the one line an operator running it by hand reads.
    Console.Error.WriteLine("fltmgrd: not started: " + e.Message);
    return 1;
}
return 0;
