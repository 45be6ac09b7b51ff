// Data, directory, statfs, xattr and lock operations of LoopbackFileSystem.
// Open fds (from Open/Create/OpenDirectory) belong to the caller; the methods taking an fd do not validate it.
using Altitude.FileSystem.Interop;

namespace Altitude.FileSystem;

public sealed unsafe partial class LoopbackFileSystem
{
    /// <summary>
    /// Opens a node by reopening /proc/self/fd/N with <paramref name="openFlags"/> (O_CREAT, O_EXCL, O_NOCTTY and
    /// O_NOFOLLOW stripped, O_CLOEXEC added). A symlink node gives ELOOP (O_NOFOLLOW semantics); a FIFO, socket or device
    /// gives ENXIO, never opened (a FIFO without a writer would block the calling thread). The fd belongs to the caller.
    /// </summary>
    public Errno Open(ulong nodeId, int openFlags, out int fd)
    {
        fd = -1;
        if (!_table.TryAcquire(nodeId, out int pathFd, out uint type))
            return Errno.ESTALE;
        try
        {
            if (type == Libc.S_IFLNK)
                return Errno.ELOOP;
            if (!IsOpenable(type))
                return Errno.ENXIO;
            byte* proc = stackalloc byte[ProcPathSize];
            Libc.ProcFdPath(pathFd, new Span<byte>(proc, ProcPathSize));
            int flags = (openFlags & ~(Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOCTTY | Libc.O_NOFOLLOW)) | Libc.O_CLOEXEC;
            fd = Libc.OpenAt(Libc.AT_FDCWD, proc, flags, 0, out Errno e);
            return e;
        }
        finally
        {
            _table.Release(nodeId);
        }
    }

    /// <summary>pread into <paramref name="buffer"/>; offset -1 reads at the fd's position. bytes = 0 at end of file.</summary>
    public Errno Read(int fd, Span<byte> buffer, long offset, out int bytes)
    {
        fixed (byte* b = buffer)
        {
            nint n = Libc.PRead(fd, b, (nuint)buffer.Length, offset, out Errno e);
            bytes = n < 0 ? 0 : (int)n;
            return e;
        }
    }

    /// <summary>pwrite from <paramref name="buffer"/>; offset -1 writes at the fd's position (the end with O_APPEND). May write fewer bytes.</summary>
    public Errno Write(int fd, ReadOnlySpan<byte> buffer, long offset, out int bytes)
    {
        fixed (byte* b = buffer)
        {
            nint n = Libc.PWrite(fd, b, (nuint)buffer.Length, offset, out Errno e);
            bytes = n < 0 ? 0 : (int)n;
            return e;
        }
    }

    /// <summary>
    /// pwrite at <paramref name="offset"/> through a fresh buffered descriptor of the node (reopened O_WRONLY from its
    /// O_PATH fd, then closed): for page-cache writeback that reaches an open whose flags (O_DIRECT, O_APPEND) do not
    /// suit it. Two syscalls more than Write; only that case pays them.
    /// </summary>
    public Errno WriteBuffered(ulong nodeId, ReadOnlySpan<byte> buffer, long offset, bool clearSetId, out int bytes)
    {
        bytes = 0;
        Errno e = Open(nodeId, Libc.O_WRONLY, out int fd);
        if (e != Errno.Success)
            return e;
        try
        {
            return clearSetId ? WriteClearingSetId(fd, buffer, offset, out bytes) : Write(fd, buffer, offset, out bytes);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>
    /// pread at <paramref name="offset"/> through a read-only fd of the node (opened, read, closed): for a filter-issued
    /// read on a write-only open, which Windows allows (kernel I/O ignores the handle's access) and a write-only fd
    /// cannot do. Two syscalls more than Read; only that case pays them.
    /// </summary>
    public Errno ReadThroughNode(ulong nodeId, Span<byte> buffer, long offset, out int bytes)
    {
        bytes = 0;
        Errno e = Open(nodeId, Libc.O_RDONLY, out int fd);
        if (e != Errno.Success)
            return e;
        try
        {
            return Read(fd, buffer, offset, out bytes);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>fsync, or fdatasync when <paramref name="dataOnly"/>.</summary>
    public Errno Sync(int fd, bool dataOnly) => dataOnly ? Libc.Fdatasync(fd) : Libc.Fsync(fd);

    /// <summary>fallocate(fd, mode, offset, length); mode 0 allocates and extends, FALLOC_FL_* otherwise.</summary>
    public Errno Allocate(int fd, int mode, long offset, long length) => Libc.Fallocate(fd, mode, offset, length);

    /// <summary>
    /// Write, Truncate or Allocate for a caller that may not keep set-id bits: the call runs without CAP_FSETID, so the
    /// backing file system clears S_ISUID (and S_ISGID when group-executable) as it would for that caller on ext4.
    /// </summary>
    public Errno WriteClearingSetId(int fd, ReadOnlySpan<byte> buffer, long offset, out int bytes)
    {
        using (CallerCredentials.WithoutFileSetId())
            return Write(fd, buffer, offset, out bytes);
    }

    /// <inheritdoc cref="WriteClearingSetId"/>
    public Errno TruncateClearingSetId(ulong nodeId, int fd, long size)
    {
        using (CallerCredentials.WithoutFileSetId())
            return Truncate(nodeId, fd, size);
    }

    /// <inheritdoc cref="WriteClearingSetId"/>
    public Errno AllocateClearingSetId(int fd, int mode, long offset, long length)
    {
        using (CallerCredentials.WithoutFileSetId())
            return Libc.Fallocate(fd, mode, offset, length);
    }

    /// <inheritdoc cref="WriteClearingSetId"/>
    public Errno OpenClearingSetId(ulong nodeId, int openFlags, out int fd)
    {
        using (CallerCredentials.WithoutFileSetId())
            return Open(nodeId, openFlags, out fd);
    }

    /// <summary>Closes a caller-owned fd. Never retried: EINTR counts as closed (Linux semantics).</summary>
    public Errno Close(int fd)
    {
        if (Libc.Close(fd) == 0)
            return Errno.Success;
        Errno e = Libc.LastError;
        return e == Errno.EINTR ? Errno.Success : e;
    }

    /// <summary>Opens a directory node for reading (openat(nodeFd, ".", O_RDONLY|O_DIRECTORY)); non-directories give ENOTDIR.</summary>
    public Errno OpenDirectory(ulong nodeId, out int fd)
    {
        fd = -1;
        if (!_table.TryAcquire(nodeId, out int pathFd, out uint type))
            return Errno.ESTALE;
        try
        {
            if (type != Libc.S_IFDIR)
                return Errno.ENOTDIR;
            byte* dot = stackalloc byte[2];
            dot[0] = (byte)'.';
            dot[1] = 0;
            fd = Libc.OpenAt(pathFd, dot, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0, out Errno e);
            return e;
        }
        finally
        {
            _table.Release(nodeId);
        }
    }

    /// <summary>
    /// Seeks a directory fd to <paramref name="cookie"/> (0 = start, else a NextCookie from a previous call) and fills
    /// <paramref name="buffer"/> with raw linux_dirent64 records (walk them with DirectoryEntryReader). bytes = 0 at the
    /// end; a buffer too small for one record gives EINVAL. Calls on one fd must not overlap (they share its position).
    /// </summary>
    public Errno ReadDirectory(int fd, long cookie, Span<byte> buffer, out int bytes)
    {
        bytes = 0;
        if (Libc.Lseek(fd, cookie, Libc.SEEK_SET, out Errno e) < 0)
            return e;
        fixed (byte* b = buffer)
        {
            nint n = Libc.GetDents64(fd, b, (nuint)buffer.Length, out e);
            if (n >= 0)
                bytes = (int)n;
            return e;
        }
    }

    /// <summary>Statistics of the file system holding a node (fstatfs on its O_PATH fd).</summary>
    public Errno StatFs(ulong nodeId, out FileSystemStatistics stats)
    {
        stats = default;
        if (!_table.TryAcquire(nodeId, out int fd, out _))
            return Errno.ESTALE;
        try
        {
            Errno e = Libc.Fstatfs(fd, out Libc.StatFs s);
            if (e == Errno.Success)
                stats = FileSystemStatistics.From(s);
            return e;
        }
        finally
        {
            _table.Release(nodeId);
        }
    }

    /// <summary>
    /// Reads an xattr of a node via getxattr("/proc/self/fd/N") (files, directories and special files; the magic link
    /// resolves to the node itself). An empty <paramref name="value"/> asks for the size; a too-small one gives ERANGE.
    /// </summary>
    public Errno GetExtendedAttribute(ulong nodeId, ReadOnlySpan<byte> name, Span<byte> value, out int size)
    {
        size = 0;
        byte* n = stackalloc byte[NameBufferSize];
        Errno e = CopyXattrName(name, n);
        if (e != Errno.Success)
            return e;
        if (!_table.TryAcquire(nodeId, out int fd, out _))
            return Errno.ESTALE;
        try
        {
            byte* proc = stackalloc byte[ProcPathSize];
            Libc.ProcFdPath(fd, new Span<byte>(proc, ProcPathSize));
            fixed (byte* v = value)
            {
                nint r = Libc.GetXattr(proc, n, v, (nuint)value.Length, out e);
                if (r >= 0)
                    size = (int)r;
                return e;
            }
        }
        finally
        {
            _table.Release(nodeId);
        }
    }

    /// <summary>Lists a node's xattr names (NUL-separated) via listxattr("/proc/self/fd/N"); an empty span asks for the size.</summary>
    public Errno ListExtendedAttributes(ulong nodeId, Span<byte> list, out int size)
    {
        size = 0;
        if (!_table.TryAcquire(nodeId, out int fd, out _))
            return Errno.ESTALE;
        try
        {
            byte* proc = stackalloc byte[ProcPathSize];
            Libc.ProcFdPath(fd, new Span<byte>(proc, ProcPathSize));
            fixed (byte* l = list)
            {
                nint r = Libc.ListXattr(proc, l, (nuint)list.Length, out Errno e);
                if (r >= 0)
                    size = (int)r;
                return e;
            }
        }
        finally
        {
            _table.Release(nodeId);
        }
    }

    /// <summary>Sets an xattr via setxattr("/proc/self/fd/N"); flags: 0, XATTR_CREATE (1) or XATTR_REPLACE (2).</summary>
    public Errno SetExtendedAttribute(ulong nodeId, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags)
    {
        byte* n = stackalloc byte[NameBufferSize];
        Errno e = CopyXattrName(name, n);
        if (e != Errno.Success)
            return e;
        if (!_table.TryAcquire(nodeId, out int fd, out _))
            return Errno.ESTALE;
        try
        {
            byte* proc = stackalloc byte[ProcPathSize];
            Libc.ProcFdPath(fd, new Span<byte>(proc, ProcPathSize));
            fixed (byte* v = value)
                return Libc.SetXattr(proc, n, v, (nuint)value.Length, flags);
        }
        finally
        {
            _table.Release(nodeId);
        }
    }

    /// <summary>Removes an xattr via removexattr("/proc/self/fd/N"); a missing one gives ENODATA.</summary>
    public Errno RemoveExtendedAttribute(ulong nodeId, ReadOnlySpan<byte> name)
    {
        byte* n = stackalloc byte[NameBufferSize];
        Errno e = CopyXattrName(name, n);
        if (e != Errno.Success)
            return e;
        if (!_table.TryAcquire(nodeId, out int fd, out _))
            return Errno.ESTALE;
        try
        {
            byte* proc = stackalloc byte[ProcPathSize];
            Libc.ProcFdPath(fd, new Span<byte>(proc, ProcPathSize));
            return Libc.RemoveXattr(proc, n);
        }
        finally
        {
            _table.Release(nodeId);
        }
    }

    /// <summary>
    /// F_OFD_GETLK: on return lk.Type is Unlock if <paramref name="lk"/> could be placed, else it describes a conflicting
    /// lock. OFD locks belong to the open file description, so two fds (even in one process) conflict.
    /// </summary>
    public Errno GetLock(int fd, ref PosixLock lk)
    {
        var f = new Libc.Flock { Type = lk.Type, Whence = Libc.SEEK_SET, Start = lk.Start, Len = lk.Length, Pid = 0 };
        Errno e = Libc.FcntlLock(fd, Libc.F_OFD_GETLK, ref f);
        if (e == Errno.Success)
        {
            lk.Type = f.Type;
            lk.Start = f.Start;
            lk.Length = f.Len;
            lk.Pid = f.Pid;
        }
        return e;
    }

    /// <summary>F_OFD_SETLK (EAGAIN on conflict) or, when <paramref name="wait"/>, F_OFD_SETLKW (blocks the calling thread).</summary>
    public Errno SetLock(int fd, in PosixLock lk, bool wait)
    {
        var f = new Libc.Flock { Type = lk.Type, Whence = Libc.SEEK_SET, Start = lk.Start, Len = lk.Length, Pid = 0 };
        return Libc.FcntlLock(fd, wait ? Libc.F_OFD_SETLKW : Libc.F_OFD_SETLK, ref f);
    }

    /// <summary>flock(2): LOCK_SH 1, LOCK_EX 2, LOCK_UN 8, optionally | LOCK_NB 4 (EWOULDBLOCK on conflict).</summary>
    public Errno Flock(int fd, int operation) => Libc.FlockFd(fd, operation);

    /// <summary>Copies an xattr name (1..255 bytes, no NUL) and appends a NUL; too long gives ERANGE as the kernel does.</summary>
    private static Errno CopyXattrName(ReadOnlySpan<byte> name, byte* dest)
    {
        if (name.IsEmpty)
            return Errno.EINVAL;
        if (name.Length > Libc.NameMax)
            return Errno.ERANGE;
        if (name.IndexOf((byte)0) >= 0)
            return Errno.EINVAL;
        name.CopyTo(new Span<byte>(dest, NameBufferSize));
        dest[name.Length] = 0;
        return Errno.Success;
    }
}
