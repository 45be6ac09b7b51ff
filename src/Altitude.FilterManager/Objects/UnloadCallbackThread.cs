// A filter's unload callback run on a thread of its own, so that the caller can stop waiting for a callback that hangs
// (FilterManager.UnloadFilter with a timeout). The thread is a background thread: a hung one never holds up exit.
namespace Altitude;

internal sealed class UnloadCallbackThread
{
    private readonly FilterUnloadCallback callback;
    private readonly FilterUnloadFlags flags;
    private readonly ManualResetEventSlim done = new();
    private NtStatus result;
    private Exception? error;

    private readonly Filter filter;

    private UnloadCallbackThread(Filter filter, FilterUnloadCallback callback, FilterUnloadFlags flags)
    {
        this.filter = filter;
        this.callback = callback;
        this.flags = flags;
    }

    /// <summary>Runs the callback; false when it did not return within <paramref name="timeout"/> (it goes on running).</summary>
    public static bool TryRun(Filter filter, FilterUnloadCallback callback, FilterUnloadFlags flags, TimeSpan timeout, out NtStatus result, out Exception? error)
    {
        var run = new UnloadCallbackThread(filter, callback, flags);
        new Thread(run.Run) { IsBackground = true, Name = "FilterUnload " + filter.Name }.Start();
        bool returned = run.done.Wait(timeout);
        result = returned ? run.result : NtStatus.IoTimeout;
        error = returned ? run.error : null;
        return returned;
    }

    private void Run()
    {
        try
        {
            result = callback(flags);
        }
        catch (Exception e)
        {
            error = e;
        }
        finally
        {
            Volatile.Write(ref filter.UnloadCallbackRunning, 0);
            done.Set();
        }
    }
}
