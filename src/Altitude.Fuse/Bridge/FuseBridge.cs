// The bridge: turns each FUSE request into Filter Manager operations on a volume (docs/operations.md is the
// mapping) and encodes the reply from the final IoStatus and output parameters. One request may take several
// operations (RELEASE = CLEANUP + CLOSE); each may pend in a filter, in which case the rest continues on the thread
// that completes it. The cache policy (timeouts, passthrough, directory caching) follows what the attached
// instances registered and is recomputed when they change.
using Altitude.Fuse.Interop;
using Altitude.Fuse.Kernel;

namespace Altitude.Fuse.Bridge;

/// <summary>
/// IRawFileSystem over a volume. It reaches the file system only through the volume: operations through the stack,
/// node identity through <see cref="Volume.Nodes"/>, and the node services of <see cref="IBackingFileSystem"/>.
/// </summary>
internal sealed partial class FuseBridge : IRawFileSystem
{
    private readonly NodeTable nodes;
    private readonly IBackingFileSystem fileSystem;
    private readonly FuseVolumeOptions options;
    private readonly HandleTable handles;
    private readonly Dictionary<ulong, RequestState> pending = new();
    private readonly InterruptLog interrupts = new();
    private PassthroughTable? passthrough;
    private FuseServer? server;
    private volatile CachePolicy policy;
    private readonly object policyGate = new();   // OnInstancesChanged and INIT: one policy computation at a time
    private long highestNode = 1;

    public FuseBridge(Volume volume, FuseVolumeOptions options)
    {
        Volume = volume;
        nodes = volume.Nodes ?? throw new ArgumentException("A FUSE volume needs a file system with node identity (IBackingFileSystem.Nodes).", nameof(volume));
        fileSystem = volume.FileSystem;
        this.options = options;
        handles = new HandleTable(volume);
        policy = CachePolicy.From(volume, options, passthroughNegotiated: false, namesExpirable: false);
    }

    public Volume Volume { get; }
    public CachePolicy Policy => policy;
    public int OpenHandles => handles.OpenCount;
    internal PassthroughTable? Passthrough => passthrough;

    internal void Attach(FuseServer fuseServer)
    {
        server = fuseServer;
        passthrough = new PassthroughTable(fuseServer);
        StartNotifier();
    }

    public ulong Init(FuseConnection connection, ulong offered)
    {
        ulong want = FuseInitFlags.ASYNC_READ | FuseInitFlags.ATOMIC_O_TRUNC | FuseInitFlags.BIG_WRITES | FuseInitFlags.MAX_PAGES
            | FuseInitFlags.PARALLEL_DIROPS | PosixParity.InitFlags;
        want |= options.ReadDirPlus switch
        {
            ReadDirPlusMode.Always => FuseInitFlags.DO_READDIRPLUS,
            ReadDirPlusMode.Never => 0,
            _ => FuseInitFlags.DO_READDIRPLUS | FuseInitFlags.READDIRPLUS_AUTO,
        };
        // Forwarded locks block a reader per waiting SETLKW; by default the kernel keeps locks itself (exact POSIX
        // and flock semantics for every process using the mount) and filters do not see LOCK_CONTROL.
        if (options.ForwardLocks) want |= FuseInitFlags.POSIX_LOCKS | FuseInitFlags.FLOCK_LOCKS;
        // Passthrough needs CAP_SYS_ADMIN and 7.40; it excludes WRITEBACK_CACHE, which Altitude never asks for
        // (filters must see each write). Not with forwarded locks: locks live on the loopback's fd of each open, and the
        // kernel keeps the first open's fd as the node's backing file for as long as any passthrough open of the node
        // lasts, so that open's locks would outlive its close (a waiter would never get the lock).
        if (options.Passthrough && !options.ForwardLocks && Libc.GetEuid() == 0 && connection.KernelMinor >= 40) want |= FuseInitFlags.PASSTHROUGH;
        lock (policyGate) policy = CachePolicy.From(Volume, options, (want & offered & FuseInitFlags.PASSTHROUGH) != 0, connection.KernelMinor >= 44);
        return want;
    }

    public void Destroy() => StopNotifier();

    public void InitializeRequest(FuseRequest r) => r.State ??= new RequestState(this);

    // ---- running operations ----

    private RequestState StateOf(FuseRequest r)
    {
        var s = r.State as RequestState;
        if (s is null) { s = new RequestState(this); r.State = s; }
        s.Request = r;
        s.Opcode = r.Opcode;
        s.Unique = r.Unique;
        s.Step = 0;
        s.Handle = null;
        s.Node = 0;
        ref readonly fuse_in_header h = ref r.Header;
        // pid 0: the kernel acts on its own (release, writeback, readahead); the requestor is unknown, not "process 0".
        // Otherwise only the thread is recorded: its process, image and cgroup are looked up if a filter asks (RequestState).
        s.Requestor = h.pid == 0 ? Requestor.Unknown : Requestor.OfThread((int)h.pid, h.uid, h.gid, s, r.Answers);
        return s;
    }

    /// <summary>Prepares the next operation of a request on its reused callback data.</summary>
    private static CallbackData Begin(RequestState s, MajorFunction major, FileObject? target, byte minor = 0)
    {
        CallbackData d = s.Data;
        d.Reuse();
        d.Iopb.MajorFunction = major;
        d.Iopb.MinorFunction = minor;
        d.Iopb.TargetFileObject = target;
        d.Iopb.TargetInstance = null;
        d.Requestor = s.Requestor;
        return d;
    }

    /// <summary>Sends the prepared operation(s) down until the request is answered or an operation pends.</summary>
    private void Run(RequestState s)
    {
        while (true)
        {
            ulong unique = s.Unique;
            // Only an operation some filter sees can pend; only those are registered for INTERRUPT. The activation the
            // operation is about to get is what an INTERRUPT cancels (PendedOperation.Next), so a cancel that arrives
            // while it starts, or before it was registered (interrupts.Take), is not lost.
            bool track = Volume.HasCallbacksFor(s.Data.Iopb.MajorFunction);
            if (track)
            {
                bool interrupted;
                lock (pending)
                {
                    s.Operation = s.Data.PendedOperation.Next;
                    pending[unique] = s;
                    interrupted = interrupts.Take(unique);
                }
                if (interrupted) s.Operation.Cancel();   // remembered: IsCanceled is set when the operation starts
            }
            // Marked before it can be handed off: once StartOperation returns false, another thread may already have
            // replied and recycled the request object, so it must not be touched from here.
            FuseRequest request = s.Request;
            request.MarkHandedOff();
            if (!Volume.StartOperation(s.Data, s)) return;   // Resume continues it, on the thread that completes it
            request.ClearHandedOff();
            if (track) lock (pending) pending.Remove(unique);
            if (!Complete(s)) return;
        }
    }

    internal void Resume(RequestState s)
    {
        lock (pending) pending.Remove(s.Unique);
        if (Complete(s)) Run(s);
    }

    public void Interrupt(ulong unique)
    {
        // The filter that pended the operation completes it (usually with STATUS_CANCELLED → EINTR) from its cancel
        // routine, which runs here, outside the lock the readers share. An INTERRUPT can be read before its request was
        // registered (another reader has it): it is remembered for a while. Operations in the loopback itself (a
        // blocking SETLKW) are not interruptible.
        PendedOperation target;
        lock (pending)
        {
            if (!pending.TryGetValue(unique, out RequestState? s)) { interrupts.Remember(unique); return; }
            target = s.Operation;
        }
        target.Cancel();
    }

    /// <summary>After an operation: reply (false) or prepare the next operation of the request (true).</summary>
    private bool Complete(RequestState s) => s.Opcode switch
    {
        FuseOpcode.LOOKUP => CompleteLookup(s),
        FuseOpcode.GETATTR => CompleteGetAttr(s),
        FuseOpcode.SETATTR => CompleteSetAttr(s),
        FuseOpcode.READLINK => CompleteReadLink(s),
        FuseOpcode.SYMLINK or FuseOpcode.MKNOD or FuseOpcode.MKDIR => CompleteMakeNode(s),
        FuseOpcode.LINK => CompleteLink(s),
        FuseOpcode.OPEN or FuseOpcode.OPENDIR => CompleteOpen(s),
        FuseOpcode.CREATE => CompleteCreate(s),
        FuseOpcode.READ => CompleteRead(s),
        FuseOpcode.WRITE => CompleteWrite(s),
        FuseOpcode.STATFS => CompleteStatFs(s),
        FuseOpcode.RELEASE or FuseOpcode.RELEASEDIR => CompleteRelease(s),
        FuseOpcode.GETXATTR or FuseOpcode.LISTXATTR => CompleteGetXattr(s),
        FuseOpcode.READDIR or FuseOpcode.READDIRPLUS => CompleteReadDir(s),
        FuseOpcode.GETLK => CompleteGetLk(s),
        _ => ReplyStatus(s),
    };

    /// <summary>Replies with the errno of the final status (an empty success reply for 0).</summary>
    private static bool ReplyStatus(RequestState s)
    {
        s.Request.ReplyError(ErrnoOf(s));
        return false;
    }

    private static int ErrnoOf(RequestState s) => FuseErrno(s.Data.IoStatus.Status);

    /// <summary>
    /// The errno a FUSE reply carries for a status. The kernel takes ENOSYS on FSYNC, FLUSH, the xattr opcodes,
    /// FALLOCATE, CREATE and others as "never ask again, for the whole mount", so a status that maps to ENOSYS
    /// (STATUS_NOT_IMPLEMENTED, STATUS_INVALID_DEVICE_REQUEST, from a filter or from the loopback) goes out as EOPNOTSUPP:
    /// this call failed, the next one is asked again. ENOSYS leaves only for opcodes Altitude does not implement
    /// (OpcodeTable; docs/operations.md, "ENOSYS").
    /// </summary>
    internal static int FuseErrno(NtStatus status)
    {
        int errno = StatusMapping.ToErrno(status);
        return errno == Libc.ENOSYS ? Libc.EOPNOTSUPP : errno;
    }

    /// <summary>An entry reply for a node whose lookup reference the kernel now holds; the reference is given back if the reply fails.</summary>
    private void ReplyEntry(RequestState s, ulong node)
    {
        FuseRequest r = s.Request;
        ref fuse_entry_out e = ref r.ReplyStruct<fuse_entry_out>();
        if (!FillEntry(ref e, node))
        {
            nodes.Forget(node, 1);
            r.ReplyError(Libc.EIO);
            return;
        }
        // A lookup re-issued as an open (a query-open filter refused the fast path): CREATE filters answered it, and they
        // declared nothing stable, so the kernel must ask again next time.
        if (s.Opcode == FuseOpcode.LOOKUP) e.entry_valid = 0;
        if (r.Reply(sizeof_entry_out) != 0) nodes.Forget(node, 1);
    }

    private const int sizeof_entry_out = 128, sizeof_open_out = 16;

    /// <summary>Fills an entry for a node from below the stack (generation and current attributes).</summary>
    private bool FillEntry(ref fuse_entry_out e, ulong node)
    {
        if (!fileSystem.QueryNodeAttributes(node, out FileStatInformation attr).IsSuccess()) return false;
        NoteNode(node);
        CachePolicy p = policy;
        e.nodeid = node;
        e.generation = nodes.Generation(node);
        FuseAttributes.SetTimeouts(ref e, p.EntryTimeout, AttrTimeoutFor(node, p.EntryAttrTimeout));
        FuseAttributes.Fill(ref e.attr, in attr);
        return true;
    }

    private void NoteNode(ulong node)
    {
        long n = (long)node;
        long seen = Volatile.Read(ref highestNode);
        while (n > seen)
        {
            long prior = Interlocked.CompareExchange(ref highestNode, n, seen);
            if (prior == seen) break;
            seen = prior;
        }
    }

    public void Forget(ulong nodeId, ulong lookups) => nodes.Forget(nodeId, lookups);

    /// <summary>The transient file object of a request, standing for <paramref name="node"/>.</summary>
    private static FileObject TransientNode(RequestState s, ulong node)
    {
        FileObject fo = RequestState.Reset(s.Transient, FileObjectFlags.Transient);
        fo.NodeId = node;
        return fo;
    }

    /// <summary>The transient file object of a request, standing for a name in a directory.</summary>
    private static FileObject TransientName(RequestState s, ulong parent, ReadOnlyMemory<byte> name)
    {
        FileObject fo = RequestState.Reset(s.Transient, FileObjectFlags.Transient);
        fo.ParentNodeId = parent;
        fo.FileName = name;
        return fo;
    }
}
