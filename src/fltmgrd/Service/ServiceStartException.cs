// A start that cannot go on (the control endpoint cannot listen: another fltmgrd has the socket): fltmgrd exits 1
// with the reason instead of serving without management.
namespace Altitude.Daemon.Service;

internal sealed class ServiceStartException(string message) : Exception(message);
