// swapBuffers (WDK filesys/miniFilter/swapBuffers, altitude 141000, load order group "Encryption"): READ, WRITE and
// directory listings go down with the filter's own buffers instead of the caller's. A pre-operation rents an aligned
// buffer (a list, for a listing), swaps it into the parameters and hands the caller's to its post-operation, which
// copies the result back and restores the parameters, so the filters above see what they would have seen. Written
// data is copied into the swapped buffer on the way down, so the caller's buffer is never written by anything below.
// With Encryption=0 (the default) nothing changes, as in the WDK sample: it teaches the pattern an encryption or
// compression filter is built on.
//
// Encryption=1 with KeyFile=PATH is an Altitude addition (SwapBuffersFilter.Encryption.cs): file contents are
// encrypted with AES-256-CTR in the swapped buffers, on paging I/O only (SKIP_CACHED_IO), so the mount's page cache
// holds plaintext and the backing files ciphertext. README.md has the threat model.
using Microsoft.Extensions.Logging;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Altitude.Samples.SwapBuffers;

public sealed partial class SwapBuffersFilter : IMiniFilter, IDisposable
{
    public const string DefaultName = "SwapBuffers";
    public const string DefaultAltitude = "141000";
    private const int ContextSize = 64;   // Altitude contexts are objects; the size only selects the registration row
    private readonly SwapBufferPool buffers = new();
    private readonly Stack<SwapState> states = new();
    private readonly Stack<DirectoryEntryList> lists = new();
    private long swappedReads, swappedWrites, swappedListings;

    public Filter? Filter { get; private set; }

    /// <summary>READs, WRITEs and listings that went down with a swapped buffer (all instances).</summary>
    public long SwappedReads => Interlocked.Read(ref swappedReads);
    public long SwappedWrites => Interlocked.Read(ref swappedWrites);
    public long SwappedListings => Interlocked.Read(ref swappedListings);

    /// <summary>In-process registration (tests): with <paramref name="keyFile"/> the encryption mode is on.</summary>
    public NtStatus Register(FilterManager manager, string? keyFile = null, string altitude = DefaultAltitude)
    {
        var values = new Dictionary<string, IReadOnlyList<string>>();
        if (keyFile is not null)
        {
            values["Encryption"] = new[] { "1" };
            values["KeyFile"] = new[] { keyFile };
        }
        return DriverEntry(new DriverObject(manager, FilterConfiguration.Single(DefaultName, altitude), new FilterParameters(values)));
    }

    /// <summary>DriverEntry: reads the parameters (and the key), registers and starts filtering.</summary>
    public NtStatus DriverEntry(DriverObject driver)
    {
        if (driver.Parameters.GetBoolean("Encryption", false))
        {
            if (!EncryptionKey.TryLoad(driver.Parameters.GetString("KeyFile", ""), out byte[] key, out string error))
            {
                driver.Manager.Logger.LogError("SwapBuffers: {Error}; not loaded", error);
                return NtStatus.AccessDenied;
            }
            cipher = new FileCipher(key);
            Array.Clear(key);
        }
        NtStatus st = driver.RegisterFilter(CreateRegistration(), out Filter? filter);
        if (!st.IsSuccess()) { Dispose(); return st; }
        Filter = filter;
        st = filter!.StartFiltering();
        if (!st.IsSuccess()) { filter.Unregister(); Dispose(); }
        return st;
    }

    private FilterRegistration CreateRegistration()
    {
        // The WDK sample sees every READ and WRITE. Encrypting, it takes only the I/O that reaches the file system:
        // with SKIP_CACHED_IO the mount keeps its page cache, which then holds plaintext (docs/operations.md 6.2).
        var data = cipher is null ? OperationRegistrationFlags.None : OperationRegistrationFlags.SkipCachedIo;
        var operations = new List<OperationRegistration>
        {
            new(MajorFunction.Read, data, PreRead, PostRead),
            new(MajorFunction.Write, data, PreWrite, PostWrite),
            new(MajorFunction.DirectoryControl, OperationRegistrationFlags.None, PreDirectoryControl, PostDirectoryControl),
        };
        if (cipher is not null) operations.AddRange(EncryptionOperations());
        return new FilterRegistration
        {
            ContextRegistration = new[]
            {
                new ContextRegistration(ContextType.Volume, ContextSize),
                new ContextRegistration(ContextType.File, ContextSize),
            },
            OperationRegistration = operations.ToArray(),
            InstanceSetup = InstanceSetup,
            InstanceQueryTeardown = (in RelatedObjects o, InstanceTeardownFlags f) => NtStatus.Success,
            FilterUnload = _ => { Filter?.Unregister(); Dispose(); return NtStatus.Success; },
        };
    }

    /// <summary>The volume context: the volume's name and its sector size (the unit the WDK sample rounds reads to).</summary>
    private NtStatus InstanceSetup(in RelatedObjects objects, InstanceSetupFlags flags, VolumeDeviceType deviceType, FileSystemType fileSystemType)
    {
        NtStatus st = objects.Filter.AllocateContext(ContextType.Volume, ContextSize, out VolumeContext? context);
        if (!st.IsSuccess()) return st;
        using var held = ContextReference.Of(context);   // our allocation reference goes whatever Set does
        context!.Name = objects.Volume.Name;
        if (objects.Instance!.QueryVolumeInformation(FsInformationClass.FileFsSizeInformation, out VolumeStatistics stats).IsSuccess())
            context.SectorSize = Math.Max(stats.FragmentSize, 512u);
        st = objects.Filter.SetVolumeContext(objects.Volume, ContextSetOperation.KeepIfExists, context);
        return st == NtStatus.FltContextAlreadyDefined ? NtStatus.Success : st;
    }

    // ---- READ ----------------------------------------------------------------------------------------------------

    private PreOperationStatus PreRead(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        EncryptedFileContext? file = null;
        if (cipher is not null)
        {
            NtStatus found = GetEncryptedFile(objects.Instance!, data, objects.FileObject, out file);
            if (!found.IsSuccess()) return Fail(data, found);
        }
        ref ReadParameters p = ref data.Iopb.Parameters.Read;
        int length = (int)Math.Min(p.Length, (uint)p.ReadBuffer.Length);
        long offset = p.ByteOffset >= 0 ? p.ByteOffset : objects.FileObject?.CurrentByteOffset ?? 0;
        // Decrypting needs whole cipher blocks (a hole is a whole block of zeros): an encrypted file's read is widened to
        // block boundaries. A page-cache read is page-aligned already; O_DIRECT reads may not be.
        long start = file is null ? offset : offset & ~(long)(FileCipher.BlockSize - 1);
        long end = file is null ? offset + length : (offset + length + FileCipher.BlockSize - 1) & ~(long)(FileCipher.BlockSize - 1);
        AlignedBuffer? buffer = buffers.Rent((int)(end - start));
        if (buffer is null)
        {
            file?.Release();
            // The WDK sample fails with STATUS_INSUFFICIENT_RESOURCES; unencrypted data may simply go down unswapped.
            return file is null ? PreOperationStatus.SuccessNoCallback : Fail(data, NtStatus.InsufficientResources);
        }
        SwapState s = RentState();
        s.Offset = offset;
        s.Head = (int)(offset - start);
        s.File = file;
        // Unencrypted, the offset stays as the caller gave it (-1 included: the file system moves the position).
        s.SwapRead(ref p, buffer, file is null ? p.ByteOffset : start, (int)(end - start));
        data.SetDirty();
        Interlocked.Increment(ref swappedReads);
        completionContext = s;
        return PreOperationStatus.SuccessWithCallback;
    }

    /// <summary>Copies what was read into the caller's buffer (decrypted), then gives the caller's parameters back.</summary>
    private PostOperationStatus PostRead(CallbackData data, in RelatedObjects objects, object? completionContext, PostOperationFlags flags)
    {
        var s = (SwapState)completionContext!;
        ref ReadParameters p = ref data.Iopb.Parameters.Read;
        if ((flags & PostOperationFlags.Draining) == 0 && data.IoStatus.Status.IsSuccess())
        {
            int read = (int)Math.Clamp(data.IoStatus.Information, 0, p.ReadBuffer.Length);
            Span<byte> swapped = s.Buffer!.GetSpan()[..read];
            if (s.File is { Encrypted: true } file) cipher!.Decrypt(file.Nonce, s.Offset - s.Head, swapped);
            int length = (int)Math.Min(s.Length, (uint)s.ReadBuffer.Length);
            int got = Math.Clamp(read - s.Head, 0, length);
            swapped.Slice(s.Head, got).CopyTo(s.ReadBuffer.Span);
            data.IoStatus.Information = got;
            // The widened read found bytes before the caller's offset only: the caller's read starts at the end.
            if (got == 0 && length > 0) data.IoStatus.Status = NtStatus.EndOfFile;
            if (s.ByteOffset < 0 && objects.FileObject is { } fo) fo.CurrentByteOffset = s.Offset + got;
        }
        s.RestoreRead(ref p);
        ReturnState(s);
        return PostOperationStatus.FinishedProcessing;
    }

    // ---- WRITE ---------------------------------------------------------------------------------------------------

    private PreOperationStatus PreWrite(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        if (cipher is not null) return PreEncryptedWrite(data, objects, out completionContext);
        ref WriteParameters p = ref data.Iopb.Parameters.Write;
        int length = (int)Math.Min(p.Length, (uint)p.WriteBuffer.Length);
        AlignedBuffer? buffer = buffers.Rent(length);
        if (buffer is null) return PreOperationStatus.SuccessNoCallback;
        p.WriteBuffer.Span[..length].CopyTo(buffer.GetSpan());
        SwapState s = RentState();
        s.SwapWrite(ref p, buffer, p.ByteOffset, length);
        data.SetDirty();
        Interlocked.Increment(ref swappedWrites);
        completionContext = s;
        return PreOperationStatus.SuccessWithCallback;
    }

    private PostOperationStatus PostWrite(CallbackData data, in RelatedObjects objects, object? completionContext, PostOperationFlags flags)
    {
        var s = (SwapState)completionContext!;
        ref WriteParameters p = ref data.Iopb.Parameters.Write;
        if (s.File is not null) CompleteEncryptedWrite(data, objects, s, flags);
        s.RestoreWrite(ref p);
        ReturnState(s);
        return PostOperationStatus.FinishedProcessing;
    }

    // ---- DIRECTORY_CONTROL ---------------------------------------------------------------------------------------

    /// <summary>A listing fills the filter's own entry list (Altitude's form of the QUERY_DIRECTORY buffer).</summary>
    private PreOperationStatus PreDirectoryControl(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        ref DirectoryControlParameters p = ref data.Iopb.Parameters.DirectoryControl;
        if (p.Entries is null) return PreOperationStatus.SuccessNoCallback;
        DirectoryEntryList list;
        lock (lists) list = lists.Count > 0 ? lists.Pop() : new DirectoryEntryList();
        list.CopyFrom(p.Entries);   // usually empty; a filter above may have put entries in already
        SwapState s = RentState();
        s.CallerEntries = p.Entries;
        s.Entries = list;
        p.Entries = list;
        data.SetDirty();
        Interlocked.Increment(ref swappedListings);
        completionContext = s;
        return PreOperationStatus.SuccessWithCallback;
    }

    private PostOperationStatus PostDirectoryControl(CallbackData data, in RelatedObjects objects, object? completionContext, PostOperationFlags flags)
    {
        var s = (SwapState)completionContext!;
        ref DirectoryControlParameters p = ref data.Iopb.Parameters.DirectoryControl;
        if ((flags & PostOperationFlags.Draining) == 0) s.CallerEntries!.CopyFrom(s.Entries!);
        p.Entries = s.CallerEntries;
        s.Entries!.Clear();
        lock (lists) if (lists.Count < 64) lists.Push(s.Entries);
        ReturnState(s);
        return PostOperationStatus.FinishedProcessing;
    }

    // ---- shared --------------------------------------------------------------------------------------------------

    private static PreOperationStatus Fail(CallbackData data, NtStatus status)
    {
        data.IoStatus = new IoStatusBlock(status, 0);
        return PreOperationStatus.Complete;
    }

    private SwapState RentState()
    {
        lock (states) return states.Count > 0 ? states.Pop() : new SwapState();
    }

    /// <summary>Gives back the swapped buffer and the state, and the file context reference the state held.</summary>
    private void ReturnState(SwapState s)
    {
        if (s.Buffer is not null) buffers.Return(s.Buffer);
        s.File?.Release();
        s.Reset();
        lock (states) if (states.Count < 256) states.Push(s);
    }

    public void Dispose()
    {
        buffers.Dispose();
        cipher?.Dispose();
    }
}
