// A filter whose pre-create never returns for one name (DaemonTests: the stop must still end within its bound, and the
// mount must be gone). It says on standard output when a callback is stuck, so the test knows the hang is in place.
namespace Altitude.Daemon.TestFilters;

public sealed class HangingFilter : IMiniFilter
{
    public const string HangingName = "hang-here";
    private static readonly ManualResetEventSlim Never = new(false);
    private Filter? filter;

    public NtStatus DriverEntry(DriverObject driver)
    {
        var registration = new FilterRegistration
        {
            OperationRegistration = new[] { new OperationRegistration(MajorFunction.Create, OperationRegistrationFlags.None, PreCreate, null) },
            FilterUnload = _ => { filter?.Unregister(); return NtStatus.Success; },
        };
        NtStatus st = driver.RegisterFilter(registration, out filter);
        return st.IsSuccess() ? filter!.StartFiltering() : st;
    }

    private static PreOperationStatus PreCreate(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        if (!data.GetFileNameInformation(NameOptions.Normalized | NameOptions.QueryDefault, out FileNameInformation? info).IsSuccess())
            return PreOperationStatus.SuccessNoCallback;
        bool hang = info!.Name.EndsWith("/" + HangingName, StringComparison.Ordinal);
        info.Release();
        if (!hang) return PreOperationStatus.SuccessNoCallback;
        Console.WriteLine("Hanging: pre-create blocked for good");
        Never.Wait();
        return PreOperationStatus.SuccessNoCallback;
    }
}
