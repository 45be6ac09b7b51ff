// STATFS (QUERY_VOLUME_INFORMATION), extended attributes (QUERY_EA / SET_EA) and locks (LOCK_CONTROL, only when
// the mount forwards locks). docs/operations.md, section 2.4.
using Altitude.Fuse.Interop;
using Altitude.Fuse.Kernel;

namespace Altitude.Fuse.Bridge;

internal sealed partial class FuseBridge
{
    public void StatFs(FuseRequest r)
    {
        RequestState s = StateOf(r);
        CallbackData d = Begin(s, MajorFunction.QueryVolumeInformation, TransientNode(s, FuseFlags.ROOT_ID));
        d.Iopb.Parameters.QueryVolumeInformation.FsInformationClass = FsInformationClass.FileFsFullSizeInformation;
        Run(s);
    }

    private bool CompleteStatFs(RequestState s)
    {
        int errno = ErrnoOf(s);
        if (errno != 0) { s.Request.ReplyError(errno); return false; }
        ref VolumeStatistics v = ref s.Data.Iopb.Parameters.QueryVolumeInformation.Statistics;
        ref fuse_statfs_out o = ref s.Request.ReplyStruct<fuse_statfs_out>();
        o.st.blocks = v.TotalBlocks;
        o.st.bfree = v.FreeBlocks;
        o.st.bavail = v.AvailableBlocks;
        o.st.files = v.TotalFiles;
        o.st.ffree = v.FreeFiles;
        o.st.bsize = v.BlockSize;
        o.st.frsize = v.FragmentSize;
        o.st.namelen = v.MaximumNameLength;
        s.Request.Reply(80);
        return false;
    }

    public void SetXattr(FuseRequest r)
    {
        RequestState s = StateOf(r);
        ref fuse_setxattr_in x = ref r.In<fuse_setxattr_in>();
        r.TryGetName(8, out var name, out int next);
        int size = (int)Math.Min(x.size, (uint)Math.Max(0, r.PayloadLength - next));
        ref EaParameters p = ref Begin(s, MajorFunction.SetEa, TransientNode(s, r.NodeId)).Iopb.Parameters.SetEa;
        p.EaName = name;
        p.Buffer = Writable(r.PayloadMemory(next, size));
        p.Flags = (int)x.flags & 3;
        Run(s);
    }

    public void RemoveXattr(FuseRequest r)
    {
        RequestState s = StateOf(r);
        r.TryGetName(0, out var name, out _);
        ref EaParameters p = ref Begin(s, MajorFunction.SetEa, TransientNode(s, r.NodeId)).Iopb.Parameters.SetEa;
        p.EaName = name;
        p.Flags = EaParameters.RemoveFlag;
        Run(s);
    }

    public void GetXattr(FuseRequest r) => QueryEa(r, list: false);
    public void ListXattr(FuseRequest r) => QueryEa(r, list: true);

    /// <summary>GETXATTR/LISTXATTR: size 0 asks for the size (getxattr_out); otherwise the value, or ERANGE.</summary>
    private void QueryEa(FuseRequest r, bool list)
    {
        RequestState s = StateOf(r);
        uint size = r.In<fuse_getxattr_in>().size;
        ReadOnlyMemory<byte> name = default;
        if (!list) r.TryGetName(8, out name, out _);
        ref EaParameters p = ref Begin(s, MajorFunction.QueryEa, TransientNode(s, r.NodeId)).Iopb.Parameters.QueryEa;
        p.EaName = name;
        int capacity = (int)Math.Min(size, (uint)FuseServer.MaxReplyPayload);
        r.EnsureReplyCapacity(capacity);
        p.Buffer = size == 0 ? Memory<byte>.Empty : r.ReplyMemory[..capacity];
        Run(s);
    }

    private bool CompleteGetXattr(RequestState s)
    {
        int errno = ErrnoOf(s);
        FuseRequest r = s.Request;
        if (errno != 0) { r.ReplyError(errno); return false; }
        long information = s.Data.IoStatus.Information;
        Memory<byte> buffer = s.Data.Iopb.Parameters.QueryEa.Buffer;
        if (r.In<fuse_getxattr_in>().size == 0)
        {
            ref fuse_getxattr_out o = ref r.ReplyStruct<fuse_getxattr_out>();
            o.size = (uint)information;
            r.Reply(8);
            return false;
        }
        r.ReplyData(buffer[..(int)Math.Clamp(information, 0, buffer.Length)]);
        return false;
    }

    // ---- locks (negotiated only with FuseVolumeOptions.ForwardLocks) ----

    private const uint F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;
    private const ulong OffsetMax = long.MaxValue;

    public void GetLk(FuseRequest r) => Lock(r);
    public void SetLk(FuseRequest r) => Lock(r);

    private void Lock(FuseRequest r)
    {
        RequestState s = StateOf(r);
        ref fuse_lk_in l = ref r.In<fuse_lk_in>();
        OpenHandle? h = handles.Get(l.fh);
        if (h is null) { r.ReplyError(9); return; }
        byte minor = r.Opcode == FuseOpcode.GETLK ? MinorFunction.QueryLock : l.lk.type == F_UNLCK ? MinorFunction.UnlockSingle : MinorFunction.Lock;
        ref LockControlParameters p = ref Begin(s, MajorFunction.LockControl, h.File, minor).Iopb.Parameters.LockControl;
        p.Kind = (l.lk_flags & FuseFlags.LK_FLOCK) != 0 ? LockKind.Flock : LockKind.Posix;
        p.ByteOffset = (long)l.lk.start;
        p.Length = l.lk.end >= OffsetMax ? 0 : (long)(l.lk.end - l.lk.start + 1);
        p.ExclusiveLock = l.lk.type == F_WRLCK;
        p.FailImmediately = r.Opcode != FuseOpcode.SETLKW;
        p.Owner = l.owner;
        if (minor == MinorFunction.Lock && !p.FailImmediately) { RunBlockingLock(s); return; }
        Run(s);
    }

    private const int MaxLockWaiters = 256;
    private int lockWaiters;

    /// <summary>SETLKW requests waiting in the loopback now (diagnostics and tests).</summary>
    internal int LockWaiters => Volatile.Read(ref lockWaiters);

    /// <summary>
    /// SETLKW waits in the loopback until the lock is granted, possibly for as long as another process holds it, and the
    /// unlock that ends the wait is itself a request. So the wait never holds a reader: it runs on a thread of its own
    /// (a thread per waiter, started only for SETLKW, up to 256; past that, on the reader, which the server replaces).
    /// </summary>
    private void RunBlockingLock(RequestState s)
    {
        if (Interlocked.Increment(ref lockWaiters) > MaxLockWaiters)
        {
            Interlocked.Decrement(ref lockWaiters);
            Run(s);
            return;
        }
        FuseRequest request = s.Request;
        request.MarkHandedOff();
        request.AddReference();   // the waiter's own: the object stays this request's until the waiter is done with it
        var waiter = new Thread(() =>
        {
            try { Run(s); }
            catch (Exception e)
            {
                server?.ReportFault(e);
                if (!request.IsAnswered) request.ReplyError(Libc.EIO);
            }
            finally
            {
                Interlocked.Decrement(ref lockWaiters);
                request.Release();
            }
        }) { IsBackground = true, Name = "fuse-setlkw" };
        waiter.Start();
    }

    private bool CompleteGetLk(RequestState s)
    {
        int errno = ErrnoOf(s);
        if (errno != 0) { s.Request.ReplyError(errno); return false; }
        ref LockControlParameters p = ref s.Data.Iopb.Parameters.LockControl;
        ref fuse_lk_out o = ref s.Request.ReplyStruct<fuse_lk_out>();
        if (!p.Conflict) o.lk.type = F_UNLCK;
        else
        {
            o.lk.type = p.ExclusiveLock ? F_WRLCK : F_RDLCK;
            o.lk.start = (ulong)p.ByteOffset;
            o.lk.end = p.Length == 0 ? OffsetMax : (ulong)(p.ByteOffset + p.Length - 1);
            o.lk.pid = p.ConflictProcessId;
        }
        s.Request.Reply(24);
        return false;
    }


    /// <summary>
    /// The connection ended (unmounted, aborted, or the daemon is stopping) and no request is still running: opens the
    /// kernel will never RELEASE are closed through the stack (CLEANUP, CLOSE: filters see them and their contexts go),
    /// and the lookups the kernel held are dropped, so nodes and fds return to where the volume started.
    /// </summary>
    internal UnmountReport ReleaseConnectionState()
    {
        int closed = 0;
        var closer = new VolumeClient(Volume, Requestor.Unknown);   // nobody asked: the kernel is gone
        foreach (OpenHandle h in handles.OpenHandles())
        {
            FileObject fo = h.File;
            if ((fo.Flags & FileObjectFlags.CleanupComplete) == 0) closer.Cleanup(fo);
            closer.Close(fo);
            passthrough?.Release(fo.NodeId, h);
            handles.Free(h);
            closed++;
        }
        notifier?.StopAndJoin(TimeSpan.FromSeconds(10));   // it may hold a lookup while it resolves a name
        int freed = nodes.ForgetAll();
        return new UnmountReport(closed, freed, nodes.Count, nodes.LookupUnderflows);
    }
}
