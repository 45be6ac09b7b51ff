// Namespace operations of LoopbackFileSystem: create, mkdir, mknod, symlink, link, unlink, rmdir, rename, readlink.
// Each works on one component relative to the parent node's O_PATH fd (see the header of LoopbackFileSystem.cs).
using Altitude.FileSystem.Interop;

namespace Altitude.FileSystem;

public sealed unsafe partial class LoopbackFileSystem
{
    /// <summary>Flag for <see cref="Rename(ulong, ReadOnlySpan{byte}, ulong, ReadOnlySpan{byte}, uint)"/>: fail with EEXIST if the new name exists.</summary>
    public const uint RenameNoReplace = Libc.RENAME_NOREPLACE;

    /// <summary>Flag for <see cref="Rename(ulong, ReadOnlySpan{byte}, ulong, ReadOnlySpan{byte}, uint)"/>: atomically swap the two names (both must exist).</summary>
    public const uint RenameExchange = Libc.RENAME_EXCHANGE;

    /// <summary>Flag for <see cref="Rename(ulong, ReadOnlySpan{byte}, ulong, ReadOnlySpan{byte}, uint)"/>: leave a whiteout at the old name (overlay use; needs root).</summary>
    public const uint RenameWhiteout = Libc.RENAME_WHITEOUT;

    /// <summary>Create with umask 0: <paramref name="mode"/> is the new file's mode as given.</summary>
    public Errno Create(ulong parent, ReadOnlySpan<byte> name, int openFlags, uint mode, uint uid, uint gid,
        out ulong nodeId, out ulong generation, out FileAttributes attr, out int fd)
        => Create(parent, name, openFlags, mode, 0, uid, gid, out nodeId, out generation, out attr, out fd);

    /// <summary>
    /// Creates (or, without O_EXCL, opens an existing) regular file and opens it with <paramref name="openFlags"/>
    /// (+1 lookup). O_NOFOLLOW is implied: an existing symlink gives ELOOP, and an existing FIFO, socket or device
    /// gives ENXIO without being opened (opening a FIFO would block). The file is made with <paramref name="mode"/>
    /// under <paramref name="umask"/> (the caller's; the daemon's own umask never applies) and, when running as root,
    /// under fsuid/fsgid uid/gid (uint.MaxValue = the daemon's), so it is born with its owner and keeps its set-id bits.
    /// The returned fd belongs to the caller.
    /// </summary>
    public Errno Create(ulong parent, ReadOnlySpan<byte> name, int openFlags, uint mode, uint umask, uint uid, uint gid,
        out ulong nodeId, out ulong generation, out FileAttributes attr, out int fd)
    {
        nodeId = 0;
        generation = 0;
        attr = default;
        fd = -1;
        byte* n = stackalloc byte[NameBufferSize];
        Errno e = Libc.CopyComponent(name, new Span<byte>(n, NameBufferSize));
        if (e != Errno.Success)
            return e;
        if (!_table.TryAcquire(parent, out int parentFd, out _))
            return Errno.ESTALE;
        try
        {
            int flags = (openFlags & ~(Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOCTTY)) | Libc.O_NOFOLLOW | Libc.O_CLOEXEC;
            bool exclusive = (openFlags & Libc.O_EXCL) != 0;
            int file = -1;
            // Create exclusively first, under the caller's credentials; without O_EXCL fall back to opening the existing file, retrying if it vanishes in between.
            for (int attempt = 0; attempt < 16 && file < 0; attempt++)
            {
                using (CallerCredentials.ForCreate(_isRoot, uid, gid, umask))
                    file = Libc.OpenAt(parentFd, n, flags | Libc.O_CREAT | Libc.O_EXCL, mode, out e);
                if (file >= 0)
                    break;
                if (e != Errno.EEXIST || exclusive)
                    return e;
                file = OpenExisting(parentFd, n, flags, out e);
                if (file < 0 && e != Errno.ENOENT)
                    return e;
            }
            if (file < 0)
                return e;
            // The node's O_PATH fd is reopened from the new file itself, not by name, so it is the same inode.
            byte* proc = stackalloc byte[ProcPathSize];
            Libc.ProcFdPath(file, new Span<byte>(proc, ProcPathSize));
            int pathFd = Libc.OpenAt(Libc.AT_FDCWD, proc, Libc.O_PATH | Libc.O_CLOEXEC, 0, out e);
            if (pathFd < 0)
            {
                Libc.Close(file);
                return e;
            }
            e = Register(pathFd, out nodeId, out generation, out attr, parent, name);
            if (e != Errno.Success)
            {
                Libc.Close(file);
                return e;
            }
            fd = file;
            return Errno.Success;
        }
        finally
        {
            _table.Release(parent);
        }
    }

    /// <summary>MakeDirectory with umask 0.</summary>
    public Errno MakeDirectory(ulong parent, ReadOnlySpan<byte> name, uint mode, uint uid, uint gid,
        out ulong nodeId, out ulong generation, out FileAttributes attr)
        => MakeDirectory(parent, name, mode, 0, uid, gid, out nodeId, out generation, out attr);

    /// <summary>mkdir in a directory node (+1 lookup), under <paramref name="umask"/> and, when root, the fsuid/fsgid uid/gid (uint.MaxValue = the daemon's).</summary>
    public Errno MakeDirectory(ulong parent, ReadOnlySpan<byte> name, uint mode, uint umask, uint uid, uint gid,
        out ulong nodeId, out ulong generation, out FileAttributes attr)
    {
        nodeId = 0;
        generation = 0;
        attr = default;
        byte* n = stackalloc byte[NameBufferSize];
        Errno e = Libc.CopyComponent(name, new Span<byte>(n, NameBufferSize));
        if (e != Errno.Success)
            return e;
        if (!_table.TryAcquire(parent, out int parentFd, out _))
            return Errno.ESTALE;
        try
        {
            using (CallerCredentials.ForCreate(_isRoot, uid, gid, umask))
                e = Libc.MkdirAt(parentFd, n, mode);
            if (e != Errno.Success)
                return e;
            return OpenNewAndRegister(parentFd, n, Libc.O_DIRECTORY, out nodeId, out generation, out attr, parent, name);
        }
        finally
        {
            _table.Release(parent);
        }
    }

    /// <summary>MakeNode with umask 0.</summary>
    public Errno MakeNode(ulong parent, ReadOnlySpan<byte> name, uint mode, ulong rdev, uint uid, uint gid,
        out ulong nodeId, out ulong generation, out FileAttributes attr)
        => MakeNode(parent, name, mode, rdev, 0, uid, gid, out nodeId, out generation, out attr);

    /// <summary>mknod (FIFO, socket, device or regular file per the S_IF* bits of mode) in a directory node (+1 lookup); credentials as MakeDirectory.</summary>
    public Errno MakeNode(ulong parent, ReadOnlySpan<byte> name, uint mode, ulong rdev, uint umask, uint uid, uint gid,
        out ulong nodeId, out ulong generation, out FileAttributes attr)
    {
        nodeId = 0;
        generation = 0;
        attr = default;
        byte* n = stackalloc byte[NameBufferSize];
        Errno e = Libc.CopyComponent(name, new Span<byte>(n, NameBufferSize));
        if (e != Errno.Success)
            return e;
        if (!_table.TryAcquire(parent, out int parentFd, out _))
            return Errno.ESTALE;
        try
        {
            using (CallerCredentials.ForCreate(_isRoot, uid, gid, umask))
                e = Libc.MknodAt(parentFd, n, mode, rdev);
            if (e != Errno.Success)
                return e;
            return OpenNewAndRegister(parentFd, n, 0, out nodeId, out generation, out attr, parent, name);
        }
        finally
        {
            _table.Release(parent);
        }
    }

    /// <summary>symlink named <paramref name="name"/> containing <paramref name="target"/> (raw bytes, &lt; 4096) (+1 lookup); made under the fsuid/fsgid uid/gid when root.</summary>
    public Errno CreateSymbolicLink(ulong parent, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target, uint uid, uint gid,
        out ulong nodeId, out ulong generation, out FileAttributes attr)
    {
        nodeId = 0;
        generation = 0;
        attr = default;
        byte* n = stackalloc byte[NameBufferSize];
        Errno e = Libc.CopyComponent(name, new Span<byte>(n, NameBufferSize));
        if (e != Errno.Success)
            return e;
        byte* t = stackalloc byte[Libc.PathMax];
        e = Libc.CopyPath(target, new Span<byte>(t, Libc.PathMax));
        if (e != Errno.Success)
            return e;
        if (!_table.TryAcquire(parent, out int parentFd, out _))
            return Errno.ESTALE;
        try
        {
            using (CallerCredentials.ForCreate(_isRoot, uid, gid, 0))
                e = Libc.SymlinkAt(t, parentFd, n);
            if (e != Errno.Success)
                return e;
            return OpenNewAndRegister(parentFd, n, 0, out nodeId, out generation, out attr, parent, name);
        }
        finally
        {
            _table.Release(parent);
        }
    }

    /// <summary>
    /// Hard link to <paramref name="nodeId"/> as newName in newParent; +1 lookup on the same node. Uses linkat AT_EMPTY_PATH
    /// on the O_PATH fd (needs CAP_DAC_READ_SEARCH), falling back to /proc/self/fd/N with AT_SYMLINK_FOLLOW.
    /// </summary>
    public Errno CreateHardLink(ulong nodeId, ulong newParent, ReadOnlySpan<byte> newName, out ulong generation, out FileAttributes attr)
    {
        generation = 0;
        attr = default;
        byte* n = stackalloc byte[NameBufferSize];
        Errno e = Libc.CopyComponent(newName, new Span<byte>(n, NameBufferSize));
        if (e != Errno.Success)
            return e;
        if (!_table.TryAcquire(nodeId, out int fd, out _))
            return Errno.ESTALE;
        try
        {
            if (!_table.TryAcquire(newParent, out int parentFd, out _))
                return Errno.ESTALE;
            try
            {
                byte empty = 0;
                e = Libc.LinkAt(fd, &empty, parentFd, n, Libc.AT_EMPTY_PATH);
                if (e == Errno.ENOENT || e == Errno.EPERM)
                {
                    byte* proc = stackalloc byte[ProcPathSize];
                    Libc.ProcFdPath(fd, new Span<byte>(proc, ProcPathSize));
                    e = Libc.LinkAt(Libc.AT_FDCWD, proc, parentFd, n, Libc.AT_SYMLINK_FOLLOW);
                }
                if (e != Errno.Success)
                    return e;
                _table.AddLookup(nodeId, out generation);
                // The link exists and the reference is taken; a failed stat only leaves attr empty.
                if (Libc.StatxFd(fd, out Libc.Statx st) == Errno.Success)
                    attr = Attributes(st);
                return Errno.Success;
            }
            finally
            {
                _table.Release(newParent);
            }
        }
        finally
        {
            _table.Release(nodeId);
        }
    }

    /// <summary>Removes a non-directory name from a directory node (unlinkat).</summary>
    public Errno Unlink(ulong parent, ReadOnlySpan<byte> name) => UnlinkCore(parent, name, 0, out _);

    /// <summary>Unlink or rmdir, telling which known node the name stood for (0 if the table does not hold it); no reference is taken.</summary>
    public Errno Remove(ulong parent, ReadOnlySpan<byte> name, bool directory, out ulong removedNode) =>
        UnlinkCore(parent, name, directory ? Libc.AT_REMOVEDIR : 0, out removedNode);

    /// <summary>Removes an empty directory from a directory node (unlinkat AT_REMOVEDIR).</summary>
    public Errno RemoveDirectory(ulong parent, ReadOnlySpan<byte> name) => UnlinkCore(parent, name, Libc.AT_REMOVEDIR, out _);

    /// <summary>renameat2 between two directory nodes; flags: RenameNoReplace (1), RenameExchange (2), RenameWhiteout (4).</summary>
    public Errno Rename(ulong parent, ReadOnlySpan<byte> name, ulong newParent, ReadOnlySpan<byte> newName, uint flags)
        => Rename(parent, name, newParent, newName, flags, out _);

    /// <summary>renameat2, telling which known node moved (0 if the table does not hold it); no reference is taken.</summary>
    public Errno Rename(ulong parent, ReadOnlySpan<byte> name, ulong newParent, ReadOnlySpan<byte> newName, uint flags, out ulong movedNode)
    {
        movedNode = 0;
        byte* n = stackalloc byte[NameBufferSize];
        Errno e = Libc.CopyComponent(name, new Span<byte>(n, NameBufferSize));
        if (e != Errno.Success)
            return e;
        byte* nn = stackalloc byte[NameBufferSize];
        e = Libc.CopyComponent(newName, new Span<byte>(nn, NameBufferSize));
        if (e != Errno.Success)
            return e;
        if (!_table.TryAcquire(parent, out int parentFd, out _))
            return Errno.ESTALE;
        try
        {
            if (!_table.TryAcquire(newParent, out int newParentFd, out _))
                return Errno.ESTALE;
            try
            {
                ulong replaced = (flags & Libc.RENAME_NOREPLACE) != 0 ? 0 : NodeAt(newParentFd, nn);
                e = Libc.RenameAt2(parentFd, n, newParentFd, nn, flags);
                if (e != Errno.Success) return e;
                // Keep the recorded names true: the moved node has its new name, a replaced one has none, an exchanged one the old name.
                if (replaced != 0 && (flags & Libc.RENAME_EXCHANGE) == 0) _table.ClearName(replaced, newParent, newName);
                ulong moved = NodeAt(newParentFd, nn);
                if (moved != 0) _table.SetName(moved, newParent, newName);
                movedNode = moved;
                if ((flags & Libc.RENAME_EXCHANGE) != 0 && NodeAt(parentFd, n) is var other && other != 0) _table.SetName(other, parent, name);
                return e;
            }
            finally
            {
                _table.Release(newParent);
            }
        }
        finally
        {
            _table.Release(parent);
        }
    }

    /// <summary>
    /// Reads a symlink node's target (raw bytes, no NUL) into <paramref name="buffer"/>. A target that fills the whole
    /// buffer may be truncated and gives ERANGE; a 4096-byte buffer always suffices. Non-symlinks give EINVAL.
    /// </summary>
    public Errno ReadLink(ulong nodeId, Span<byte> buffer, out int length)
    {
        length = 0;
        if (!_table.TryAcquire(nodeId, out int fd, out uint type))
            return Errno.ESTALE;
        try
        {
            if (type != Libc.S_IFLNK)
                return Errno.EINVAL;
            byte empty = 0;
            fixed (byte* b = buffer)
            {
                nint r = Libc.ReadLinkAt(fd, &empty, b, (nuint)buffer.Length, out Errno e);
                if (r < 0)
                    return e;
                if (r >= buffer.Length)
                    return Errno.ERANGE;
                length = (int)r;
                return Errno.Success;
            }
        }
        finally
        {
            _table.Release(nodeId);
        }
    }

    private Errno UnlinkCore(ulong parent, ReadOnlySpan<byte> name, int flags, out ulong node)
    {
        node = 0;
        byte* n = stackalloc byte[NameBufferSize];
        Errno e = Libc.CopyComponent(name, new Span<byte>(n, NameBufferSize));
        if (e != Errno.Success)
            return e;
        if (!_table.TryAcquire(parent, out int parentFd, out _))
            return Errno.ESTALE;
        try
        {
            node = NodeAt(parentFd, n);
            e = Libc.UnlinkAt(parentFd, n, flags);
            if (e == Errno.Success && node != 0) _table.ClearName(node, parent, name);
            return e;
        }
        finally
        {
            _table.Release(parent);
        }
    }

    /// <summary>
    /// After mkdirat/mknodat/symlinkat: opens the new name O_PATH|O_NOFOLLOW (plus extraFlags) and registers it. The node
    /// was made with its owner, so nothing is changed by name afterwards; if the name was replaced in between we register
    /// whatever is there now, still inside the parent.
    /// </summary>
    private Errno OpenNewAndRegister(int parentFd, byte* name, int extraFlags,
        out ulong nodeId, out ulong generation, out FileAttributes attr, ulong parent, ReadOnlySpan<byte> component)
    {
        nodeId = 0;
        generation = 0;
        attr = default;
        int fd = Libc.OpenAt(parentFd, name, Libc.O_PATH | Libc.O_NOFOLLOW | Libc.O_CLOEXEC | extraFlags, 0, out Errno e);
        if (fd < 0)
            return e;
        return Register(fd, out nodeId, out generation, out attr, parent, component);
    }

    /// <summary>
    /// Opens an existing name with <paramref name="flags"/> through an O_PATH fd of it, so that a FIFO, socket or device
    /// is recognised before open(2) could block on it (a FIFO without a writer) or reach a driver: those give ENXIO.
    /// </summary>
    private static int OpenExisting(int parentFd, byte* name, int flags, out Errno e)
    {
        int pathFd = Libc.OpenAt(parentFd, name, Libc.O_PATH | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0, out e);
        if (pathFd < 0)
            return -1;
        try
        {
            e = Libc.StatxFd(pathFd, out Libc.Statx st);
            if (e != Errno.Success)
                return -1;
            uint type = st.Mode & Libc.S_IFMT;
            if (type == Libc.S_IFLNK) { e = Errno.ELOOP; return -1; }
            if (!IsOpenable(type)) { e = Errno.ENXIO; return -1; }
            byte* proc = stackalloc byte[ProcPathSize];
            Libc.ProcFdPath(pathFd, new Span<byte>(proc, ProcPathSize));
            return Libc.OpenAt(Libc.AT_FDCWD, proc, flags & ~Libc.O_NOFOLLOW, 0, out e);
        }
        finally
        {
            Libc.Close(pathFd);
        }
    }

    /// <summary>Only regular files and directories are opened for I/O below; special files are the kernel's business.</summary>
    private static bool IsOpenable(uint type) => type == Libc.S_IFREG || type == Libc.S_IFDIR;
}
