// A data filter for bench/cached-io.sh: XORs file contents on their way to and from the file system, the shape of an
// encryption filter (the backing file holds the transformed bytes). Parameter SkipCachedIo ("1", the default, or "0")
// sets FLTFL_OPERATION_REGISTRATION_SKIP_CACHED_IO on its READ and WRITE rows: with it the mount keeps its page cache
// (plaintext) and the filter sees only paging reads and non-cached writes; without it every open reads through it.
using System.Buffers;
using System.Numerics;

namespace Altitude.Bench.XorFilter;

public sealed class XorFilter : IMiniFilter
{
    private const byte Key = 0x5A;
    private Filter? filter;

    public NtStatus DriverEntry(DriverObject driver)
    {
        var flags = driver.Parameters.TryGetString("SkipCachedIo", out string v) && v == "0"
            ? OperationRegistrationFlags.None : OperationRegistrationFlags.SkipCachedIo;
        var registration = new FilterRegistration
        {
            OperationRegistration = new[]
            {
                new OperationRegistration(MajorFunction.Read, flags, null, PostRead),
                new OperationRegistration(MajorFunction.Write, flags, PreWrite, PostWrite),
            },
            FilterUnload = _ => { filter?.Unregister(); return NtStatus.Success; },
        };
        NtStatus st = driver.RegisterFilter(registration, out filter);
        if (!st.IsSuccess()) return st;
        st = filter!.StartFiltering();
        if (!st.IsSuccess()) filter.Unregister();
        return st;
    }

    /// <summary>The bytes read are transformed in place (the READ's own buffer).</summary>
    private static PostOperationStatus PostRead(CallbackData data, in RelatedObjects objects, object? context, PostOperationFlags flags)
    {
        if ((flags & PostOperationFlags.Draining) == 0 && data.IoStatus.Status.IsSuccess())
            Xor(data.Iopb.Parameters.Read.ReadBuffer.Span[..(int)data.IoStatus.Information]);
        return PostOperationStatus.FinishedProcessing;
    }

    /// <summary>The caller's data is never changed: a pooled buffer carries the transformed copy down (swapBuffers' pattern).</summary>
    private static PreOperationStatus PreWrite(CallbackData data, in RelatedObjects objects, out object? context)
    {
        ref WriteParameters p = ref data.Iopb.Parameters.Write;
        int length = (int)Math.Min(p.Length, (uint)p.WriteBuffer.Length);
        byte[] copy = ArrayPool<byte>.Shared.Rent(length);
        p.WriteBuffer.Span[..length].CopyTo(copy);
        Xor(copy.AsSpan(0, length));
        p.WriteBuffer = copy.AsMemory(0, length);
        context = copy;
        return PreOperationStatus.SuccessWithCallback;
    }

    private static PostOperationStatus PostWrite(CallbackData data, in RelatedObjects objects, object? context, PostOperationFlags flags)
    {
        ArrayPool<byte>.Shared.Return((byte[])context!);
        return PostOperationStatus.FinishedProcessing;
    }

    /// <summary>Vectorised, so the transform costs what a hardware cipher would, not what a byte loop does.</summary>
    private static void Xor(Span<byte> data)
    {
        var key = new Vector<byte>(Key);
        int i = 0;
        for (; i <= data.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            (new Vector<byte>(data.Slice(i)) ^ key).CopyTo(data.Slice(i));
        for (; i < data.Length; i++) data[i] ^= Key;
    }
}
