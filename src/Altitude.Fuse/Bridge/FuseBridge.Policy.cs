// Recomputing the cache policy when instances attach or detach, and taking back from the kernel what it cached
// under the old policy (NOTIFY_INC_EPOCH for names, NOTIFY_INVAL_INODE for attributes, data and directory pages).
using Altitude.Fuse.Kernel;

namespace Altitude.Fuse.Bridge;

internal sealed partial class FuseBridge
{
    /// <summary>
    /// Volume.InstancesChanged: runs on the attaching thread; the notifications go out on the notifier thread. Serialised:
    /// two attaches racing must not leave the older policy in place, nor hide a change from the next comparison.
    /// </summary>
    internal void OnInstancesChanged(Volume volume)
    {
        lock (policyGate)
        {
            CachePolicy old = policy;
            CachePolicy now = CachePolicy.From(volume, options, old.PassthroughNegotiated, old.NamesExpirable);
            policy = now;
            // Names and attributes go when the kernel may no longer cache them, and whenever the filters that answer them
            // change: an entry cached before a stable NETWORK_QUERY_OPEN filter came is an answer it never gave.
            bool names = (now.MetadataVisible && !old.MetadataVisible) || CachePolicy.Differs(now.NameChain, old.NameChain);
            bool attributes = (now.EntryAttrTimeout == 0 && old.EntryAttrTimeout != 0) || CachePolicy.Differs(now.InformationChain, old.InformationChain);
            // Cached pages go when reads become visible, and whenever the READ filters change: a page filled through one
            // set of filters (a decrypting one that keeps the cache, say) is not what the next set would give.
            bool data = (now.ReadVisible && !old.ReadVisible) || CachePolicy.Differs(now.ReadChain, old.ReadChain);
            bool directories = now.DirectoryVisible && !old.DirectoryVisible;
            if (!names && !attributes && !data && !directories) return;   // Everything expires attributes in any case
            // A notification may wait for inode locks held by a request a reader serves: the notifier thread sends it.
            notifier?.EnqueueEverything(names, data || directories);
        }
    }

    /// <summary>Expires cached names and attributes (and cached pages) of every node the kernel may know (on the notifier thread).</summary>
    internal void Invalidate(bool names, bool pages)
    {
        FuseServer? s = server;
        if (s is null || !s.IsRunning) return;
        if (names && s.NotifyIncrementEpoch() != 0)
        {
            // Before 7.44 there is no epoch: attributes at least are dropped below; cached names live out their timeout.
        }
        long highest = Volatile.Read(ref highestNode);
        for (long node = (long)FuseFlags.ROOT_ID; node <= highest; node++)
            s.NotifyInvalidateInode((ulong)node, pages ? 0 : -1, 0);   // ENOENT for ids the kernel does not know: ignored
    }
}
