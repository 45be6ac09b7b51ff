// Runs a call that may hang (a filter's FilterUnload, an unmount waiting for a stuck callback) on its own background
// thread and stops waiting after a budget: the stop must fit its bound even with a hung filter, and a background thread
// does not hold the process at exit. This is the interim form of the engine's bounded UnloadFilter (issue 11); where the
// engine bounds the wait itself, call it directly instead.
namespace Altitude.Daemon.Service;

internal static class Bounded
{
    /// <summary>Runs <paramref name="work"/>; false when it had not returned after <paramref name="budget"/> (it keeps running).</summary>
    public static bool Run<T>(string name, Func<T> work, TimeSpan budget, out T? result, out Exception? exception)
    {
        var box = new Box<T>();
        var thread = new Thread(() =>
        {
            try { box.Result = work(); }
            catch (Exception e) { box.Exception = e; }
        }) { IsBackground = true, Name = name };
        thread.Start();
        bool done = thread.Join(budget < TimeSpan.Zero ? TimeSpan.Zero : budget);
        result = done ? box.Result : default;
        exception = done ? box.Exception : null;
        return done;
    }

    private sealed class Box<T>
    {
        public T? Result;
        public Exception? Exception;
    }
}
