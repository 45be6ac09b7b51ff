// Loopback ("passthrough") file system over a backing directory, modelled on libfuse's
// example/passthrough_hp.cc: every node the caller knows is an O_PATH fd, kept as the node's handle in the
// volume's node table (Altitude.NodeTable; NodeFds is the loopback's view of it).
//
// Containment guarantee: every name-taking method resolves exactly one component relative to the
// parent node's O_PATH fd (openat/mkdirat/...at(parentFd, name), with O_NOFOLLOW where a file is opened),
// and names containing '/', NUL, "." or ".." are rejected with EINVAL. No path string is ever built from
// caller input, so no name, ".." or symlink can reach outside the backing directory. LookupPath is the one
// multi-component resolver and uses openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) from the root fd, so
// ".." above the root, absolute symlinks and symlinks climbing out fail with EXDEV (returned as is).
// Limits: the guarantee is about name resolution from fds we hold. If another process moves a directory
// we hold an fd for out of the backing tree, operations on that node (and names below it) follow it to its
// new place, as in passthrough_hp. Lookups may cross into other mounts below the root (unlike
// passthrough_hp, which refuses); FileAttributes.Device tells the caller, and their inode numbers are made
// unique under the mount's one st_dev (InodeNumbers.cs). /proc/self/fd/N paths are used only
// for fds we own, never combined with caller input.
using System.Text;
using Altitude.FileSystem.Interop;

namespace Altitude.FileSystem;

/// <summary>
/// A loopback file system over a backing directory. All members are thread-safe, return <see cref="Errno"/>
/// (Success = 0), never throw after construction and allocate nothing per call in steady state.
/// Node ids are stable until the node's lookup count returns to zero through <see cref="Forget"/>; an unknown or
/// freed node id yields ESTALE. File descriptors returned by Open/Create/OpenDirectory belong to the caller,
/// who must pass them to <see cref="Close"/>; node O_PATH fds are private to the table.
/// </summary>
public sealed unsafe partial class LoopbackFileSystem : IDisposable
{
    /// <summary>Node id of the backing directory (FUSE_ROOT_ID).</summary>
    public const ulong RootNodeId = NodeTable.RootId;

    private const int NameBufferSize = Libc.NameMax + 1;
    private const int ProcPathSize = 32;

    private readonly NodeFds _table;
    private readonly int _rootFd;
    private readonly bool _isRoot;
    private readonly InodeNumbers _inodes;

    /// <summary>Opens <paramref name="backingDirectory"/> (O_PATH|O_DIRECTORY) and raises RLIMIT_NOFILE to its hard limit; throws IOException on failure.</summary>
    public LoopbackFileSystem(string backingDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(backingDirectory);
        RaiseFileLimit();
        byte[] path = new byte[Encoding.UTF8.GetByteCount(backingDirectory) + 1];
        Encoding.UTF8.GetBytes(backingDirectory, path);
        int fd;
        Errno e;
        fixed (byte* p = path)
            fd = Libc.OpenAt(Libc.AT_FDCWD, p, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0, out e);
        if (fd < 0)
            throw new IOException($"Cannot open backing directory '{backingDirectory}': {e}", (int)e);
        e = Libc.StatxFd(fd, out Libc.Statx st);
        if (e != Errno.Success)
        {
            Libc.Close(fd);
            throw new IOException($"Cannot stat backing directory '{backingDirectory}': {e}", (int)e);
        }
        _rootFd = fd;
        _table = new NodeFds(NodeFds.CreateTable(fd, st));
        _isRoot = Libc.GetEuid() == 0;
        _inodes = new InodeNumbers(Libc.MakeDev(st.DevMajor, st.DevMinor));
    }

    /// <summary>Attributes as the mount shows them: inode numbers of nodes on nested mounts made unique (InodeNumbers.cs).</summary>
    private FileAttributes Attributes(in Libc.Statx st)
    {
        FileAttributes a = FileAttributes.From(st);
        return a with { Inode = _inodes.Map(a.Device, a.Inode) };
    }

    /// <summary>
    /// Whether d_ino values read from <paramref name="directory"/> must go through <see cref="EntryInode"/>: only once a
    /// nested mount was seen (no cost otherwise); <paramref name="device"/> is the directory's.
    /// </summary>
    public bool MapsEntryInodes(ulong directory, out ulong device)
    {
        device = 0;
        if (!_inodes.SawOtherDevices || GetAttributes(directory, out FileAttributes dir) != Errno.Success) return false;
        device = dir.Device;
        return true;
    }

    /// <summary>The inode number to show for a d_ino read from a directory on <paramref name="device"/>.</summary>
    public ulong EntryInode(ulong device, ulong inode) => _inodes.Map(device, inode);

    /// <summary>Number of live nodes including the root (diagnostics and tests).</summary>
    public int NodeCount => _table.Count;

    /// <summary>The node table this file system fills: ids, generations, lookup counts and names (the volume's, once it has one).</summary>
    public NodeTable Nodes => _table.Table;

    /// <summary>Looks up one name in a directory node: +1 lookup count on success. Names with '/' or NUL, "." and ".." give EINVAL; "" gives ENOENT.</summary>
    public Errno Lookup(ulong parent, ReadOnlySpan<byte> name, out ulong nodeId, out ulong generation, out FileAttributes attr)
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
            int fd = Libc.OpenAt(parentFd, n, Libc.O_PATH | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0, out e);
            if (fd < 0)
                return e;
            return Register(fd, out nodeId, out generation, out attr, parent, name);
        }
        finally
        {
            _table.Release(parent);
        }
    }

    /// <summary>
    /// Resolves a relative path beneath the root (openat2 RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS; the final component
    /// is not followed): +1 lookup count. "" and "." give the root. Escapes (absolute paths, ".." above the root,
    /// symlinks leading outside) give EXDEV; a path of 4096 bytes or more gives ENAMETOOLONG.
    /// </summary>
    public Errno LookupPath(ReadOnlySpan<byte> relativePath, out ulong nodeId, out ulong generation, out FileAttributes attr)
    {
        nodeId = 0;
        generation = 0;
        attr = default;
        if (relativePath.IsEmpty)
        {
            Errno r = Libc.StatxFd(_rootFd, out Libc.Statx st);
            if (r != Errno.Success)
                return r;
            _table.AddLookup(RootNodeId, out generation);
            nodeId = RootNodeId;
            attr = Attributes(st);
            return Errno.Success;
        }
        byte* p = stackalloc byte[Libc.PathMax];
        Errno e = Libc.CopyPath(relativePath, new Span<byte>(p, Libc.PathMax));
        if (e != Errno.Success)
            return e;
        var how = new Libc.OpenHow
        {
            Flags = Libc.O_PATH | Libc.O_NOFOLLOW | Libc.O_CLOEXEC,
            Resolve = Libc.RESOLVE_BENEATH | Libc.RESOLVE_NO_MAGICLINKS,
        };
        int fd = -1;
        // With RESOLVE_BENEATH a concurrent rename anywhere makes openat2 fail with EAGAIN; retry a few times.
        for (int attempt = 0; attempt < 32; attempt++)
        {
            fd = Libc.OpenAt2(_rootFd, p, how, out e);
            if (e != Errno.EAGAIN)
                break;
        }
        if (fd < 0)
            return e;
        // A name in the root is recorded like a LOOKUP's; deeper paths are named by the kernel when asked (GetPath).
        bool inRoot = relativePath.IndexOf((byte)'/') < 0 && !relativePath.SequenceEqual("."u8) && !relativePath.SequenceEqual(".."u8);
        return inRoot ? Register(fd, out nodeId, out generation, out attr, RootNodeId, relativePath) : Register(fd, out nodeId, out generation, out attr);
    }

    /// <summary>Drops <paramref name="count"/> lookup references (FUSE_FORGET); at zero the node's fd is closed. The root is never forgotten.</summary>
    public void Forget(ulong nodeId, ulong count) => _table.Forget(nodeId, count);

    /// <summary>Current attributes of a node (statx of its O_PATH fd, symlinks not followed).</summary>
    public Errno GetAttributes(ulong nodeId, out FileAttributes attr)
    {
        attr = default;
        if (!_table.TryAcquire(nodeId, out int fd, out _))
            return Errno.ESTALE;
        try
        {
            Errno e = Libc.StatxFd(fd, out Libc.Statx st);
            if (e == Errno.Success)
                attr = Attributes(st);
            return e;
        }
        finally
        {
            _table.Release(nodeId);
        }
    }

    /// <summary>chmod of a node (fchmodat2 AT_EMPTY_PATH; /proc/self/fd fallback). Symlinks give EOPNOTSUPP. Only the 07777 bits are used.</summary>
    public Errno SetMode(ulong nodeId, uint mode)
    {
        if (!_table.TryAcquire(nodeId, out int fd, out uint type))
            return Errno.ESTALE;
        try
        {
            if (type == Libc.S_IFLNK)
                return Errno.EOPNOTSUPP;
            byte empty = 0;
            Errno e = Libc.FchmodAt2(fd, &empty, mode & 0xFFF, Libc.AT_EMPTY_PATH);
            if (e == Errno.ENOSYS)
            {
                byte* proc = stackalloc byte[ProcPathSize];
                Libc.ProcFdPath(fd, new Span<byte>(proc, ProcPathSize));
                e = Libc.FchmodAt(Libc.AT_FDCWD, proc, mode & 0xFFF, 0);
            }
            return e;
        }
        finally
        {
            _table.Release(nodeId);
        }
    }

    /// <summary>chown of a node, symlinks included (fchownat AT_EMPTY_PATH|AT_SYMLINK_NOFOLLOW); uint.MaxValue leaves an id unchanged.</summary>
    public Errno SetOwner(ulong nodeId, uint uid, uint gid)
    {
        if (!_table.TryAcquire(nodeId, out int fd, out _))
            return Errno.ESTALE;
        try
        {
            byte empty = 0;
            return Libc.FchownAt(fd, &empty, uid, gid, Libc.AT_EMPTY_PATH | Libc.AT_SYMLINK_NOFOLLOW);
        }
        finally
        {
            _table.Release(nodeId);
        }
    }

    /// <summary>Sets access and modification times (utimensat AT_EMPTY_PATH); use TimeSpec.Now / TimeSpec.Omit for UTIME_NOW / UTIME_OMIT.</summary>
    public Errno SetTimes(ulong nodeId, TimeSpec accessTime, TimeSpec modificationTime)
    {
        if (!_table.TryAcquire(nodeId, out int fd, out _))
            return Errno.ESTALE;
        try
        {
            TimeSpec* times = stackalloc TimeSpec[2];
            times[0] = accessTime;
            times[1] = modificationTime;
            byte empty = 0;
            return Libc.UtimensAt(fd, &empty, times, Libc.AT_EMPTY_PATH | Libc.AT_SYMLINK_NOFOLLOW);
        }
        finally
        {
            _table.Release(nodeId);
        }
    }

    /// <summary>Sets a file's size: ftruncate on <paramref name="fd"/> when it is not -1, else truncate of the node via /proc/self/fd/N.</summary>
    public Errno Truncate(ulong nodeId, int fd, long size)
    {
        if (fd >= 0)
            return Libc.Ftruncate(fd, size);
        if (!_table.TryAcquire(nodeId, out int pathFd, out uint type))
            return Errno.ESTALE;
        try
        {
            if (type == Libc.S_IFDIR)
                return Errno.EISDIR;
            if (type != Libc.S_IFREG)
                return Errno.EINVAL;
            byte* proc = stackalloc byte[ProcPathSize];
            Libc.ProcFdPath(pathFd, new Span<byte>(proc, ProcPathSize));
            return Libc.Truncate(proc, size);
        }
        finally
        {
            _table.Release(nodeId);
        }
    }

    /// <summary>Stats a freshly opened O_PATH fd and enters it in the table (+1 lookup); closes the fd on failure.</summary>
    private Errno Register(int fd, out ulong nodeId, out ulong generation, out FileAttributes attr, ulong parent = 0, ReadOnlySpan<byte> name = default)
    {
        Errno e = Libc.StatxFd(fd, out Libc.Statx st);
        if (e != Errno.Success)
        {
            Libc.Close(fd);
            nodeId = 0;
            generation = 0;
            attr = default;
            return e;
        }
        nodeId = _table.Insert(fd, st, out generation);
        if (parent != 0 && !name.IsEmpty) _table.SetName(nodeId, parent, name);
        attr = Attributes(st);
        return Errno.Success;
    }

    /// <summary>
    /// The path of a node from the root ("/a/b"; "/" for the root): from the names recorded at lookup, create and rename,
    /// else from the kernel (/proc/self/fd of the node's O_PATH fd). ENOENT when the node has no name left (unlinked).
    /// </summary>
    public Errno GetPath(ulong nodeId, out string? path)
    {
        path = _table.PathOf(nodeId);
        if (path is not null) return Errno.Success;
        if (!_table.TryAcquire(nodeId, out int fd, out _)) return Errno.ESTALE;
        try
        {
            byte* proc = stackalloc byte[ProcPathSize];
            Libc.ProcFdPath(fd, new Span<byte>(proc, ProcPathSize));
            byte* target = stackalloc byte[Libc.PathMax];
            nint n = Libc.ReadLinkAt(Libc.AT_FDCWD, proc, target, Libc.PathMax, out Errno e);
            if (n < 0) return e;
            string full = System.Text.Encoding.UTF8.GetString(target, (int)n);
            if (full.EndsWith(" (deleted)", StringComparison.Ordinal)) return Errno.ENOENT;
            string root = _rootPath ??= RootPath();
            if (!full.StartsWith(root, StringComparison.Ordinal)) return Errno.EXDEV;
            path = full.Length == root.Length ? "/" : root == "/" ? full : full[root.Length..];
            return Errno.Success;
        }
        finally
        {
            _table.Release(nodeId);
        }
    }

    private string? _rootPath;

    private string RootPath()
    {
        byte* proc = stackalloc byte[ProcPathSize];
        Libc.ProcFdPath(_rootFd, new Span<byte>(proc, ProcPathSize));
        byte* target = stackalloc byte[Libc.PathMax];
        nint n = Libc.ReadLinkAt(Libc.AT_FDCWD, proc, target, Libc.PathMax, out _);
        return n <= 0 ? "/" : System.Text.Encoding.UTF8.GetString(target, (int)n);
    }

    /// <summary>The node an existing name in a directory stands for, if the table knows it (0 otherwise); no lookup reference is taken.</summary>
    private ulong NodeAt(int parentFd, byte* name)
    {
        if (Libc.StatxAt(parentFd, name, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, out Libc.Statx st) != Errno.Success) return 0;
        return _table.Find(Libc.MakeDev(st.DevMajor, st.DevMinor), st.Ino);
    }

    /// <summary>Lookup count of a node (tests).</summary>
    internal ulong LookupCount(ulong nodeId) => _table.LookupCount(nodeId);

    private static void RaiseFileLimit()
    {
        Libc.RLimit limit;
        if (Libc.GetRLimit(Libc.RLIMIT_NOFILE, &limit) == 0 && limit.Current < limit.Maximum)
        {
            limit.Current = limit.Maximum;
            Libc.SetRLimit(Libc.RLIMIT_NOFILE, &limit);
        }
    }

    /// <summary>Closes every node fd, the root's included. Must not race with running operations.</summary>
    public void Dispose() => _table.Dispose();
}
