// Keeping the kernel's caches true to changes it did not make. Two sources: filter-issued I/O (Volume.FilterIoChanged:
// the names and nodes it changed become INVAL_ENTRY, DELETE and INVAL_INODE, written by the KernelCacheNotifier
// thread), and writable passthrough opens (writes, also through mmap, reach the backing file directly: attributes of
// such a node go out with timeout 0, and what the kernel cached before the open is expired before the open is answered).
// docs/architecture.md, section 2.2.
using Altitude.Fuse.Interop;

namespace Altitude.Fuse.Bridge;

internal sealed partial class FuseBridge
{
    private KernelCacheNotifier? notifier;
    private readonly PassthroughWriters writers = new();
    private long openExpiryTimeouts;

    /// <summary>
    /// How long a writable passthrough open waits for the notifier to expire the node's cached attributes before its reply.
    /// Only a notification queued before it that the kernel holds up (a directory locked by a request in a filter) makes
    /// this wait at all; past it the open is answered anyway and the attributes may stay stale until its release.
    /// </summary>
    private static readonly TimeSpan OpenExpiryWait = TimeSpan.FromSeconds(2);

    internal KernelCacheNotifier? Notifier => notifier;

    /// <summary>Writable passthrough opens answered before their attribute expiry was written (diagnostics).</summary>
    internal long OpenExpiryTimeouts => Interlocked.Read(ref openExpiryTimeouts);

    private void StartNotifier() => notifier ??= new KernelCacheNotifier(WriteNotification);

    private void StopNotifier() => notifier?.Stop();

    /// <summary>Blocks until every notification queued so far was written (tests; see FuseVolume.WaitForCacheNotifications).</summary>
    internal bool WaitForNotifications(TimeSpan timeout) => notifier is null || notifier.WaitForIdle(timeout);

    /// <summary>Volume.FilterIoChanged: on the issuing thread, inside the operation; only queues.</summary>
    internal void OnFilterIoChanged(Volume volume, in FilterIoChange c)
    {
        KernelCacheNotifier? n = notifier;
        if (n is null) return;
        switch (c.Kind)
        {
            case FilterIoChangeKind.Name:
                n.EnqueueName(KernelCacheNotifier.Kind.Entry, c.DirectoryNodeId, c.Name, 0);
                break;
            case FilterIoChangeKind.NameDeleted:
                // DELETE rather than INVAL_ENTRY: open files of the node see it unlinked, a deleted directory is dead.
                n.EnqueueName(KernelCacheNotifier.Kind.Delete, c.DirectoryNodeId, c.Name, c.NodeId);
                if (c.NodeId != 0) n.EnqueueInode(c.NodeId, -1, 0);   // DELETE zeroes the link count; other links keep theirs
                break;
            case FilterIoChangeKind.Attributes:
                n.EnqueueInode(c.NodeId, -1, 0, c.DirectoryNodeId, c.Name);
                break;
            case FilterIoChangeKind.Data:
                n.EnqueueInode(c.NodeId, Math.Max(0, c.Offset), Math.Max(0, c.Length), c.DirectoryNodeId, c.Name);
                break;
            case FilterIoChangeKind.Everything:
                n.EnqueueEverything(names: true, pages: false);
                break;
        }
    }

    /// <summary>Writes one notification (on the notifier thread). Returns 0, or the error the kernel gave (ENOENT: not cached).</summary>
    internal int WriteNotification(in KernelCacheNotifier.Work w)
    {
        FuseServer? s = server;
        if (s is null || !s.IsRunning) return Libc.ENODEV;
        switch (w.Kind)
        {
            case KernelCacheNotifier.Kind.Everything:
                Invalidate(w.Names, w.Pages);
                return 0;
            case KernelCacheNotifier.Kind.Inode:
            {
                ulong node = w.Node != 0 ? w.Node : FindNode(w.Parent, w.Name);
                return node == 0 ? Libc.ENOENT : s.NotifyInvalidateInode(node, w.Offset, w.Length);
            }
            default:
            {
                if (!SplitLast(w.Name, out ReadOnlySpan<byte> directory, out ReadOnlySpan<byte> leaf)) return Libc.EINVAL;
                ulong parent = w.Parent != 0 && directory.IsEmpty ? w.Parent : FindNode(w.Parent, directory);
                if (parent == 0) return Libc.ENOENT;
                return w.Kind == KernelCacheNotifier.Kind.Delete ? s.NotifyDelete(parent, w.Node, leaf) : s.NotifyInvalidateEntry(parent, leaf);
            }
        }
    }

    /// <summary>
    /// The node of <paramref name="path"/> below <paramref name="start"/> (0: the volume root), or 0, looked up below
    /// every filter one component at a time. Only nodes the kernel holds can have cached state, and such a node is live in
    /// the volume's node table under the same id, so the lookup references taken here are given back at once.
    /// </summary>
    private ulong FindNode(ulong start, ReadOnlySpan<byte> path)
    {
        path = Trim(path);
        ulong current = start == 0 ? NodeTable.RootId : start;
        bool held = false;
        while (!path.IsEmpty)
        {
            int slash = path.IndexOf((byte)'/');
            NtStatus st = Volume.FileSystem.LookupNode(current, slash < 0 ? path : path[..slash], out ulong next, out _, out _);
            if (held) nodes.Forget(current, 1);
            if (!st.IsSuccess()) return 0;
            current = next;
            held = true;
            path = slash < 0 ? default : path[(slash + 1)..];
        }
        if (held) nodes.Forget(current, 1);
        return current;
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> path)
    {
        while (!path.IsEmpty && path[0] == (byte)'/') path = path[1..];
        while (!path.IsEmpty && path[^1] == (byte)'/') path = path[..^1];
        return path;
    }

    private static bool SplitLast(ReadOnlySpan<byte> path, out ReadOnlySpan<byte> directory, out ReadOnlySpan<byte> leaf)
    {
        path = Trim(path);
        int slash = path.LastIndexOf((byte)'/');
        directory = slash < 0 ? default : path[..slash];
        leaf = slash < 0 ? path : path[(slash + 1)..];
        return !leaf.IsEmpty;
    }

    // ---- writable passthrough opens ----

    /// <summary>The attribute timeout for a reply about <paramref name="node"/>: <paramref name="timeout"/>, or 0 while it has a writable passthrough open.</summary>
    private ulong AttrTimeoutFor(ulong node, ulong timeout) => timeout != 0 && writers.Contains(node) ? 0 : timeout;

    /// <summary>After a passthrough open was granted (FillOpen): a writable one makes the node's attributes uncacheable.</summary>
    private void NoteWriter(OpenHandle h)
    {
        if ((h.File.OpenFlags & OpenFlags.O_ACCMODE) == OpenFlags.O_RDONLY) return;
        h.FirstWriter = writers.Add(h.File.NodeId);
        h.CountedWriter = true;
    }

    /// <summary>
    /// Before an OPEN reply that granted a writable passthrough open: the kernel may hold the node's attributes from an
    /// earlier reply with a long timeout, and would serve them after stores through a mapping. Expire them first, from
    /// the notifier thread (this is a reader), and wait for it, so the caller's first stat after its writes asks again.
    /// Only the node's first writer: while one lasts, every reply about the node already had timeout 0. CREATE needs
    /// none of this: its entry reply carries fresh attributes with timeout 0.
    /// </summary>
    private void ExpireAttributesBeforeReply(OpenHandle h)
    {
        KernelCacheNotifier? n = notifier;
        if (!h.FirstWriter || n is null) return;
        long seq = n.EnqueueInode(h.File.NodeId, -1, 0);
        if (!n.WaitFor(seq, OpenExpiryWait)) Interlocked.Increment(ref openExpiryTimeouts);
    }

    /// <summary>At the release of an open (RELEASE, or an open abandoned before its reply).</summary>
    private void ReleaseWriter(OpenHandle h)
    {
        if (!h.CountedWriter) return;
        h.CountedWriter = h.FirstWriter = false;
        ulong node = h.File.NodeId;
        writers.Remove(node);
        // A reply computed just before the open was granted may have cached long-lived attributes meanwhile.
        notifier?.EnqueueInode(node, -1, 0);
    }
}
