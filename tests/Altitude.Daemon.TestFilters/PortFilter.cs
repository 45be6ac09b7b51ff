// A filter that creates a communication port named by its Parameters (PortName): two packages with the same PortName
// collide, and the second one's DriverEntry fails with the port's status (DaemonTests).
namespace Altitude.Daemon.TestFilters;

public sealed class PortFilter : IMiniFilter
{
    private Filter? filter;
    private ServerPort? port;

    public NtStatus DriverEntry(DriverObject driver)
    {
        var registration = new FilterRegistration
        {
            FilterUnload = _ =>
            {
                filter?.CloseCommunicationPort(port);
                filter?.Unregister();
                return NtStatus.Success;
            },
        };
        NtStatus st = driver.RegisterFilter(registration, out filter);
        if (!st.IsSuccess()) return st;
        string name = driver.Parameters.GetString("PortName", @"\AltitudeTestPort");
        st = filter!.CreateCommunicationPort(new ObjectAttributes(name, ObjectAttributes.PortDefaults, null), null,
            (ClientPort _, object? _, ReadOnlySpan<byte> _, out object? cookie) => { cookie = null; return NtStatus.Success; }, _ => { }, null, 1, out port);
        if (!st.IsSuccess())
        {
            filter.Unregister();
            return st;
        }
        return filter.StartFiltering();
    }
}
