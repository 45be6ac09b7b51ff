// How ProcessIds learns a thread's process and notices that the thread ended (so its id may now name another
// thread): a pidfd per thread, with an interface so that tests can fake thread ids being recycled.
using Altitude.Fuse.Interop;

namespace Altitude.Fuse.Bridge;

internal interface IThreadProbe
{
    /// <summary>
    /// Opens a handle bound to the thread that now has id <paramref name="threadId"/>, and its process. False: no such
    /// thread. A handle of -1 with true: resolved, but nothing can be held (the answer is not cached).
    /// </summary>
    bool TryOpen(int threadId, out int handle, out int processId);

    /// <summary>Whether the thread the handle was opened for still runs (then its id still names it).</summary>
    bool IsAlive(int handle);

    void Close(int handle);
}

/// <summary>The kernel's probe: pidfd_open(PIDFD_THREAD) and PIDFD_GET_INFO; /proc/TID/status where those are missing.</summary>
internal sealed unsafe class PidfdProbe : IThreadProbe
{
    private volatile bool noThreadPidfds, noGetInfo;

    public bool TryOpen(int threadId, out int handle, out int processId)
    {
        handle = -1;
        processId = 0;
        if (!noThreadPidfds)
        {
            int fd = Libc.PidfdOpen(threadId, Libc.PIDFD_THREAD);
            if (fd < 0)
            {
                int e = Libc.LastError;
                if (e == Libc.ESRCH) return false;
                if (e is Libc.EINVAL or Libc.ENOSYS) noThreadPidfds = true;   // before Linux 6.9
                return TryFromStatus(threadId, out processId);
            }
            if (!noGetInfo)
            {
                Libc.PidfdInfo info = default;
                info.mask = Libc.PIDFD_INFO_PID;
                if (Libc.Ioctl(fd, Libc.PIDFD_GET_INFO, &info) == 0)
                {
                    handle = fd;
                    processId = (int)info.tgid;
                    return true;
                }
                int e = Libc.LastError;
                if (e == Libc.ESRCH) { Libc.Close(fd); return false; }
                noGetInfo = true;                                            // before Linux 6.13
            }
            // /proc after the pidfd, and the pidfd checked after /proc: the status read was about the pidfd's thread.
            processId = ProcFiles.ReadTgid(threadId);
            if (processId == 0 || !IsAlive(fd)) { Libc.Close(fd); processId = 0; return false; }
            handle = fd;
            return true;
        }
        return TryFromStatus(threadId, out processId);
    }

    private static bool TryFromStatus(int threadId, out int processId)
    {
        processId = ProcFiles.ReadTgid(threadId);
        return processId != 0;
    }

    public bool IsAlive(int handle)
    {
        Libc.PollFd p = new() { Fd = handle, Events = Libc.POLLIN };
        int n;
        do n = Libc.Poll(&p, 1, 0);
        while (n < 0 && Libc.LastError == Libc.EINTR);
        return n == 0;   // POLLIN (or POLLHUP): the thread has exited
    }

    public void Close(int handle) => Libc.Close(handle);
}
