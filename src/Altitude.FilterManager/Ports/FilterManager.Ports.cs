// The Filter Manager's part in ports: the name table (names are unique per manager and per socket file)
// and the logger ports write to.
using Altitude.Ports;
using Microsoft.Extensions.Logging;

namespace Altitude;

public sealed partial class FilterManager
{
    private readonly Dictionary<string, ServerPort?> portNames = new(StringComparer.Ordinal);
    private PortDispatcher? portDispatcher;

    internal ILogger PortLogger => logger;

    /// <summary>The ports' I/O thread and workers, started with the first port.</summary>
    internal PortDispatcher PortDispatcher
    {
        get
        {
            lock (portNames) return portDispatcher ??= new PortDispatcher(Options, logger);
        }
    }

    /// <summary>After every filter unloaded (so every port and connection is closed): the I/O thread ends.</summary>
    private void StopPorts()
    {
        PortDispatcher? d;
        lock (portNames) { d = portDispatcher; portDispatcher = null; }
        d?.Dispose();
    }

    /// <summary>Claims a socket path for a port being created; false if a port of this manager has it.</summary>
    internal bool ReservePortName(string path)
    {
        lock (portNames) return portNames.TryAdd(path, null);
    }

    internal void BindPortName(string path, ServerPort port)
    {
        lock (portNames) portNames[path] = port;
    }

    internal void ReleasePortName(string path, ServerPort? port)
    {
        lock (portNames)
        {
            if (portNames.TryGetValue(path, out var owner) && (owner is null || ReferenceEquals(owner, port))) portNames.Remove(path);
        }
    }

    /// <summary>FltBuildDefaultSecurityDescriptor: SDDL granting <paramref name="access"/> to SY and BA only.</summary>
    public static string BuildDefaultSecurityDescriptor(uint access = PortAccess.AllAccess) => SecurityDescriptor.BuildDefault(access);
}
