// filters.d/*.json: one filter package, the INF's role (docs/configuration.md): the service name, the assembly (relative
// to the manifest's directory), the class, the start type, the instances and the Parameters key.
using Microsoft.Extensions.Configuration;

namespace Altitude.Daemon.Configuration;

/// <summary>A filter package's manifest.</summary>
internal sealed record FilterManifest(string Source, string AssemblyPath, string? ClassName, StartType StartType,
    FilterConfiguration Configuration, FilterParameters Parameters)
{
    public string Name => Configuration.Name;

    /// <summary>Reads one manifest; null (with <paramref name="errors"/>) when it is invalid.</summary>
    public static FilterManifest? Load(string path, List<string> errors)
    {
        var file = ConfigurationFile.Open(path, out string? parseError);
        if (file is null) { errors.Add(parseError!); return null; }
        var root = file.Root;
        file.RejectUnknown(root, "Name", "Assembly", "Class", "StartType", "DefaultInstance", "Instances", "Parameters");
        string? name = file.String(root, "Name", required: true);
        string? assembly = file.PathValue(root, "Assembly", required: true);
        string? className = file.String(root, "Class");
        StartType start = Start(file, root);
        var instances = new List<InstanceConfiguration>();
        var instanceSections = root.GetSection("Instances").GetChildren().ToList();
        if (instanceSections.Count == 0) file.Error("Instances", "is required: a list of at least one instance (Name, Altitude, Flags)");
        foreach (var s in instanceSections)
        {
            file.RejectUnknown(s, "Name", "Altitude", "Flags");
            string? instanceName = file.String(s, "Name", required: true);
            string? altitude = file.String(s, "Altitude", required: true);
            if (altitude is not null && !FilterAltitude.TryParse(altitude, out _))
                file.Error(s.Path + ":Altitude", $"\"{altitude}\" is not an altitude");
            uint flags = file.UInt32(s, "Flags", 0);
            if ((flags & ~(InstanceConfiguration.NoAutomaticAttach | InstanceConfiguration.NoManualAttach)) != 0)
                file.Error(s.Path + ":Flags", $"0x{flags:x} has bits other than 0x1 (no automatic attach) and 0x2 (no manual attach)");
            if (instanceName is not null && instances.Exists(i => string.Equals(i.Name, instanceName, StringComparison.OrdinalIgnoreCase)))
                file.Error(s.Path + ":Name", $"\"{instanceName}\" is already the name of another instance");
            if (instanceName is not null && altitude is not null) instances.Add(new InstanceConfiguration(instanceName, altitude, flags));
        }
        string? defaultInstance = file.String(root, "DefaultInstance") ?? (instances.Count > 0 ? instances[0].Name : null);
        if (defaultInstance is not null && instances.Count > 0 && !instances.Exists(i => string.Equals(i.Name, defaultInstance, StringComparison.OrdinalIgnoreCase)))
            file.Error("DefaultInstance", $"\"{defaultInstance}\" is not one of the Instances");
        var parameters = ReadParameters(file, root.GetSection("Parameters"));
        errors.AddRange(file.Errors);
        if (file.Errors.Count > 0 || name is null || assembly is null || defaultInstance is null) return null;
        return new FilterManifest(path, assembly, className, start, new FilterConfiguration(name, defaultInstance, instances), parameters);
    }

    private static StartType Start(ConfigurationFile file, IConfiguration root)
    {
        string? text = file.String(root, "StartType");
        switch (text?.ToLowerInvariant())
        {
            case null: return StartType.Demand;   // the INF default for a filter (SERVICE_DEMAND_START)
            case "auto" or "boot" or "system": return StartType.Auto;
            case "demand": return StartType.Demand;
            case "disabled": return StartType.Disabled;
            default:
                file.Error("StartType", $"\"{text}\" is not one of Auto, Demand, Disabled (Boot and System mean Auto)");
                return StartType.Demand;
        }
    }

    /// <summary>Each value: a string or a number (REG_SZ / REG_DWORD), or a list of them (REG_MULTI_SZ); no nested sections.</summary>
    private static FilterParameters ReadParameters(ConfigurationFile file, IConfigurationSection section)
    {
        var values = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in section.GetChildren())
        {
            var elements = p.GetChildren().ToList();
            if (elements.Count == 0) { values[p.Key] = new[] { p.Value ?? "" }; continue; }
            var list = new string[elements.Count];
            bool isList = true;
            foreach (var e in elements)
            {
                if (!int.TryParse(e.Key, out int index) || index < 0 || index >= list.Length || e.GetChildren().Any()) { isList = false; break; }
                list[index] = e.Value ?? "";
            }
            if (isList) values[p.Key] = list;
            else file.Error(p.Path, "must be a string, a number or a list of them (not a section)");
        }
        return new FilterParameters(values);
    }
}
