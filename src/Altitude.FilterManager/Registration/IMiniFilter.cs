// The entry point a minifilter package offers to fltmgrd (DriverEntry's role): fltmgrd loads the package's assembly
// into its own collectible load context, creates the public IMiniFilter class its manifest names (or every public
// one, for a bare assembly) with its parameterless constructor, and calls DriverEntry.
namespace Altitude;

/// <summary>A loadable minifilter.</summary>
public interface IMiniFilter
{
    /// <summary>
    /// DriverEntry: registers with <see cref="DriverObject.RegisterFilter"/> (the configuration, instances and
    /// parameters come from the package's manifest, the service key's role) and calls
    /// <see cref="Filter.StartFiltering"/>; returns the status of either. A failure, or a throw, means the filter is
    /// not loaded: whatever it registered is unregistered again.
    /// </summary>
    NtStatus DriverEntry(DriverObject driver);
}
