// A filter with no FilterUnload callback: like a Windows minifilter without one, it can never be unloaded by request
// (STATUS_FLT_DO_NOT_DETACH); it goes only with the process.
namespace Altitude.Daemon.TestFilters;

public sealed class UnloadlessFilter : IMiniFilter
{
    public NtStatus DriverEntry(DriverObject driver)
    {
        var registration = new FilterRegistration { OperationRegistration = Array.Empty<OperationRegistration>() };
        NtStatus st = driver.RegisterFilter(registration, out Filter? filter);
        return st.IsSuccess() ? filter!.StartFiltering() : st;
    }
}
