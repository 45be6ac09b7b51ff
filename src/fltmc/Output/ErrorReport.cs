// A failed call printed as Windows fltmc prints it: `<Verb> failed with error: 0x%08x`, then FormatMessage's text.
// Windows fltmc writes both lines to standard output (ReactOS base/applications/fltmc/fltmc.cpp: LoadAndPrintString
// then PrintErrorText, both wprintf); so does this one, after the leading blank line every output starts with.
namespace Altitude.Fltmc.Output;

internal static class ErrorReport
{
    /// <summary>
    /// The verb wording. Windows fltmc: "Filter listing failed", "Load failed", "Unload failed", "Attach failed",
    /// "Detach failed" [obs: spec section 6, and fltmc output quoted in scripts]; "Instance listing" and
    /// "Volume listing" follow the same pattern (the WDK minispy sample prints "Volume listing failed with error:
    /// 0x%08x"). ReactOS's clone has other wording ("Failed to list the filters (0x%X)"); Windows' is kept.
    /// </summary>
    public const string FilterListing = "Filter listing";
    public const string InstanceListing = "Instance listing";
    public const string VolumeListing = "Volume listing";
    public const string Load = "Load";
    public const string Unload = "Unload";
    public const string Attach = "Attach";
    public const string Detach = "Detach";
    // Linux additions.
    public const string Mount = "Mount";
    public const string Unmount = "Unmount";
    public const string StatisticsListing = "Statistics listing";

    /// <summary>The error lines for <paramref name="operation"/> failing with <paramref name="hresult"/>.</summary>
    public static IReadOnlyList<string> Lines(string operation, int hresult)
    {
        string first = $"{operation} failed with error: 0x{(uint)hresult:x8}";
        return WindowsMessages.TryGet(hresult, out var text) ? [first, text] : [first];
    }
}
