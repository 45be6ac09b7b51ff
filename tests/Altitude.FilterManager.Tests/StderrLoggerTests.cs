// Without a host logger, a FilterManager still reports faults and errors: on stderr, one line each.
using Microsoft.Extensions.Logging;

namespace Altitude.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StderrCollection
{
    public const string Name = "Console.Error redirected";
}

[Collection(StderrCollection.Name)]
public sealed class StderrLoggerTests
{
    [Fact]
    public void AFilterManagerWithoutALoggerWritesFaultsToStderr()
    {
        var captured = new StringWriter();
        var original = Console.Error;
        Console.SetError(captured);
        try
        {
            using var manager = new FilterManager();
            var volume = manager.AddVolume(new FakeFileSystem(new EventLog()));
            var bad = new LambdaFilter("Loud", new EventLog()).Register(manager, "200");
            bad.Pre = (CallbackData d, in RelatedObjects o, out object? c) => throw new InvalidOperationException("boom");
            Assert.Equal(NtStatus.UnhandledException, Ops.RunRead(volume).Status);
        }
        finally
        {
            Console.SetError(original);
        }
        var line = captured.ToString().Split('\n').Single(l => l.Contains("Filter fault", StringComparison.Ordinal));
        Assert.Contains(" Error Altitude: Filter fault", line);
        Assert.Contains("Loud", line);
        Assert.Contains("[System.InvalidOperationException: boom]", line);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ", line);
    }

    [Fact]
    public void DebugAndInformationStayOutAndWarningsGoIn()
    {
        var captured = new StringWriter();
        var original = Console.Error;
        Console.SetError(captured);
        try
        {
            ILogger logger = StderrLogger.Instance;
            Assert.False(logger.IsEnabled(LogLevel.Information));
            logger.LogDebug("quiet debug");
            logger.LogInformation("quiet info");
            logger.LogWarning("loud {What}", "warning");
        }
        finally
        {
            Console.SetError(original);
        }
        var text = captured.ToString();
        Assert.DoesNotContain("quiet", text);
        Assert.Contains(" Warning Altitude: loud warning", text);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void AClosedStderrDoesNotThrowAndManyThreadsWriteWholeLines()
    {
        var original = Console.Error;
        var closed = new StringWriter();
        closed.Dispose();
        Console.SetError(closed);
        try
        {
            StderrLogger.Instance.LogError(new IOException("disk"), "nobody reads this");   // must not throw
        }
        finally
        {
            Console.SetError(original);
        }

        var captured = new StringWriter();
        Console.SetError(captured);
        try
        {
            Parallel.For(0, 200, i => StderrLogger.Instance.LogWarning("line {Index} multi\nline", i));
        }
        finally
        {
            Console.SetError(original);
        }
        var lines = captured.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(200, lines.Length);
        Assert.All(lines, l => Assert.Matches(@" Warning Altitude: line \d+ multi \| line\r?$", l));
    }
}
