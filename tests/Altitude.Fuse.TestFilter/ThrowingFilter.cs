// A minifilter whose DriverEntry throws (FilterLoadingTests): fltmgrd must report it by name and go on serving with
// the other filters of the same assembly and command line.
namespace Altitude.Fuse.TestFilter;

public sealed class ThrowingFilter : IMiniFilter
{
    public const string Message = "this filter's Register always throws";

    public NtStatus DriverEntry(DriverObject driver) => throw new InvalidOperationException(Message);
}
