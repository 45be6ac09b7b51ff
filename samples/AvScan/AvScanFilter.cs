// avscan (WDK filesys/miniFilter/avscan, Content Screener 265010): scans a file when it is opened and again at
// cleanup after it was modified. The scan request goes to avscan on the scan port; avscan asks for a section of
// the file (FltCreateSectionForDataScan, handed over as a read-only descriptor), searches it, and closes the
// section with its verdict, which wakes the waiting scan. A write while a scan runs sends AbortScanning on the
// abort port. Three ports told apart by the connection context; an infected file fails to open with
// STATUS_VIRUS_INFECTED (EACCES through the mount). Transactions do not exist on Linux.
using System.Buffers.Binary;
using System.Collections.Concurrent;

namespace Altitude.Samples.AvScan;

public sealed class AvScanFilter : IMiniFilter
{
    private Filter? filter;
    private ServerPort? scanPort, abortPort, queryPort;
    // The filter's ClientPort variables, one per port (MaxConnections 1 each).
    private ClientPort? scanClient, abortClient, queryClient;
    private readonly object portLock = new();
    private readonly ConcurrentDictionary<long, ScanContext> scans = new();
    private long nextScanId;
    private TimeSpan scanTimeout = TimeSpan.FromSeconds(30);

    /// <summary>One scan in progress: what the MessageNotify commands act on, found by ScanId.</summary>
    private sealed class ScanContext
    {
        public required Instance Instance;
        public required FileObject FileObject;
        public required AvStreamContext Stream;
        public long ScanId;
        public uint ScanThreadId;
        public DataScanSection? Section;
        public AvScanResult Result;
        public readonly ManualResetEventSlim Done = new();
    }

    public NtStatus DriverEntry(DriverObject driver)
    {
        if (driver.Parameters.TryGetUInt32("LocalScanTimeout", out uint ms)) scanTimeout = TimeSpan.FromMilliseconds(ms);
        var registration = new FilterRegistration
        {
            ContextRegistration = new[]
            {
                new ContextRegistration(ContextType.Instance, 16),
                new ContextRegistration(ContextType.Stream, 16),
                new ContextRegistration(ContextType.StreamHandle, 16),
                new ContextRegistration(ContextType.Section, 16),
            },
            OperationRegistration = new[]
            {
                new OperationRegistration(MajorFunction.Create, OperationRegistrationFlags.None, null, PostCreate),
                new OperationRegistration(MajorFunction.Write, OperationRegistrationFlags.None, PreModify, null),
                new OperationRegistration(MajorFunction.SetInformation, OperationRegistrationFlags.None, PreModify, null),
                new OperationRegistration(MajorFunction.Cleanup, OperationRegistrationFlags.None, PreCleanup, null),
            },
            FilterUnload = Unload,
            InstanceSetup = (in RelatedObjects o, InstanceSetupFlags f, VolumeDeviceType d, FileSystemType t) =>
                o.Instance!.RegisterForDataScan().IsSuccess() ? NtStatus.Success : NtStatus.FltDoNotAttach,
            InstanceQueryTeardown = (in RelatedObjects o, InstanceTeardownFlags f) => NtStatus.Success,
        };
        NtStatus st = driver.RegisterFilter(registration, out filter);
        if (!st.IsSuccess()) return st;
        st = CreatePort(AvScanPorts.Scan, out scanPort);
        if (st.IsSuccess()) st = CreatePort(AvScanPorts.Abort, out abortPort);
        if (st.IsSuccess()) st = CreatePort(AvScanPorts.Query, out queryPort);
        if (st.IsSuccess()) st = filter!.StartFiltering();
        if (!st.IsSuccess()) Unload(FilterUnloadFlags.None);
        return st;
    }

    private NtStatus CreatePort(string name, out ServerPort? port) =>
        filter!.CreateCommunicationPort(new ObjectAttributes(name, ObjectAttributes.PortDefaults, FilterManager.BuildDefaultSecurityDescriptor()),
            null, Connect, Disconnect, MessageNotify, 1, out port);

    private NtStatus Unload(FilterUnloadFlags flags)
    {
        // FilterUnloading wakes every waiting scan; the ports close after.
        foreach (var s in scans.Values) { s.Result = AvScanResult.Undetermined; s.Done.Set(); }
        filter?.CloseCommunicationPort(scanPort); filter?.CloseCommunicationPort(abortPort); filter?.CloseCommunicationPort(queryPort);
        filter?.Unregister();
        return NtStatus.Success;
    }

    /// <summary>ConnectNotify: AV_CONNECTION_CONTEXT says which port this is for; anything else is STATUS_INVALID_PARAMETER_3.</summary>
    private NtStatus Connect(ClientPort clientPort, object? serverCookie, ReadOnlySpan<byte> context, out object? cookie)
    {
        cookie = null;
        if (context.Length != 4) return NtStatus.InvalidParameter3;
        var type = (AvConnectionType)BinaryPrimitives.ReadUInt32LittleEndian(context);
        lock (portLock)
        {
            switch (type)
            {
                case AvConnectionType.Scan: scanClient = clientPort; break;
                case AvConnectionType.Abort: abortClient = clientPort; break;
                case AvConnectionType.Query: queryClient = clientPort; break;
                default: return NtStatus.InvalidParameter3;
            }
        }
        cookie = type;
        return NtStatus.Success;
    }

    private void Disconnect(object? cookie)
    {
        lock (portLock)
        {
            switch ((AvConnectionType)cookie!)
            {
                case AvConnectionType.Scan: filter!.CloseClientPort(ref scanClient); break;
                case AvConnectionType.Abort: filter!.CloseClientPort(ref abortClient); break;
                case AvConnectionType.Query: filter!.CloseClientPort(ref queryClient); break;
            }
        }
    }

    /// <summary>The scanner's commands: CreateSectionForDataScan (output: the HANDLE) and CloseSectionForDataScan (the verdict).</summary>
    private NtStatus MessageNotify(object? cookie, ReadOnlySpan<byte> input, Span<byte> output, out int returned)
    {
        returned = 0;
        if (input.Length < AvCommandMessage.Size) return NtStatus.InvalidParameter;
        var command = AvCommandMessage.Read(input);
        if (!scans.TryGetValue(command.ScanId, out var scan)) return NtStatus.NotFound;
        switch (command.Command)
        {
            case AvCommand.CreateSectionForDataScan:
            {
                if (output.Length < 8) return NtStatus.BufferTooSmall;
                if (scan.Section is not null) return NtStatus.InvalidParameter;
                NtStatus st = filter!.AllocateContext(ContextType.Section, 16, out FltContext? context);
                if (!st.IsSuccess()) return st;
                st = scan.Instance.CreateSectionForDataScan(scan.FileObject, context!, out scan.Section);
                context!.Release();   // the section holds its own reference
                if (!st.IsSuccess()) return st;
                BinaryPrimitives.WriteInt64LittleEndian(output, -1);
                st = filter.OpenSectionForCaller(scan.Section!, 0);
                returned = 8;
                return st;
            }
            case AvCommand.CloseSectionForDataScan:
                if (scan.Section is { } section) filter!.CloseSectionForDataScan(section.SectionContext);
                scan.Section = null;
                scan.Result = command.Result;
                scan.Done.Set();
                return NtStatus.Success;
            case AvCommand.IsFileModified:
                if (output.Length < 1) return NtStatus.BufferTooSmall;
                output[0] = scan.Stream.Modified ? (byte)1 : (byte)0;
                returned = 1;
                return NtStatus.Success;
            default:
                return NtStatus.InvalidParameter;
        }
    }

    private PostOperationStatus PostCreate(CallbackData data, in RelatedObjects objects, object? context, PostOperationFlags flags)
    {
        FileObject? fo = objects.FileObject;
        if ((flags & PostOperationFlags.Draining) != 0 || !data.IoStatus.Status.IsSuccess() || fo is null || (fo.Flags & FileObjectFlags.Directory) != 0)
            return PostOperationStatus.FinishedProcessing;
        Instance instance = objects.Instance!;
        if (!GetOrCreateStreamContext(instance, fo, out var stream)) return PostOperationStatus.FinishedProcessing;
        try
        {
            AvScanResult verdict;
            lock (stream)
            {
                verdict = stream.Modified ? AvScanResult.Undetermined : stream.Verdict;
            }
            // Files with data only; a known verdict of an unmodified stream is reused.
            if (verdict == AvScanResult.Undetermined && HasData(instance, fo))
                verdict = Scan(instance, fo, stream, AvScanReason.OnOpen);
            if (verdict == AvScanResult.Infected)
            {
                instance.CancelFileOpen(fo);
                data.IoStatus = new IoStatusBlock(NtStatus.VirusInfected, 0);
            }
        }
        finally { stream.Release(); }
        return PostOperationStatus.FinishedProcessing;
    }

    /// <summary>Pre-write and pre-set-information: the stream is modified; a scan running on it is aborted.</summary>
    private PreOperationStatus PreModify(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        FileObject? fo = objects.FileObject;
        if (fo is null || !objects.Instance!.GetStreamContext(fo, out AvStreamContext? stream).IsSuccess()) return PreOperationStatus.SuccessNoCallback;
        long scanId;
        uint thread;
        lock (stream!)
        {
            stream.Modified = true;
            stream.Verdict = AvScanResult.Undetermined;
            scanId = stream.ScanId;
            thread = stream.ScanThreadId;
        }
        stream.Release();
        if (scanId != 0) SendAbort(scanId, thread);
        return PreOperationStatus.SuccessNoCallback;
    }

    /// <summary>Pre-cleanup: a modified stream is scanned again (the verdict is kept for the next open).</summary>
    private PreOperationStatus PreCleanup(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        FileObject? fo = objects.FileObject;
        if (fo is null || !objects.Instance!.GetStreamContext(fo, out AvStreamContext? stream).IsSuccess()) return PreOperationStatus.SuccessNoCallback;
        try
        {
            bool modified;
            lock (stream!) modified = stream.Modified;
            if (modified) Scan(objects.Instance!, fo, stream, AvScanReason.OnCleanup);
        }
        finally { stream!.Release(); }
        return PreOperationStatus.SuccessNoCallback;
    }

    /// <summary>
    /// Sends StartScanning and waits for the verdict. No scanner, a failed or timed-out send: Undetermined (the
    /// open goes on). Only a scan that was not aborted meanwhile updates the stream's verdict.
    /// </summary>
    private AvScanResult Scan(Instance instance, FileObject fo, AvStreamContext stream, AvScanReason reason)
    {
        var scan = new ScanContext { Instance = instance, FileObject = fo, Stream = stream, ScanId = Interlocked.Increment(ref nextScanId) };
        lock (stream)
        {
            if (stream.ScanId != 0) return AvScanResult.Undetermined;   // one scan per stream at a time
            stream.ScanId = scan.ScanId;
            stream.Modified = false;
        }
        scans[scan.ScanId] = scan;
        try
        {
            Span<byte> request = stackalloc byte[AvScannerNotification.Size];
            new AvScannerNotification { Message = AvScanMessage.StartScanning, Reason = reason, ScanId = scan.ScanId }.Write(request);
            Span<byte> reply = stackalloc byte[4];
            // FltSendMessage reads the ClientPort variable; CloseClientPort synchronises with it.
            NtStatus st = filter!.SendMessage(ref scanClient, request, reply, out int replyLength, scanTimeout);
            if (!st.IsSuccess() || st == NtStatus.Timeout || replyLength < 4) return AvScanResult.Undetermined;
            scan.ScanThreadId = BinaryPrimitives.ReadUInt32LittleEndian(reply);
            lock (stream) stream.ScanThreadId = scan.ScanThreadId;
            if (!scan.Done.Wait(scanTimeout)) return AvScanResult.Undetermined;
            lock (stream)
            {
                // A write during the scan marked the stream modified: this verdict is not cached.
                if (!stream.Modified) stream.Verdict = scan.Result;
            }
            return scan.Result;
        }
        finally
        {
            scans.TryRemove(scan.ScanId, out _);
            if (scan.Section is { } section) filter!.CloseSectionForDataScan(section.SectionContext);
            lock (stream) { stream.ScanId = 0; stream.ScanThreadId = 0; }
        }
    }

    private void SendAbort(long scanId, uint threadId)
    {
        Span<byte> request = stackalloc byte[AvScannerNotification.Size];
        new AvScannerNotification { Message = AvScanMessage.AbortScanning, ScanId = scanId, ScanThreadId = threadId }.Write(request);
        // As the WDK: 1 s, no reply.
        filter!.SendMessage(ref abortClient, request, TimeSpan.FromSeconds(1));
    }

    private static bool HasData(Instance instance, FileObject fo) =>
        instance.Volume.FileSystem.QueryNodeAttributes(fo.NodeId, out var stat).IsSuccess() && stat.EndOfFile > 0;

    private bool GetOrCreateStreamContext(Instance instance, FileObject fo, out AvStreamContext stream)
    {
        stream = null!;
        if (instance.GetStreamContext(fo, out AvStreamContext? found).IsSuccess()) { stream = found!; return true; }
        if (!filter!.AllocateContext(ContextType.Stream, 16, out AvStreamContext? made).IsSuccess()) return false;
        NtStatus st = instance.SetStreamContext(fo, ContextSetOperation.KeepIfExists, made!, out AvStreamContext? old);
        if (st == NtStatus.FltContextAlreadyDefined) { made!.Release(); stream = old!; return true; }
        if (!st.IsSuccess()) return false;   // the failed set freed it
        stream = made!;
        return true;
    }
}

/// <summary>The stream's scan state (AV_STREAM_CONTEXT): modified since the last scan, the verdict, the scan running on it.</summary>
public sealed class AvStreamContext : FltContext
{
    public bool Modified;
    internal AvScanResult Verdict;
    public long ScanId;
    public uint ScanThreadId;
}
