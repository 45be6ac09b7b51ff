// The filter assemblies the tests' manifests name (build outputs of projects this test project builds).
namespace Altitude.Daemon.Tests;

internal static class Filters
{
    public static string FuseTestFilter => DaemonProcess.ProjectOutput("Altitude.Fuse.TestFilter", "Altitude.Fuse.TestFilter.dll");
    public static string DaemonTestFilters => DaemonProcess.ProjectOutput("Altitude.Daemon.TestFilters", "Altitude.Daemon.TestFilters.dll");
    public static string NullFilter => DaemonProcess.ProjectOutput("NullFilter", "NullFilter.dll");
    public static string PassThrough => DaemonProcess.ProjectOutput("PassThrough", "PassThrough.dll");

    public const string PassThroughClass = "Altitude.Samples.PassThrough.PassThroughFilter";

    public const string Refusing = "Altitude.Fuse.TestFilter.RefusingFilter";
    public const string RefusedName = "refused-by-filter";   // RefusingFilter.RefusedName
    public const string Throwing = "Altitude.Fuse.TestFilter.ThrowingFilter";
    public const string ThrowingMessage = "this filter's Register always throws";   // ThrowingFilter.Message
    public const string Hanging = "Altitude.Daemon.TestFilters.HangingFilter";
    public const string HangingName = "hang-here";   // HangingFilter.HangingName
    public const string Port = "Altitude.Daemon.TestFilters.PortFilter";
    public const string Detachable = "Altitude.Daemon.TestFilters.DetachableFilter";
    public const string Vetoing = "Altitude.Daemon.TestFilters.VetoingFilter";
    public const string Unloadless = "Altitude.Daemon.TestFilters.UnloadlessFilter";
}
