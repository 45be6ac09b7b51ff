// A benchmark filter (bench/blocking-filter.sh): every pre-create waits ALTITUDE_SLOW_MS milliseconds (default 10),
// either blocking in the callback (ALTITUDE_SLOW_MODE=block, the default: a scanner waiting synchronously for its
// service) or pending the operation and completing it from a timer (ALTITUDE_SLOW_MODE=pend). Creates of names that
// do not start with ALTITUDE_SLOW_PREFIX (default: every name) pass at once. The number of operations waiting now is
// written to ALTITUDE_SLOW_STATUS (a file outside the mount) when that is set, so a script can wait for a figure.
using System.Globalization;
using System.Text;
using Altitude;

namespace Altitude.Bench.SlowCreate;

public sealed class SlowCreateFilter : IMiniFilter
{
    public const string DefaultAltitude = "265000";
    private readonly int delay = int.TryParse(Environment.GetEnvironmentVariable("ALTITUDE_SLOW_MS"), NumberStyles.None, CultureInfo.InvariantCulture, out int ms) ? ms : 10;
    private readonly bool pend = Environment.GetEnvironmentVariable("ALTITUDE_SLOW_MODE") == "pend";
    private readonly byte[] prefix = Encoding.UTF8.GetBytes(Environment.GetEnvironmentVariable("ALTITUDE_SLOW_PREFIX") ?? "");
    private readonly string? status = Environment.GetEnvironmentVariable("ALTITUDE_SLOW_STATUS");
    private int waiting;

    public NtStatus DriverEntry(DriverObject driver)
    {
        var registration = new FilterRegistration
        {
            OperationRegistration = [new OperationRegistration(MajorFunction.Create, 0, PreCreate, null)],
            FilterUnload = _ => NtStatus.Success,
        };
        NtStatus st = driver.RegisterFilter(registration, out Filter? filter);
        return st.IsSuccess() ? filter!.StartFiltering() : st;
    }

    private PreOperationStatus PreCreate(CallbackData data, in RelatedObjects objects, out object? context)
    {
        context = null;
        if (!data.Iopb.TargetFileObject!.FileName.Span.StartsWith(prefix)) return PreOperationStatus.SuccessNoCallback;
        Report(Interlocked.Increment(ref waiting));
        if (!pend)
        {
            Thread.Sleep(delay);
            Report(Interlocked.Decrement(ref waiting));
            return PreOperationStatus.SuccessNoCallback;
        }
        PendedOperation op = data.PendedOperation;
        Timer? timer = null;
        timer = new Timer(_ =>
        {
            Report(Interlocked.Decrement(ref waiting));
            op.CompletePreOperation(PreOperationStatus.SuccessNoCallback);
            timer!.Dispose();
        }, null, delay, Timeout.Infinite);
        return PreOperationStatus.Pending;
    }

    private readonly object statusGate = new();

    private void Report(int _)
    {
        if (status is null) return;
        // Written under a lock with the count read inside it, so the file never ends on a stale figure.
        lock (statusGate)
            try { File.WriteAllText(status, Volatile.Read(ref waiting).ToString(CultureInfo.InvariantCulture)); } catch (IOException) { }
    }
}
