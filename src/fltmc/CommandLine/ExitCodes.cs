// fltmc's exit codes. Windows fltmc's own are undocumented; scripts test only zero against non-zero.
namespace Altitude.Fltmc.CommandLine;

internal static class ExitCodes
{
    public const int Success = 0;
    /// <summary>The management call failed; the HRESULT and its message were printed.</summary>
    public const int Failed = 1;
    /// <summary>The command line was wrong (unknown verb, missing or extra arguments); nothing was sent.</summary>
    public const int Usage = 2;
}
