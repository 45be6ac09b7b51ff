// One FilterSendMessage being served: a pooled item of the connection's lane that owns copies of the input
// and the output buffer, calls MessageNotify and sends the result; or, when the connection closed before it
// started, is dropped without calling anything. A section MessageNotify opened for the caller
// (Filter.OpenSectionForCaller) travels with the SendResult and is closed here if it cannot.
using System.Buffers;
using System.Collections.Concurrent;
using Altitude.Ports.Interop;
using Altitude.Ports.Wire;

namespace Altitude.Ports;

internal sealed class MessageNotifyWorkItem : ILaneWork
{
    private static readonly ConcurrentQueue<MessageNotifyWorkItem> Pool = new();
    /// <summary>The MessageNotify running on this thread (what OpenSectionForCaller opens a handle for).</summary>
    [ThreadStatic] internal static MessageNotifyWorkItem? Current;
    private ClientPort port = null!;
    private MessageNotifyCallback notify = null!;
    private object? cookie;
    private uint tag;
    private byte[] input = Array.Empty<byte>();
    private int inputLength;
    private byte[] output = Array.Empty<byte>();
    private int outputCapacity;
    private int handleFd = -1;
    private int handleOffset;

    internal Filter? Filter => port.ServerPort.Filter;
    internal int OutputCapacity => outputCapacity;
    internal bool HasHandle => handleFd >= 0;

    /// <summary>One descriptor for the caller (owned from now on), and where its number goes in the output.</summary>
    internal void QueueHandle(int fd, int offset)
    {
        handleFd = fd;
        handleOffset = offset;
    }

    public static MessageNotifyWorkItem Rent(ClientPort port, MessageNotifyCallback notify, object? cookie, uint tag, ReadOnlySpan<byte> input, int outputCapacity)
    {
        if (!Pool.TryDequeue(out var w))
        {
            long mark = PoolGrowth.Begin();   // more requests in flight in the process than ever before
            w = new MessageNotifyWorkItem();
            PoolGrowth.End(mark);
        }
        w.port = port; w.notify = notify; w.cookie = cookie; w.tag = tag;
        w.inputLength = input.Length;
        w.input = ArrayPool<byte>.Shared.Rent(Math.Max(1, input.Length));
        input.CopyTo(w.input);
        w.outputCapacity = outputCapacity;
        w.output = ArrayPool<byte>.Shared.Rent(Math.Max(1, outputCapacity));
        return w;
    }

    public bool IsSend => true;

    public void Run()
    {
        NtStatus status;
        int returned = 0;
        var outer = Current;
        Current = this;
        try
        {
            status = notify(cookie, input.AsSpan(0, inputLength), output.AsSpan(0, outputCapacity), out returned);
            if (returned < 0 || returned > outputCapacity)
            {
                port.ServerPort.Manager.ReportFault(null, null, $"MessageNotify of port {port.ServerPort.Name} returned length {returned} for a {outputCapacity}-byte buffer", null, port.ServerPort.Filter);
                returned = Math.Clamp(returned, 0, outputCapacity);
            }
        }
        catch (Exception e)
        {
            // Windows touches these buffers inside try/except; here a throwing callback fails only this send.
            port.ServerPort.Manager.ReportFault(null, null, $"MessageNotify of port {port.ServerPort.Name} threw", e, port.ServerPort.Filter);
            status = NtStatus.UnhandledException;
            returned = 0;
        }
        finally
        {
            Current = outer;
        }
        int fd = handleFd;
        handleFd = -1;
        if (fd >= 0 && (!status.IsSuccess() || handleOffset + 8 > returned))
        {
            // A failed call, or a result that does not reach the HANDLE: the caller would never learn of it.
            if (status.IsSuccess())
                port.ServerPort.Manager.ReportFault(null, null, $"MessageNotify of port {port.ServerPort.Name} opened a section at offset {handleOffset} but returned {returned} bytes", null, port.ServerPort.Filter);
            PortInterop.Close(fd);
            fd = -1;
        }
        // The SendResult owns the descriptor from here: sent, or closed if the caller is gone.
        port.SendSendResult(tag, status, output.AsSpan(0, returned), fd, handleOffset);
        Release();
    }

    public void Drop() => Release();

    private void Release()
    {
        if (handleFd >= 0) { PortInterop.Close(handleFd); handleFd = -1; }
        ArrayPool<byte>.Shared.Return(input);
        ArrayPool<byte>.Shared.Return(output);
        input = output = Array.Empty<byte>();
        port = null!; notify = null!; cookie = null;
        if (Pool.Count < 256) Pool.Enqueue(this);
    }
}
