// The loopback's view of the volume's node table (Altitude.NodeTable, the one owner of node identity): each node's
// handle is an O_PATH fd, and a node's key is the backing inode's (st_dev, st_ino). Nothing is stored here.
using Altitude.FileSystem.Interop;

namespace Altitude.FileSystem;

internal readonly struct NodeFds
{
    private readonly NodeTable nodes;

    public NodeFds(NodeTable nodes) => this.nodes = nodes;

    public NodeTable Table => nodes;

    /// <summary>Creates the table with the root's O_PATH fd (owned by the table from now on).</summary>
    public static NodeTable CreateTable(int rootFd, in Libc.Statx root)
        => new(rootFd, KeyOf(root), root.Mode & Libc.S_IFMT, static fd => Libc.Close((int)fd));

    public static NodeKey KeyOf(in Libc.Statx st) => new(Libc.MakeDev(st.DevMajor, st.DevMinor), st.Ino);

    public int Count => nodes.Count;

    /// <summary>The node's O_PATH fd and file type, kept open until <see cref="Release"/>.</summary>
    public bool TryAcquire(ulong nodeId, out int fd, out uint fileType)
    {
        bool ok = nodes.TryAcquire(nodeId, out nint handle, out fileType);
        fd = (int)handle;
        return ok;
    }

    public void Release(ulong nodeId) => nodes.Release(nodeId);

    /// <summary>+1 lookup for the inode behind <paramref name="fd"/>; takes ownership of fd.</summary>
    public ulong Insert(int fd, in Libc.Statx st, out ulong generation) => nodes.Insert(fd, KeyOf(st), st.Mode & Libc.S_IFMT, out generation);

    public void AddLookup(ulong nodeId, out ulong generation) => nodes.AddLookup(nodeId, out generation);
    public void Forget(ulong nodeId, ulong count) => nodes.Forget(nodeId, count);
    public void SetName(ulong nodeId, ulong parent, ReadOnlySpan<byte> name) => nodes.SetName(nodeId, parent, name);
    public void ClearName(ulong nodeId, ulong parent, ReadOnlySpan<byte> name) => nodes.ClearName(nodeId, parent, name);
    public ulong Find(ulong dev, ulong ino) => nodes.Find(new NodeKey(dev, ino));
    public string? PathOf(ulong nodeId) => nodes.PathOf(nodeId);
    public ulong LookupCount(ulong nodeId) => nodes.LookupCount(nodeId);
    public void Dispose() => nodes.Dispose();
}
