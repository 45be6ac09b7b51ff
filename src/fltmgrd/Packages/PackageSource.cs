// Where a filter package comes from: a manifest (filters.d or --filter FILE.json), an assembly given with --filter and the
// default configuration derived from its class, or the built-in PassThrough.
using Altitude.Daemon.Configuration;

namespace Altitude.Daemon.Packages;

/// <summary>What the loader needs to load one filter: assembly, class, service configuration and parameters.</summary>
internal sealed record PackageSource(string Name, string Origin, string? AssemblyPath, string? ClassName, FilterConfiguration? Configuration,
    FilterParameters Parameters, Func<IMiniFilter>? BuiltIn = null, IReadOnlyList<string>? AttachOnMount = null)
{
    public static PackageSource FromManifest(FilterManifest m) =>
        new(m.Name, m.Source, m.AssemblyPath, m.ClassName, m.Configuration, m.Parameters);

    /// <summary>
    /// --filter PATH.dll without a manifest: each public IMiniFilter class is a filter named after the class (less a
    /// "Filter" suffix) with one instance at its DefaultAltitude or FilterAltitude constant (100000 without one).
    /// </summary>
    public static PackageSource FromAssemblyClass(string assemblyPath, Type type)
    {
        string name = type.Name.EndsWith("Filter", StringComparison.Ordinal) && type.Name.Length > 6 ? type.Name[..^6] : type.Name;
        string altitude = (Constant(type, "DefaultAltitude") ?? Constant(type, "FilterAltitude")) ?? "100000";
        return new(name, assemblyPath, assemblyPath, type.FullName, FilterConfiguration.Single(name, altitude), FilterParameters.Empty);
    }

    /// <summary>A const string field's value read from metadata: no static constructor of the filter runs in the inspecting context.</summary>
    private static string? Constant(Type type, string name) =>
        type.GetField(name) is { IsLiteral: true } f ? f.GetRawConstantValue() as string : null;
}
