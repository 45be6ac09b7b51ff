// Altitudes are decimal strings ("385250.5"). Windows fltmc aligns the integer part and lets the fraction overhang.
namespace Altitude.Fltmc.Layouts;

internal static class AltitudeText
{
    /// <summary>"385250.5" -> ("385250", ".5"); "40500" -> ("40500", "").</summary>
    public static (string Integer, string Fraction) Split(string altitude)
    {
        int dot = altitude.IndexOf('.');
        return dot < 0 ? (altitude, "") : (altitude[..dot], altitude[dot..]);
    }
}
