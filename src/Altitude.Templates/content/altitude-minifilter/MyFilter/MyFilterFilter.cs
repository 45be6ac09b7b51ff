// MyFilter: a minifilter for Altitude's Filter Manager. The example callback denies opens of names that end in the
// BlockedSuffix parameter (".blocked" by default, from the manifest's Parameters): programs on the mount get EACCES.
// Replace it with your own; docs/writing-a-filter.md in the Altitude repository is the guide.
using Altitude;

namespace MyFilter;

public sealed class MyFilterFilter : IMiniFilter
{
    public const string DefaultAltitude = "370000";
    private string blockedSuffix = ".blocked";
    private Filter? filter;

    /// <summary>DriverEntry: reads the parameters, registers the callbacks and starts filtering.</summary>
    public NtStatus DriverEntry(DriverObject driver)
    {
        blockedSuffix = driver.Parameters.GetString("BlockedSuffix", blockedSuffix);
        var registration = new FilterRegistration
        {
            OperationRegistration = new[]
            {
                new OperationRegistration(MajorFunction.Create, OperationRegistrationFlags.None, PreCreate, null),
            },
            // Unloading is allowed; fltmgrd calls it at `fltmc unload` and when it stops.
            FilterUnload = _ => { filter?.Unregister(); return NtStatus.Success; },
            InstanceQueryTeardown = (in RelatedObjects objects, InstanceTeardownFlags flags) => NtStatus.Success,
        };
        NtStatus status = driver.RegisterFilter(registration, out filter);
        if (!status.IsSuccess()) return status;
        status = filter!.StartFiltering();
        if (!status.IsSuccess()) filter.Unregister();
        return status;
    }

    /// <summary>Every open and create comes here first: deny the blocked names, let the rest go down.</summary>
    private PreOperationStatus PreCreate(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        if (objects.FileObject is { } fileObject && fileObject.FileNameText.EndsWith(blockedSuffix, StringComparison.Ordinal))
        {
            data.IoStatus = new IoStatusBlock(NtStatus.AccessDenied, 0);
            return PreOperationStatus.Complete;   // nothing below runs; the caller gets EACCES
        }
        return PreOperationStatus.SuccessNoCallback;
    }
}
