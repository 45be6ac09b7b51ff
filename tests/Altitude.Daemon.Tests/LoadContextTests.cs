// FilterLoad and FilterUnload through IManagementService (what the control endpoint calls), in-process with fltmgrd's
// FilterService and no volume: after the unload, the package's collectible load context is really collected.
using Altitude.Daemon.Configuration;
using Altitude.Daemon.Service;
using Microsoft.Extensions.Logging;

namespace Altitude.Daemon.Tests;

public class LoadContextTests : IDisposable
{
    private readonly string top = Path.Combine("/tmp", "altitude-alc-" + Guid.NewGuid().ToString("N")[..12]);

    [Theory]
    [InlineData("NullFilter", "NullFilter", "Altitude.Samples.NullFilter.NullFilter", "370020")]
    [InlineData("PassThrough", "PassThrough", "Altitude.Samples.PassThrough.PassThroughFilter", "370030")]
    [InlineData("Change", "Change", "Altitude.Samples.Change.ChangeFilter", "370160")]
    [InlineData("SwapBuffers", "SwapBuffers", "Altitude.Samples.SwapBuffers.SwapBuffersFilter", "141000")]
    [InlineData("SimRep", "SimRep", "Altitude.Samples.SimRep.SimRepFilter", "371100")]
    [InlineData("NameChanger", "NameChanger", "Altitude.Samples.NameChanger.NameChangerFilter", "370120")]
    public void UnloadedPackageLoadContextIsCollected(string name, string project, string className, string altitude)
    {
        Directory.CreateDirectory(Path.Combine(top, "filters.d"));
        File.WriteAllText(Path.Combine(top, "fltmgrd.json"), $$"""{ "RuntimeDirectory": "{{top}}/run" }""");
        File.WriteAllText(Path.Combine(top, "filters.d", "f.json"), $$"""
            { "Name": "{{name}}", "Assembly": "{{DaemonProcess.ProjectOutput(project, project + ".dll")}}", "Class": "{{className}}",
              "StartType": "Demand", "Instances": [ { "Name": "{{name}} Instance", "Altitude": "{{altitude}}" } ] }
            """);
        var config = ConfigurationDirectory.Load(top, out var settingsErrors);
        Assert.True(config is not null, string.Join('\n', settingsErrors));
        var arguments = DaemonArguments.Parse(["--config", top], out _)!;
        var log = new LogLines();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(log));
        var service = new FilterService(config, arguments, loggers);
        try
        {
            LoadAndUnload(service, name);
            string verdict = log.WaitFor(l => l.StartsWith($"filter {name}: load context", StringComparison.Ordinal));
            Assert.Equal($"filter {name}: load context collected", verdict);
            Assert.Equal(NtStatus.FltFilterNotFound, service.UnloadFilter(name));
            // Loaded again after the unload: a fresh context.
            Assert.Equal(NtStatus.Success, service.LoadFilter(name));
            Assert.Equal(NtStatus.ObjectNameNotFound, service.LoadFilter("NoSuchFilter"));
        }
        finally
        {
            service.Manager.Dispose();
        }
    }

    /// <summary>
    /// In a frame of its own: a reference to the filter left in a stack slot of the test method (the filter list checked
    /// here) would keep the context alive and the test would blame the daemon.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void LoadAndUnload(FilterService service, string name)
    {
        Assert.Empty(service.Manager.Filters);   // Demand: nothing loads by itself
        Assert.Equal(NtStatus.Success, service.LoadFilter(name));
        Assert.Contains(service.Manager.Filters, f => f.Name == name);
        Assert.Equal(NtStatus.ImageAlreadyLoaded, service.LoadFilter(name));
        Assert.Equal(NtStatus.Success, service.UnloadFilter(name));
        Assert.Empty(service.Manager.Filters);
    }

    public void Dispose()
    {
        try { Directory.Delete(top, recursive: true); }
        catch (IOException) { }
    }

    /// <summary>A logger provider that keeps every formatted message and lets a test wait for one.</summary>
    private sealed class LogLines : ILoggerProvider, ILogger
    {
        private readonly List<string> lines = new();

        public ILogger CreateLogger(string categoryName) => this;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (lines)
            {
                lines.Add(formatter(state, exception));
                Monitor.PulseAll(lines);
            }
        }

        public string WaitFor(Func<string, bool> match)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            lock (lines)
            {
                for (int seen = 0; ; )
                {
                    for (; seen < lines.Count; seen++)
                        if (match(lines[seen])) return lines[seen];
                    var left = deadline - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero) Assert.Fail("not logged within 60 s; the log:\n" + string.Join('\n', lines));
                    Monitor.Wait(lines, left);
                }
            }
        }

        public void Dispose() { }
    }
}
