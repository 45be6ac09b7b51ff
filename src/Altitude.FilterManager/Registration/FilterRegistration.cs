// FLT_REGISTRATION and FLT_OPERATION_REGISTRATION, as immutable C# objects built once by the filter.
namespace Altitude;

/// <summary>One row of the operation table: the major, its flags, and the callbacks (either may be null).</summary>
public sealed record OperationRegistration(
    MajorFunction MajorFunction,
    OperationRegistrationFlags Flags,
    PreOperationCallback? PreOperation,
    PostOperationCallback? PostOperation);

/// <summary>
/// FLT_REGISTRATION. Everything after <see cref="Version"/> is optional.
/// </summary>
public sealed class FilterRegistration
{
    /// <summary>FLT_REGISTRATION_VERSION. Any other value fails registration with STATUS_INVALID_PARAMETER.</summary>
    public const ushort CurrentVersion = 0x0203;

    public ushort Version { get; init; } = CurrentVersion;
    public FilterRegistrationFlags Flags { get; init; }
    /// <summary>FLT_CONTEXT_REGISTRATION rows: which context types and sizes the filter allocates (spec section 3).</summary>
    public IReadOnlyList<ContextRegistration> ContextRegistration { get; init; } = Array.Empty<ContextRegistration>();
    public IReadOnlyList<OperationRegistration> OperationRegistration { get; init; } = Array.Empty<OperationRegistration>();

    /// <summary>Null: the filter can never be unloaded.</summary>
    public FilterUnloadCallback? FilterUnload { get; init; }
    /// <summary>Null: every attach succeeds.</summary>
    public InstanceSetupCallback? InstanceSetup { get; init; }
    /// <summary>Null: no manual detach (FltDetachVolume gives STATUS_FLT_DO_NOT_DETACH).</summary>
    public InstanceQueryTeardownCallback? InstanceQueryTeardown { get; init; }
    public InstanceTeardownCallback? InstanceTeardownStart { get; init; }
    public InstanceTeardownCallback? InstanceTeardownComplete { get; init; }

    /// <summary>Name provider: builds names as the filters above see them (a filter that virtualizes the namespace).</summary>
    public GenerateFileNameCallback? GenerateFileName { get; init; }
    /// <summary>Name provider: normalizes one component when GenerateFileName declined a NORMALIZED request (the Ex form: it gets the file object).</summary>
    public NormalizeNameComponentCallback? NormalizeNameComponent { get; init; }
    /// <summary>Name provider: frees the normalization context the component calls shared.</summary>
    public NormalizeContextCleanupCallback? NormalizeContextCleanup { get; init; }
}

/// <summary>One instance definition from configuration (the registry's Instances\&lt;name&gt; key).</summary>
/// <param name="Name">The instance's name (Instances\&lt;name&gt;).</param>
/// <param name="Altitude">Its altitude, a decimal string ("370030", "385100.5").</param>
/// <param name="Flags">0x1 = no automatic attach; 0x2 = no manual attach.</param>
public sealed record InstanceConfiguration(string Name, string Altitude, uint Flags = 0)
{
    public const uint NoAutomaticAttach = 0x1;
    public const uint NoManualAttach = 0x2;
}

/// <summary>The service configuration of one filter: what Windows keeps under Services\&lt;name&gt;.</summary>
public sealed record FilterConfiguration(string Name, string DefaultInstance, IReadOnlyList<InstanceConfiguration> Instances)
{
    /// <summary>A configuration with one instance, the usual INF shape.</summary>
    public static FilterConfiguration Single(string name, string altitude, uint flags = 0) =>
        new(name, name + " Instance", new[] { new InstanceConfiguration(name + " Instance", altitude, flags) });
}
