// One management call from a verb: open FilterManagement on the control socket, run the call, and turn a
// FilterException into the Windows error report. Every text output starts with a blank line, as on Windows
// (ReactOS fltmc.cpp wmain prints "\n" before anything else); JSON output is JSON alone.
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Altitude.FilterLib;
using Altitude.Fltmc.CommandLine;
using Altitude.Fltmc.Output;

namespace Altitude.Fltmc.Commands;

internal static class ManagementCall
{
    /// <summary>Runs <paramref name="call"/>; on success prints <paramref name="lines"/> of its result.</summary>
    public static int Run<T>(TextWriter output, string? control, string operation, Func<FilterManagement, T> call, Func<T, IEnumerable<string>> lines)
    {
        if (!TryCall(output, control, operation, call, out var result)) return ExitCodes.Failed;
        output.WriteLine();
        foreach (var line in lines(result)) output.WriteLine(line);
        return ExitCodes.Success;
    }

    /// <summary>A listing: the table, or with <paramref name="json"/> the records as JSON.</summary>
    public static int List<T>(TextWriter output, string? control, string operation, bool json, Func<FilterManagement, T> call,
        Func<T, IEnumerable<string>> table, JsonTypeInfo<T> jsonType)
    {
        if (!json) return Run(output, control, operation, call, table);
        if (!TryCall(output, control, operation, call, out var result)) return ExitCodes.Failed;
        output.WriteLine(JsonSerializer.Serialize(result, jsonType));
        return ExitCodes.Success;
    }

    private static bool TryCall<T>(TextWriter output, string? control, string operation, Func<FilterManagement, T> call, out T result)
    {
        try
        {
            using var management = new FilterManagement(control);
            result = call(management);
            return true;
        }
        catch (FilterException e)
        {
            output.WriteLine();
            foreach (var line in ErrorReport.Lines(operation, e.HResult)) output.WriteLine(line);
            result = default!;
            return false;
        }
    }
}
