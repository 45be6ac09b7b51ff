// OBJECT_ATTRIBUTES for FltCreateCommunicationPort: the port name, the attribute flags and the security descriptor.
namespace Altitude;

/// <summary>OBJ_* attribute flags. Ports require <see cref="KernelHandle"/>, as on Windows.</summary>
[Flags]
public enum ObjectAttributeFlags : uint
{
    None = 0,
    Inherit = 0x2,
    /// <summary>OBJ_CASE_INSENSITIVE. Accepted; port names are always case-insensitive in Altitude (docs/deviations.md).</summary>
    CaseInsensitive = 0x40,
    /// <summary>OBJ_KERNEL_HANDLE: required by FltCreateCommunicationPort, else STATUS_INVALID_PARAMETER.</summary>
    KernelHandle = 0x200,
}

/// <summary>
/// InitializeObjectAttributes for a port. <paramref name="SecurityDescriptor"/> is SDDL (see
/// <see cref="Altitude.SecurityDescriptor"/>); null means the default descriptor (SY and BA), like
/// FltBuildDefaultSecurityDescriptor.
/// </summary>
public sealed record ObjectAttributes(string ObjectName, ObjectAttributeFlags Attributes, string? SecurityDescriptor = null)
{
    /// <summary>The flags every WDK sample passes: OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE.</summary>
    public const ObjectAttributeFlags PortDefaults = ObjectAttributeFlags.KernelHandle | ObjectAttributeFlags.CaseInsensitive;
}
