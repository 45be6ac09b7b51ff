// Mounting and unmounting without root, through the setuid helper fusermount3 (libfuse's and go-fuse's way): it
// opens /dev/fuse, mounts, and hands the fd back over a socket named by _FUSE_COMMFD (SCM_RIGHTS).
// Passthrough needs CAP_SYS_ADMIN, so such a mount always serves data through the daemon.
using System.Diagnostics;
using Altitude.Fuse.Interop;

namespace Altitude.Fuse;

/// <summary>fusermount3 for a daemon that is not root.</summary>
internal static unsafe class Fusermount
{
    internal const string Program = "fusermount3";

    /// <summary>Mounts <paramref name="mountPoint"/> with <paramref name="options"/> (no fd=: fusermount3 adds it) and returns the device.</summary>
    internal static FuseDevice Mount(string mountPoint, string options)
    {
        int* fds = stackalloc int[2];
        if (Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_SEQPACKET | Libc.SOCK_CLOEXEC, 0, fds) != 0)
            throw new IOException($"socketpair failed: errno {Libc.LastError}");
        int ours = fds[0], theirs = fds[1];
        try
        {
            // Only fusermount3's end may survive exec.
            Libc.Fcntl(theirs, Libc.F_SETFD, 0);
            var psi = new ProcessStartInfo(Program) { UseShellExecute = false, RedirectStandardError = true };
            psi.ArgumentList.Add("-o");
            psi.ArgumentList.Add(options);
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add(mountPoint);
            psi.Environment["_FUSE_COMMFD"] = theirs.ToString(System.Globalization.CultureInfo.InvariantCulture);
            using Process process = Process.Start(psi) ?? throw new IOException("cannot start " + Program);
            Libc.Close(theirs);
            theirs = -1;
            int fd = ReceiveFd(ours);
            string errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (fd < 0)
                throw new IOException($"{Program} did not mount {mountPoint} (exit {process.ExitCode}): {errors.Trim()}");
            return FuseDevice.FromFd(fd);
        }
        finally
        {
            if (theirs >= 0) Libc.Close(theirs);
            Libc.Close(ours);
        }
    }

    /// <summary>fusermount3 -u [-z]: returns 0 or a non-zero exit code.</summary>
    internal static int Unmount(string mountPoint, bool lazy)
    {
        var psi = new ProcessStartInfo(Program) { UseShellExecute = false, RedirectStandardError = true };
        psi.ArgumentList.Add("-u");
        if (lazy) psi.ArgumentList.Add("-z");
        psi.ArgumentList.Add("--");
        psi.ArgumentList.Add(mountPoint);
        try
        {
            using Process process = Process.Start(psi)!;
            process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return Libc.ENOENT;
        }
    }

    /// <summary>Receives one fd over SCM_RIGHTS; -1 when the helper closed the socket without sending one.</summary>
    private static int ReceiveFd(int socket)
    {
        byte data = 0;
        var iov = new Libc.IoVec { Base = &data, Length = 1 };
        var control = default(Libc.FdControlMessage);
        var message = new Libc.MsgHdr
        {
            Iov = &iov,
            IovLength = 1,
            Control = &control,
            ControlLength = (nuint)sizeof(Libc.FdControlMessage),
        };
        while (true)
        {
            nint n = Libc.RecvMsg(socket, &message, 0);
            if (n < 0 && Libc.LastError == Libc.EINTR) continue;
            if (n <= 0) return -1;
            break;
        }
        if (message.ControlLength < 20 || control.Level != Libc.SOL_SOCKET || control.Type != Libc.SCM_RIGHTS) return -1;
        // The helper's fd arrives without O_CLOEXEC; set it so later children do not inherit the session.
        Libc.Fcntl(control.Fd, Libc.F_SETFD, 1);
        return control.Fd;
    }
}
