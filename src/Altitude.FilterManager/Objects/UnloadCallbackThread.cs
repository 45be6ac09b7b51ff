// A filter's unload callback run on a thread of its own, so that the caller can stop waiting for a callback that hangs
// (FilterManager.UnloadFilter with a timeout). The thread is a background thread: a hung one never holds up exit.
namespace Altitude;

internal sealed class UnloadCallbackThread
{
    private const int Running = 0, Returned = 1, Abandoned = 2;

    private readonly Filter filter;
    private readonly FilterUnloadCallback callback;
    private readonly FilterUnloadFlags flags;
    private readonly ManualResetEventSlim done = new();
    private NtStatus result;
    private Exception? error;
    private int state;

    private UnloadCallbackThread(Filter filter, FilterUnloadCallback callback, FilterUnloadFlags flags)
    {
        this.filter = filter;
        this.callback = callback;
        this.flags = flags;
    }

    /// <summary>
    /// Runs the callback; false when it did not return within <paramref name="timeout"/> (it goes on running, and
    /// <paramref name="abandoned"/> says that the thread, not the caller, clears the filter's unload mark when it returns).
    /// </summary>
    public static bool TryRun(Filter filter, FilterUnloadCallback callback, FilterUnloadFlags flags, TimeSpan timeout, out NtStatus result,
        out Exception? error, out bool abandoned)
    {
        var run = new UnloadCallbackThread(filter, callback, flags);
        new Thread(run.Run) { IsBackground = true, Name = "FilterUnload " + filter.Name }.Start();
        // Returned in time, or at the very moment the wait ended: either way the caller owns what follows.
        bool returned = run.done.Wait(timeout) || Interlocked.CompareExchange(ref run.state, Abandoned, Running) == Returned;
        abandoned = !returned;
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
            // The caller gave up on this callback: nobody else will clear the mark that keeps a second unload out.
            if (Interlocked.CompareExchange(ref state, Returned, Running) == Abandoned) Volatile.Write(ref filter.UnloadCallbackRunning, 0);
            done.Set();
        }
    }
}
