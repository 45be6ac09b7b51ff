// A minifilter that fltmgrd loads with --filter Altitude.Fuse.TestFilter.dll (FilterLoadingTests): its effect shows
// through the mount, so a test can tell that a filter loaded from the command line really sees the operations there.
// It fails every open of a file named "refused-by-filter" with STATUS_ACCESS_DENIED (EACCES for the program on the
// mount) and lets everything else through.
namespace Altitude.Fuse.TestFilter;

public sealed class RefusingFilter : IMiniFilter
{
    public const string RefusedName = "refused-by-filter";
    public const string FilterAltitude = "385000";

    private Filter? filter;

    public NtStatus DriverEntry(DriverObject driver)
    {
        var registration = new FilterRegistration
        {
            OperationRegistration = new[] { new OperationRegistration(MajorFunction.Create, OperationRegistrationFlags.None, PreCreate, null) },
            FilterUnload = flags =>
            {
                // Seen by FilterLoadingTests on fltmgrd's standard output: a service stop calls FilterUnload.
                Console.WriteLine($"Refusing: FilterUnload ({flags})");
                filter?.Unregister();
                return NtStatus.Success;
            },
        };
        NtStatus st = driver.RegisterFilter(registration, out filter);
        return st.IsSuccess() ? filter!.StartFiltering() : st;
    }

    private static PreOperationStatus PreCreate(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        // An OPEN of an existing file names no file (only its node): ask for the name, as a filter does.
        if (!data.GetFileNameInformation(NameOptions.Normalized | NameOptions.QueryDefault, out FileNameInformation? info).IsSuccess())
            return PreOperationStatus.SuccessNoCallback;
        bool refused = info!.Name.EndsWith("/" + RefusedName, StringComparison.Ordinal);
        info.Release();
        if (!refused) return PreOperationStatus.SuccessNoCallback;
        data.IoStatus = new IoStatusBlock(NtStatus.AccessDenied, 0);
        return PreOperationStatus.Complete;
    }
}
