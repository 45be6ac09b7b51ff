// A Linux struct timespec (seconds + nanoseconds), also used as the argument of SetTimes.
using System.Runtime.InteropServices;

namespace Altitude.FileSystem;

/// <summary>Seconds and nanoseconds since the epoch; same layout as struct timespec (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct TimeSpec : IEquatable<TimeSpec>
{
    /// <summary>Whole seconds since 1970-01-01T00:00:00Z.</summary>
    public readonly long Seconds;

    /// <summary>Nanoseconds, 0..999,999,999, or one of the UTIME_* markers.</summary>
    public readonly long Nanoseconds;

    /// <summary>Creates a timestamp.</summary>
    public TimeSpec(long seconds, long nanoseconds)
    {
        Seconds = seconds;
        Nanoseconds = nanoseconds;
    }

    /// <summary>SetTimes marker: set this timestamp to the current time (UTIME_NOW).</summary>
    public static TimeSpec Now => new(0, Interop.Libc.UTIME_NOW);

    /// <summary>SetTimes marker: leave this timestamp unchanged (UTIME_OMIT).</summary>
    public static TimeSpec Omit => new(0, Interop.Libc.UTIME_OMIT);

    /// <summary>Converts to a UTC DateTimeOffset (100 ns precision).</summary>
    public DateTimeOffset ToDateTimeOffset() =>
        DateTimeOffset.FromUnixTimeSeconds(Seconds).AddTicks(Nanoseconds / 100);

    /// <inheritdoc/>
    public bool Equals(TimeSpec other) => Seconds == other.Seconds && Nanoseconds == other.Nanoseconds;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is TimeSpec other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Seconds, Nanoseconds);

    /// <summary>Equality of both fields.</summary>
    public static bool operator ==(TimeSpec left, TimeSpec right) => left.Equals(right);

    /// <summary>Inequality of either field.</summary>
    public static bool operator !=(TimeSpec left, TimeSpec right) => !left.Equals(right);

    /// <inheritdoc/>
    public override string ToString() => $"{Seconds}.{Nanoseconds:D9}";
}
