// The FUSE protocol server: /dev/fuse, the mount, INIT, and the reader threads. Each reader reads one request, runs
// its handler inline (go-fuse measured inline handling about 2x faster than a hand-off) and replies on the fd it read
// from. Filters may block in their callbacks (a scanner waiting for its user-mode service), so readers are added on
// demand: when a reader takes a request and none is left idle, the supervisor starts another, up to MaxReaders (go-fuse's
// and libfuse's rule: always keep one reader free). Extra readers read from non-blocking clones with poll and retire
// after ReaderIdleTimeout without work. A request whose operation pends keeps its object; the reader takes another from
// the pool, so the steady state allocates nothing (docs/architecture.md, "Readers and requests in flight").
using System.Runtime.CompilerServices;
using Altitude.Fuse.Interop;
using Altitude.Fuse.Kernel;
using Altitude.Fuse.Uring;

namespace Altitude.Fuse;

/// <summary>One FUSE session over one mount point.</summary>
public sealed unsafe class FuseServer : IDisposable
{
    /// <summary>Room for a reply payload other than READ data: READDIR(PLUS) pages, xattr values (64 KiB max), readlink.</summary>
    public const int MaxReplyPayload = 128 * 1024;

    private readonly IRawFileSystem fileSystem;
    private readonly FuseServerOptions options;
    private readonly Stack<FuseRequest> pool = new();
    private readonly List<FuseDevice> devices = new();
    private readonly Stack<FuseDevice> spareDevices = new();
    private readonly List<Reader> readers = new();
    private readonly List<UringReader> uringReaders = new();
    private UringQueue[] uringQueues = [];
    private readonly ManualResetEventSlim initDone = new(false);
    private readonly ManualResetEventSlim stopped = new(false);
    private readonly AutoResetEvent grow = new(false);
    private Thread? supervisor;
    private Exception? initFault;
    private int runningReaders;
    private int idleReaders;
    private int requestObjects;
    private long retiredAllocated;
    private int retiredServed;
    private int peakReaders;
    private int destroyed;
    private int? connectionId;

    /// <summary>One reader thread and what it reads from.</summary>
    private sealed class Reader
    {
        public Reader(FuseDevice device, bool extra) { Device = device; Extra = extra; }
        public readonly FuseDevice Device;
        public readonly bool Extra;
        public Thread? Thread;
        public long Allocated;
        public bool Served;
    }

    public FuseServer(IRawFileSystem fileSystem, FuseServerOptions? options = null)
    {
        this.fileSystem = fileSystem;
        this.options = options ?? new FuseServerOptions();
        if (this.options.MinReaders < 1 || this.options.MaxReaders < this.options.MinReaders)
            throw new ArgumentException($"FuseServerOptions: MinReaders ({this.options.MinReaders}) must be at least 1 and at most MaxReaders ({this.options.MaxReaders})");
        if (this.options.MaxRequests < this.options.MaxReaders)
            throw new ArgumentException($"FuseServerOptions: MaxRequests ({this.options.MaxRequests}) must be at least MaxReaders ({this.options.MaxReaders})");
        Buffers = new BufferPool(this.options.MaxWrite, this.options.MaxReaders);
    }

    public FuseConnection Connection { get; } = new();
    public string? MountPoint { get; private set; }
    public bool IsRunning => MountPoint is not null && !stopped.IsSet;
    public FuseServerOptions Options => options;

    /// <summary>How requests arrive: <see cref="FuseTransport.IoUring"/> once the kernel accepted io_uring at INIT, else /dev/fuse.</summary>
    public FuseTransport Transport { get; private set; } = FuseTransport.DevFuse;

    /// <summary>io_uring queues (one per possible CPU) when <see cref="Transport"/> is io_uring; else 0.</summary>
    public int UringQueueCount => uringQueues.Length;

    /// <summary>io_uring queue threads alive now (each with one entry).</summary>
    public int UringReaderCount { get { lock (uringReaders) return uringReaders.Count; } }

    /// <summary>io_uring entries the kernel holds for each queue (registered since the mount), by queue index.</summary>
    public int[] UringEntriesRegistered()
    {
        UringQueue[] q = uringQueues;
        var counts = new int[q.Length];
        for (int i = 0; i < q.Length; i++) counts[i] = Volatile.Read(ref q[i].Registered);
        return counts;
    }

    /// <summary>Requests that arrived through io_uring entries since the mount.</summary>
    public long UringRequests => Interlocked.Read(ref uringRequests);

    private long uringRequests;

    internal BufferPool Buffers { get; }

    /// <summary>Raised for an exception a handler let through (the request was answered EIO unless it was already answered or handed off).</summary>
    public event Action<Exception>? HandlerFault;

    /// <summary>The mount's read-ahead window in KiB as the kernel reports it after <see cref="FuseServerOptions.ReadAheadKb"/> was applied; null when it was not (not root, 0, or no bdi).</summary>
    public int? ReadAheadKb { get; private set; }

    /// <summary>The session's first fd (passthrough ioctls and notifications go there).</summary>
    public FuseDevice Device => devices[0];

    /// <summary>Reader threads alive now.</summary>
    public int ReaderCount { get { lock (readers) return readers.Count; } }

    /// <summary>The most reader threads alive at once since the mount.</summary>
    public int PeakReaderCount => Volatile.Read(ref peakReaders);

    /// <summary>Readers waiting for a request now.</summary>
    public int IdleReaders => Volatile.Read(ref idleReaders);

    /// <summary>Request objects alive: one per reader, plus one per request in flight, plus idle pooled ones.</summary>
    public int RequestObjects => Volatile.Read(ref requestObjects);

    /// <summary>
    /// Mounts at <paramref name="mountPoint"/> and serves it: opens /dev/fuse, mounts, answers INIT on the first reader,
    /// then starts the others on cloned fds. A dead mount left there by a crashed server is detached first.
    /// </summary>
    public void Mount(string mountPoint, string source = "altitude")
    {
        if (MountPoint is not null) throw new InvalidOperationException("already mounted");
        FuseMount.RecoverStaleMount(mountPoint);
        FuseDevice first = FuseMount.OpenAndMount(mountPoint, source, options);
        devices.Add(first);
        MountPoint = mountPoint;
        connectionId = FuseMount.ConnectionId(mountPoint);
        StartReader(new Reader(first, extra: false));
        if (!initDone.Wait(TimeSpan.FromSeconds(30)) || initFault is not null)
        {
            Unmount();
            throw initFault is null ? new IOException("the kernel sent no INIT within 30 s") : new IOException("INIT failed: " + initFault.Message, initFault);
        }
        // After INIT: the kernel sets the window from INIT's max_readahead (at most its own 128 KiB) when it reads the reply.
        if (options.ReadAheadKb > 0 && connectionId is int id && FuseMount.IsPrivileged)
            ReadAheadKb = FuseMount.SetReadAhead(id, options.ReadAheadKb);
        for (int i = 1; i < options.MinReaders; i++)
        {
            // A clone has its own processing list (less contention on one fd); without it, readers share the first fd.
            FuseDevice device = first.Clone() ?? first;
            if (!ReferenceEquals(device, first)) lock (devices) devices.Add(device);
            StartReader(new Reader(device, extra: false));
        }
        supervisor = new Thread(Supervise) { IsBackground = true, Name = "fuse-supervisor" };
        supervisor.Start();
    }

    private int readersStarted;

    /// <summary>Reader threads started since the mount (a new reader's first requests warm its thread-local buffers).</summary>
    public int ReadersStarted => Volatile.Read(ref readersStarted);

    private void StartReader(Reader reader)
    {
        Interlocked.Increment(ref readersStarted);
        Interlocked.Increment(ref runningReaders);
        reader.Thread = new Thread(() => ReaderLoop(reader)) { IsBackground = true, Name = reader.Extra ? "fuse-reader-extra" : "fuse-reader" };
        lock (readers)
        {
            readers.Add(reader);
            if (readers.Count > peakReaders) Volatile.Write(ref peakReaders, readers.Count);
        }
        reader.Thread.Start();
    }

    /// <summary>Starts extra readers while none is idle (the readers only signal: starting a thread allocates).</summary>
    private void Supervise()
    {
        while (!stopped.IsSet)
        {
            grow.WaitOne();
            foreach (UringQueue q in uringQueues)
                while (IsRunning && Volatile.Read(ref q.Idle) == 0 && Volatile.Read(ref q.Readers) < options.MaxReaders)
                    StartUringReader(q);
            while (IsRunning && Volatile.Read(ref idleReaders) == 0 && ReaderCount < options.MaxReaders)
            {
                FuseDevice? device;
                lock (spareDevices) device = spareDevices.Count > 0 ? spareDevices.Pop() : null;
                device ??= Device.Clone(nonBlocking: true);
                if (device is null) break;   // the kernel refused a clone: the readers there are all there will be
                lock (devices) if (!devices.Contains(device)) devices.Add(device);
                Interlocked.Increment(ref idleReaders);   // it starts idle: counted now, so this loop starts one at a time
                StartReader(new Reader(device, extra: true));
            }
        }
    }

    /// <summary>
    /// Readers, running or ended, that have handled a request (tests: a reader's first requests warm what is its own,
    /// which is not the steady state).
    /// </summary>
    public int ReadersServed
    {
        get
        {
            lock (readers)
            {
                int served = retiredServed;
                foreach (Reader r in readers) if (Volatile.Read(ref r.Served)) served++;
                lock (uringReaders) foreach (UringReader u in uringReaders) if (Volatile.Read(ref u.Served)) served++;
                return served;
            }
        }
    }

    /// <summary>Bytes the readers allocated while handling requests (the handlers, the filters, the replies), since the mount.</summary>
    public long ReaderAllocatedBytes
    {
        get
        {
            lock (readers)
            {
                long total = retiredAllocated;
                foreach (Reader r in readers) total += Volatile.Read(ref r.Allocated);
                lock (uringReaders) foreach (UringReader u in uringReaders) total += Volatile.Read(ref u.Allocated);
                return total;
            }
        }
    }

    private void ReaderLoop(Reader reader)
    {
        FuseDevice device = reader.Device;
        FuseRequest request = Rent(device);
        AlignedBuffer? landing = Buffers.Large.Rent();
        bool counted = reader.Extra;   // the supervisor counted an extra reader idle already
        try
        {
            while (true)
            {
                if (!counted) Interlocked.Increment(ref idleReaders);
                counted = true;
                int n = Read(reader, request, landing);
                if (n == int.MinValue) continue;   // EAGAIN or a poll timeout that did not retire: still idle
                counted = false;
                int idleNow = Interlocked.Decrement(ref idleReaders);
                if (n == -1) break;                // the session is over, or the extra reader retired
                if (idleNow == 0 && n > 0) grow.Set();   // the last idle reader took a request
                if (n < FuseRequest.HeaderSize) continue;
                request.Device = device;
                request.Prepare(n, landing);
                if (request.TookLanding) landing = null;
                request.References = 2;
                long before = PoolGrowth.SteadyStateBytes;
                Dispatch(request);
                // What handling the request allocated (a thread-local counter read, a few ns): how the zero-allocation
                // claim for the request path is checked (ReaderAllocatedBytes, Altitude.Fuse.Tests). Growing the pools
                // (a new request object or buffer after a burst) is not the request path and is not counted.
                reader.Allocated += PoolGrowth.SteadyStateBytes - before;
                reader.Served = true;
                if (Interlocked.Decrement(ref request.References) != 0) request = Rent(device);   // still in flight
                else
                {
                    landing ??= request.TakeBackLanding();
                    request.ResetOutput();
                }
                landing ??= Buffers.Large.Rent();
            }
        }
        finally
        {
            if (counted) Interlocked.Decrement(ref idleReaders);
            if (landing is not null) Buffers.Large.Return(landing);
            Recycle(request);
            lock (readers)
            {
                readers.Remove(reader);
                retiredAllocated += reader.Allocated;
                if (reader.Served) retiredServed++;
            }
            if (reader.Extra && IsRunning) lock (spareDevices) spareDevices.Push(reader.Device);
            if (Interlocked.Decrement(ref runningReaders) == 0) Stop();
        }
    }

    /// <summary>
    /// Reads one request into the request's small buffer and on into the landing buffer. Returns its length; -1 when the
    /// reader must stop (ENODEV: the session is over; or an extra reader idle past the timeout while enough remain);
    /// int.MinValue to wait again; 0 for a request the kernel withdrew (ENOENT: interrupted before it was read).
    /// </summary>
    private int Read(Reader reader, FuseRequest request, AlignedBuffer landing)
    {
        FuseDevice device = reader.Device;
        if (device.NonBlocking && !device.WaitReadable(options.ReaderIdleTimeoutMilliseconds))
        {
            // Retire when idle too long, but only while another reader is idle too: the count of readers includes those
            // blocked in filters, and the mount must never be left without one that reads.
            lock (readers)
                if (readers.Count > options.MinReaders && Volatile.Read(ref idleReaders) > 1) return -1;
            return int.MinValue;
        }
        Libc.IoVec* iov = stackalloc Libc.IoVec[2];
        iov[0].Base = request.SmallInputStart;
        iov[0].Length = FuseRequest.SmallInputCapacity;
        iov[1].Base = landing.Pointer + FuseRequest.ReadOffset + FuseRequest.SmallInputCapacity;
        iov[1].Length = (nuint)(landing.Length - FuseRequest.ReadOffset - FuseRequest.SmallInputCapacity);
        int n = device.ReadV(iov, 2);
        if (n >= 0) return n;
        if (-n == Libc.EAGAIN) return int.MinValue;   // another reader took it
        if (-n == Libc.ENOENT) return 0;              // the request was interrupted before we read it
        return -1;                                    // ENODEV after unmount or abort: the session is over
    }

    internal void Dispatch(FuseRequest r)
    {
        uint op = r.Header.opcode;
        if (op == (uint)FuseOpcode.INIT) { Init(r); return; }
        if (op == (uint)FuseOpcode.DESTROY) { r.ReplyError(0); return; }
        OpcodeTable.Row row = op < (uint)OpcodeTable.Rows.Length ? OpcodeTable.Rows[op] : default;
        if (row.Name is null || row.Handler is null)
        {
            // Deliberately unimplemented opcodes (OpcodeTable, docs/operations.md "ENOSYS") and unknown ones.
            if (row.NoReply) r.Drop(); else r.ReplyError(Libc.ENOSYS);
            return;
        }
        if (!OpcodeTable.Validate(in row, r))
        {
            if (row.NoReply) r.Drop(); else r.ReplyError(Libc.EINVAL);
            return;
        }
        try
        {
            row.Handler(fileSystem, r);
        }
        catch (Exception e)
        {
            HandlerFault?.Invoke(e);
            // Answer EIO rather than hang the caller, unless the request was answered already or its operation was handed
            // to another thread (which answers it, on this request object: a reply from here would be a second one).
            if (!row.NoReply && !r.IsAnswered && !r.IsHandedOff) r.ReplyError(Libc.EIO);
        }
        if (row.NoReply) r.Drop();
    }

    /// <summary>Reports an exception a handler let through on a thread of its own (HandlerFault).</summary>
    internal void ReportFault(Exception e) => HandlerFault?.Invoke(e);

    /// <summary>INIT, guarded like every other request: a file system that throws fails the mount with its exception.</summary>
    private void Init(FuseRequest r)
    {
        try
        {
            HandleInit(r);
        }
        catch (Exception e)
        {
            HandlerFault?.Invoke(e);
            initFault = e;
            if (!r.IsAnswered) r.ReplyError(Libc.EIO);
            initDone.Set();
        }
    }

    private void HandleInit(FuseRequest r)
    {
        ref fuse_init_in i = ref r.In<fuse_init_in>();
        ref fuse_init_out o = ref r.ReplyStruct<fuse_init_out>();
        o.major = FuseFlags.KERNEL_VERSION;
        if (i.major != FuseFlags.KERNEL_VERSION)
        {
            // A newer major: answer ours and wait for the kernel to retry with 7.x. An older one cannot be served.
            if (i.major > FuseFlags.KERNEL_VERSION) r.Reply(8); else r.ReplyError(71 /* EPROTO */);
            return;
        }
        ulong offered = i.flags;
        if ((offered & FuseInitFlags.INIT_EXT) != 0) offered |= (ulong)i.flags2 << 32;
        Connection.KernelMinor = i.minor;
        Connection.Minor = Math.Min(i.minor, FuseFlags.KERNEL_MINOR_VERSION);
        Connection.Offered = offered;
        Connection.MaxReadahead = i.max_readahead;
        Connection.MaxWrite = (uint)options.MaxWrite;
        ulong wanted = fileSystem.Init(Connection, offered) & offered & ~FuseInitFlags.OVER_IO_URING;
        wanted |= NegotiateUring(offered);
        Connection.Flags = wanted;
        o = default;
        o.major = FuseFlags.KERNEL_VERSION;
        o.minor = Connection.Minor;
        o.max_readahead = i.max_readahead;
        o.flags = (uint)wanted | ((wanted >> 32) != 0 ? (uint)FuseInitFlags.INIT_EXT : 0);
        o.flags2 = (uint)(wanted >> 32);
        o.max_background = options.MaxBackground;
        o.congestion_threshold = (ushort)(options.MaxBackground * 3 / 4);
        o.max_write = (uint)options.MaxWrite;
        o.time_gran = 1;
        o.max_pages = (ushort)((options.MaxWrite + 4095) / 4096);
        o.max_stack_depth = (wanted & FuseInitFlags.PASSTHROUGH) != 0 ? 1u : 0u;
        bool uring = (wanted & FuseInitFlags.OVER_IO_URING) != 0;
        // Kernels before 7.23 know only the 24-byte reply.
        r.Reply(i.minor < 23 ? 24 : sizeof(fuse_init_out));
        // The kernel holds every request until each queue has an entry, so the queues start now, before the mount returns.
        if (uring) StartUring();
        initDone.Set();
    }

    /// <summary>
    /// Whether to ask for FUSE over io_uring: the transport allows it, the kernel offered it (enable_uring), and this
    /// process may create rings. Once asked, the kernel waits for the queues; so a ring is made here first, on trial.
    /// </summary>
    private ulong NegotiateUring(ulong offered)
    {
        if (options.Transport == FuseTransport.DevFuse) return 0;
        string? why = null;
        if ((offered & FuseInitFlags.OVER_IO_URING) == 0)
            why = "the kernel did not offer FUSE_OVER_IO_URING (root enables it: echo 1 > /sys/module/fuse/parameters/enable_uring)";
        else
        {
            using IoUring? trial = IoUring.Create(1, out int errno);
            if (trial is null) why = $"io_uring_setup failed: errno {errno} (see /proc/sys/kernel/io_uring_disabled)";
        }
        if (why is null) return FuseInitFlags.OVER_IO_URING;
        if (options.Transport == FuseTransport.IoUring) throw new IOException("FUSE over io_uring was required, but " + why);
        return 0;
    }

    private void StartUring()
    {
        int queues = UringQueue.PossibleCpus();
        var q = new UringQueue[queues];
        for (int i = 0; i < queues; i++) q[i] = new UringQueue(i);
        uringQueues = q;
        Transport = FuseTransport.IoUring;
        foreach (UringQueue queue in q) StartUringReader(queue);
    }

    /// <summary>The bytes each entry's payload buffer holds: at least what the kernel requires (max_write, max_pages) and any reply.</summary>
    private int UringPayloadSize => Math.Max(Math.Max(8192, (options.MaxWrite + 4095) / 4096 * 4096), MaxReplyPayload + 4096);

    private void StartUringReader(UringQueue queue)
    {
        var reader = new UringReader(this, queue, UringPayloadSize);
        Interlocked.Increment(ref queue.Readers);
        Interlocked.Increment(ref queue.Idle);   // it starts idle: counted now, so the supervisor starts one at a time
        Interlocked.Increment(ref readersStarted);
        Interlocked.Increment(ref runningReaders);
        reader.Thread = new Thread(() => UringLoop(reader)) { IsBackground = true, Name = "fuse-uring-" + queue.Id };
        lock (uringReaders) uringReaders.Add(reader);
        reader.Thread.Start();
    }

    private void UringLoop(UringReader reader)
    {
        try { reader.Run(); }
        catch (Exception e) { ReportFault(e); }
        finally
        {
            lock (uringReaders)
            {
                uringReaders.Remove(reader);
                retiredAllocated += reader.Allocated;
                if (reader.Served) retiredServed++;
            }
            Interlocked.Decrement(ref reader.Queue.Readers);
            reader.Free();
            if (Interlocked.Decrement(ref runningReaders) == 0) Stop();
        }
    }

    /// <summary>A uring thread took the last waiting entry of its queue: the supervisor adds one.</summary>
    internal void UringQueueBusy() => grow.Set();

    /// <summary>A request object for a uring thread (replies are staged in its entry).</summary>
    internal FuseRequest RentForUring(UringReader reader)
    {
        FuseRequest r = Rent(Device);
        r.Uring = reader;
        return r;
    }

    internal void CountUringRequest() => Interlocked.Increment(ref uringRequests);

    /// <summary>
    /// Tests only: a request object holding <paramref name="bytes"/> (a header and its input, at most the small buffer)
    /// as if a reader had read it; its reply goes to the session's first fd, where the kernel drops an unknown unique.
    /// </summary>
    internal FuseRequest RequestForTest(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > FuseRequest.SmallInputCapacity) throw new ArgumentException("too large for a test request", nameof(bytes));
        FuseRequest r = Rent(Device);
        bytes.CopyTo(new Span<byte>(r.SmallInputStart, bytes.Length));
        r.Prepare(bytes.Length, null!);
        r.References = 1;   // the reply's only: nobody else holds it
        return r;
    }

    /// <summary>A request object: from the pool, or a new one; past MaxRequests, waits until one is recycled.</summary>
    private FuseRequest Rent(FuseDevice device)
    {
        FuseRequest? r = null;
        lock (pool)
        {
            while (pool.Count == 0 && requestObjects >= options.MaxRequests && !stopped.IsSet) Monitor.Wait(pool, 1000);
            if (pool.Count > 0) r = pool.Pop();
            else requestObjects++;
        }
        if (r is null)
        {
            r = new FuseRequest(this);
            fileSystem.InitializeRequest(r);   // its per-request state, made once, outside the request path
        }
        r.Device = device;
        return r;
    }

    internal void Recycle(FuseRequest r)
    {
        r.ReturnBuffers();
        lock (pool)
        {
            Monitor.Pulse(pool);
            if (pool.Count < options.MaxIdleRequests && !stopped.IsSet) { pool.Push(r); return; }
            requestObjects--;
        }
        r.Free();   // a burst is over: keep only what the readers need
        if (Interlocked.Increment(ref freedSinceTrim) % 256 == 0) TrimNativeHeap();
    }

    private int freedSinceTrim;
    private static bool noMallocTrim;

    /// <summary>After every 256 request objects freed: return the native heap's free pages (glibc only; elsewhere nothing).</summary>
    private static void TrimNativeHeap()
    {
        if (noMallocTrim) return;
        try { Libc.MallocTrim(0); }
        catch (EntryPointNotFoundException) { noMallocTrim = true; }
    }

    // ---- notifications (any thread but a reader's: they may wait for inode locks) ----

    /// <summary>NOTIFY_INVAL_INODE: drops cached attributes, and data in [off, off+len) (len 0 = all; off -1 = attributes only).</summary>
    public int NotifyInvalidateInode(ulong nodeId, long offset, long length)
    {
        var body = new fuse_notify_inval_inode_out { ino = nodeId, off = offset, len = length };
        return Notify(FuseNotifyCode.INVAL_INODE, &body, sizeof(fuse_notify_inval_inode_out), default);
    }

    /// <summary>NOTIFY_INVAL_ENTRY: forgets the cached name <paramref name="name"/> in <paramref name="parent"/>.</summary>
    public int NotifyInvalidateEntry(ulong parent, ReadOnlySpan<byte> name)
    {
        var body = new fuse_notify_inval_entry_out { parent = parent, namelen = (uint)name.Length };
        return Notify(FuseNotifyCode.INVAL_ENTRY, &body, sizeof(fuse_notify_inval_entry_out), name);
    }

    /// <summary>
    /// NOTIFY_DELETE: as INVAL_ENTRY, and when the cached name still refers to <paramref name="child"/>, the kernel also
    /// drops its link count and detaches the entry (open files of a deleted directory see it dead), as after its own unlink.
    /// </summary>
    public int NotifyDelete(ulong parent, ulong child, ReadOnlySpan<byte> name)
    {
        var body = new fuse_notify_delete_out { parent = parent, child = child, namelen = (uint)name.Length };
        return Notify(FuseNotifyCode.DELETE, &body, sizeof(fuse_notify_delete_out), name);
    }

    /// <summary>NOTIFY_INC_EPOCH (7.44): every cached name becomes invalid at once. ENOSYS-like errors on older kernels.</summary>
    public int NotifyIncrementEpoch()
        => Connection.KernelMinor >= 44 ? Notify(FuseNotifyCode.INC_EPOCH, null, 0, default) : Libc.ENOSYS;

    private int Notify(FuseNotifyCode code, void* body, int bodyLength, ReadOnlySpan<byte> name)
    {
        if (!IsRunning) return Libc.ENODEV;
        byte* buffer = stackalloc byte[16 + 32 + 256 + 1];
        if (name.Length > 255) return Libc.EINVAL;
        ref fuse_out_header h = ref Unsafe.AsRef<fuse_out_header>(buffer);
        int total = 16 + bodyLength + (name.Length > 0 ? name.Length + 1 : 0);
        h.len = (uint)total;
        h.error = (int)code;
        h.unique = 0;
        if (bodyLength > 0) Buffer.MemoryCopy(body, buffer + 16, bodyLength, bodyLength);
        if (name.Length > 0)
        {
            name.CopyTo(new Span<byte>(buffer + 16 + bodyLength, name.Length));
            buffer[16 + bodyLength + name.Length] = 0;
        }
        Libc.IoVec iov = new() { Base = buffer, Length = (nuint)total };
        return Device.Write(&iov, 1);
    }

    // ---- shutdown ----

    private int detached;

    /// <summary>An Altitude FUSE mount is still at <paramref name="mountPoint"/> (not something mounted there since).</summary>
    private static bool StillMountedHere(string mountPoint)
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/mountinfo"))
            {
                string[] f = line.Split(' ');
                int dash = Array.IndexOf(f, "-");
                if (f.Length > 4 && f[4] == mountPoint && dash > 0 && dash + 2 < f.Length
                    && f[dash + 1].StartsWith("fuse", StringComparison.Ordinal) && f[dash + 2].StartsWith("altitude:", StringComparison.Ordinal))
                    return true;
            }
        }
        catch (IOException) { }
        return false;
    }

    /// <summary>Ends the session as `echo 1 > /sys/fs/fuse/connections/N/abort` does (tests: a connection that dies under open files).</summary>
    internal void AbortConnection()
    {
        if (connectionId is int id) FuseMount.Abort(id);
    }

    /// <summary>
    /// Unmounts and waits for the readers: umount2, or a lazy detach when files are still open (the kernel keeps the
    /// connection until they close; readers go on serving them). Must not run on a reader thread.
    /// </summary>
    public void Unmount(TimeSpan? wait = null)
    {
        string? mp = MountPoint;
        if (mp is null) return;
        Reader[] current;
        lock (readers) current = readers.ToArray();
        foreach (Reader r in current)
            if (r.Thread == Thread.CurrentThread) throw new InvalidOperationException("Unmount from a reader thread would deadlock");
        lock (uringReaders)
            foreach (UringReader u in uringReaders)
                if (u.Thread == Thread.CurrentThread) throw new InvalidOperationException("Unmount from a reader thread would deadlock");
        if (!stopped.IsSet)
        {
            int e = FuseMount.Unmount(mp, lazy: false);
            if (e != 0) FuseMount.Unmount(mp, lazy: true);
            if (!stopped.Wait(wait ?? TimeSpan.FromSeconds(10)) && connectionId is int id)
            {
                FuseMount.Abort(id);   // files still open after a lazy detach, or a stuck filter: end the session
                stopped.Wait(TimeSpan.FromSeconds(5));
            }
        }
        else if (Interlocked.Exchange(ref detached, 1) == 0 && StillMountedHere(mp))
        {
            FuseMount.Unmount(mp, lazy: true);   // the session ended first (aborted): the dead mount must not stay behind
        }
        foreach (Reader r in current) r.Thread?.Join(TimeSpan.FromSeconds(1));
        UringReader[] rings;
        lock (uringReaders) rings = uringReaders.ToArray();
        foreach (UringReader u in rings) u.Thread?.Join(TimeSpan.FromSeconds(1));
        grow.Set();
        supervisor?.Join(TimeSpan.FromSeconds(1));
        lock (devices) foreach (var d in devices) d.Dispose();
    }

    /// <summary>
    /// After the session ended: waits until every request object is back (no operation still runs or pends in a filter),
    /// so teardown can release what requests use. False if some are still out after <paramref name="timeout"/>.
    /// </summary>
    public bool WaitForRequestsDone(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (pool)
        {
            while (requestObjects != pool.Count)
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0) return false;
                Monitor.Wait(pool, (int)Math.Min(left, 100));
            }
            return true;
        }
    }

    /// <summary>Blocks until the session ends (unmounted from outside, aborted, or <see cref="Unmount"/>).</summary>
    public bool WaitForExit(TimeSpan timeout) => stopped.Wait(timeout);

    private void Stop()
    {
        if (Interlocked.Exchange(ref destroyed, 1) == 0)
        {
            try { fileSystem.Destroy(); }
            finally
            {
                stopped.Set();
                grow.Set();
                lock (pool) Monitor.PulseAll(pool);
            }
        }
    }

    public void Dispose()
    {
        Unmount();
        lock (pool) while (pool.Count > 0) { pool.Pop().Free(); requestObjects--; }
        Buffers.Dispose();
    }
}
