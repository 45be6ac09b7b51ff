// The entry point a minifilter assembly offers to fltmgrd (DriverEntry's role): fltmgrd loads the assembly, creates
// each public class implementing this interface with its parameterless constructor, and calls Register.
namespace Altitude;

/// <summary>A loadable minifilter. Register calls FilterManager.RegisterFilter and Filter.StartFiltering.</summary>
public interface IMiniFilter
{
    /// <summary>Registers with <paramref name="manager"/> and starts filtering; returns the status of either call.</summary>
    NtStatus Register(FilterManager manager);
}
