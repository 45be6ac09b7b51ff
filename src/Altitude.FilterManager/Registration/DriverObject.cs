// DRIVER_OBJECT plus RegistryPath, as DriverEntry receives them: the Filter Manager to register with, the service
// configuration (name, instances, default instance) and the service's Parameters key.
namespace Altitude;

/// <summary>What a minifilter's DriverEntry gets: where to register, and its service configuration and parameters.</summary>
public sealed class DriverObject
{
    private Filter? filter;

    public DriverObject(FilterManager manager, FilterConfiguration configuration, FilterParameters? parameters = null)
    {
        Manager = manager;
        Configuration = configuration;
        Parameters = parameters ?? FilterParameters.Empty;
    }

    public FilterManager Manager { get; }

    /// <summary>The service key: filter name, instances (name, altitude, flags) and the default instance.</summary>
    public FilterConfiguration Configuration { get; }

    /// <summary>The service's Parameters key (the manifest's "Parameters" section).</summary>
    public FilterParameters Parameters { get; }

    /// <summary>The service name (RegistryPath's last component).</summary>
    public string ServiceName => Configuration.Name;

    /// <summary>
    /// The filter this driver registered: through <see cref="RegisterFilter"/>, or, for a DriverEntry that called
    /// FilterManager.RegisterFilter itself, the one registered under the service name.
    /// </summary>
    public Filter? Filter => Volatile.Read(ref filter) ?? (Manager.GetFilterFromName(ServiceName, out var f).IsSuccess() ? f : null);

    /// <summary>FltRegisterFilter(DriverObject, Registration, &amp;Filter) with this driver's configuration.</summary>
    public NtStatus RegisterFilter(FilterRegistration registration, out Filter? registered)
    {
        NtStatus st = Manager.RegisterFilter(Configuration, registration, out registered);
        if (st.IsSuccess()) Volatile.Write(ref filter, registered);
        return st;
    }
}
