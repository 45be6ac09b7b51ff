// The exception FltLib calls throw: its HResult is the Windows HRESULT.
namespace Altitude.FilterLib;

/// <summary>A failed FltLib call. <see cref="Exception.HResult"/> holds the Windows HRESULT (compare with <see cref="HResults"/>).</summary>
public sealed class FilterException : IOException
{
    public FilterException(int hresult, string message, int requiredSize = 0) : base($"{message} (0x{(uint)hresult:X8})", hresult)
    {
        RequiredSize = requiredSize;
    }

    /// <summary>For ERROR_INSUFFICIENT_BUFFER: the get buffer size the message needs.</summary>
    public int RequiredSize { get; }

    internal static void ThrowIfFailed(int hresult, string call, int requiredSize = 0)
    {
        if (hresult < 0) throw new FilterException(hresult, call + " failed", requiredSize);
    }
}
