// NullFilter (WDK sample filesys/miniFilter/nullFilter, altitude 370020): the smallest minifilter. It registers no
// operations at all, only an unload callback, so it attaches to every volume and sees nothing: what a filter costs the
// Filter Manager when it filters nothing.
using Altitude;

namespace Altitude.Samples.NullFilter;

/// <summary>The NullFilter minifilter.</summary>
public sealed class NullFilter : IMiniFilter
{
    private Filter? filter;

    /// <summary>DriverEntry: FltRegisterFilter with an empty operation table, then FltStartFiltering.</summary>
    public NtStatus DriverEntry(DriverObject driver)
    {
        var registration = new FilterRegistration
        {
            OperationRegistration = Array.Empty<OperationRegistration>(),
            FilterUnload = Unload,
        };
        NtStatus status = driver.RegisterFilter(registration, out filter);
        if (!status.IsSuccess()) return status;
        status = filter!.StartFiltering();
        if (!status.IsSuccess()) filter.Unregister();
        return status;
    }

    /// <summary>NullUnload: FltUnregisterFilter; it never refuses (an optional unload is allowed too).</summary>
    private NtStatus Unload(FilterUnloadFlags flags)
    {
        filter?.Unregister();
        return NtStatus.Success;
    }
}
