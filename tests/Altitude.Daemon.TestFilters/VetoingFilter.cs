// A filter that refuses to go: its FilterUnload and its InstanceQueryTeardown return STATUS_FLT_DO_NOT_DETACH, so a
// non-mandatory unload (fltmc unload) and a manual detach (fltmc detach) fail. A service stop's mandatory unload
// still removes it.
namespace Altitude.Daemon.TestFilters;

public sealed class VetoingFilter : IMiniFilter
{
    private Filter? filter;

    public NtStatus DriverEntry(DriverObject driver)
    {
        var registration = new FilterRegistration
        {
            OperationRegistration = Array.Empty<OperationRegistration>(),
            FilterUnload = flags =>
            {
                if ((flags & FilterUnloadFlags.Mandatory) == 0) return NtStatus.FltDoNotDetach;
                filter?.Unregister();
                return NtStatus.Success;
            },
            InstanceQueryTeardown = (in RelatedObjects _, InstanceTeardownFlags _) => NtStatus.FltDoNotDetach,
        };
        NtStatus st = driver.RegisterFilter(registration, out filter);
        return st.IsSuccess() ? filter!.StartFiltering() : st;
    }
}
