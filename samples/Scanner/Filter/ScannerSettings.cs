// The Scanner's Parameters key, read once in DriverEntry: the extensions to scan (the INF's Extensions REG_MULTI_SZ,
// default "doc" as in the WDK) and, an Altitude addition, what an open gets when no verdict comes (FailMode) and how
// long a scan may take (ScanTimeoutMs).
namespace Altitude.Samples.Scanner;

/// <summary>What a scan that gets no verdict (no scanner connected, a send that failed or timed out) means.</summary>
public enum ScannerFailMode
{
    /// <summary>The WDK behaviour: no verdict counts as safe.</summary>
    Open,
    /// <summary>No verdict counts as unsafe: the open (or the write) is denied.</summary>
    Closed,
}

/// <summary>The filter's settings.</summary>
public sealed class ScannerSettings
{
    /// <summary>The bound of a send in Closed mode when ScanTimeoutMs is not set: a hung scanner must not hang openers forever.</summary>
    public const uint DefaultClosedTimeoutMs = 30_000;

    private ScannerSettings(string[] extensions, ScannerFailMode failMode, TimeSpan? scanTimeout)
    {
        Extensions = extensions;
        FailMode = failMode;
        ScanTimeout = scanTimeout;
    }

    /// <summary>The extensions scanned (without the dot), compared case-insensitively.</summary>
    public string[] Extensions { get; }
    public ScannerFailMode FailMode { get; }
    /// <summary>How long one send may wait for delivery and reply; null waits forever (Open mode without ScanTimeoutMs, the WDK).</summary>
    public TimeSpan? ScanTimeout { get; }

    /// <summary>
    /// Reads Extensions, FailMode ("Open" or "Closed", case-insensitive) and ScanTimeoutMs (a REG_DWORD, 1 or more).
    /// A value that does not parse is an error (the reason in <paramref name="error"/>): DriverEntry then fails.
    /// </summary>
    public static bool TryRead(FilterParameters parameters, out ScannerSettings? settings, out string? error)
    {
        settings = null;
        error = null;
        var extensions = new List<string>();
        foreach (string e in parameters.GetStrings("Extensions"))
        {
            string trimmed = e.Trim().TrimStart('.');
            if (trimmed.Length > 0) extensions.Add(trimmed);
        }
        if (extensions.Count == 0) extensions.Add("doc");

        ScannerFailMode mode = ScannerFailMode.Open;
        if (parameters.TryGetString("FailMode", out string m))
        {
            if (m.Equals("Open", StringComparison.OrdinalIgnoreCase)) mode = ScannerFailMode.Open;
            else if (m.Equals("Closed", StringComparison.OrdinalIgnoreCase)) mode = ScannerFailMode.Closed;
            else { error = $"FailMode '{m}' is neither Open nor Closed"; return false; }
        }

        TimeSpan? timeout = null;
        if (parameters.TryGetString("ScanTimeoutMs", out string t))
        {
            if (!FilterParameters.TryParseDword(t, out uint ms) || ms == 0) { error = $"ScanTimeoutMs '{t}' is not a whole number of milliseconds above 0"; return false; }
            timeout = TimeSpan.FromMilliseconds(ms);
        }
        else if (mode == ScannerFailMode.Closed) timeout = TimeSpan.FromMilliseconds(DefaultClosedTimeoutMs);

        settings = new ScannerSettings(extensions.ToArray(), mode, timeout);
        return true;
    }

    /// <summary>True when <paramref name="extension"/> is one of <see cref="Extensions"/> (no allocation).</summary>
    public bool IsScanned(ReadOnlySpan<char> extension)
    {
        foreach (string e in Extensions)
            if (extension.Equals(e, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}
