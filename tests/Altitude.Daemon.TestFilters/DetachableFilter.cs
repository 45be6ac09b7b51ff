// A filter that registers no operations and agrees to everything a manager asks: its instances detach by hand
// (InstanceQueryTeardown succeeds) and it unloads (FilterUnload unregisters). The fltmc tests load, attach, detach and
// unload it through fltmgrd.
namespace Altitude.Daemon.TestFilters;

public sealed class DetachableFilter : IMiniFilter
{
    private Filter? filter;

    public NtStatus DriverEntry(DriverObject driver)
    {
        var registration = new FilterRegistration
        {
            OperationRegistration = Array.Empty<OperationRegistration>(),
            FilterUnload = _ => { filter?.Unregister(); return NtStatus.Success; },
            InstanceQueryTeardown = (in RelatedObjects _, InstanceTeardownFlags _) => NtStatus.Success,
        };
        NtStatus st = driver.RegisterFilter(registration, out filter);
        return st.IsSuccess() ? filter!.StartFiltering() : st;
    }
}
