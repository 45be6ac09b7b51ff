// The encryption mode of swapBuffers (Encryption=1, KeyFile=PATH), an Altitude addition to the WDK sample.
//
// - Each regular file has a random 16-byte nonce, stored with a key check in the backing file's extended attribute
//   user.altitude.swapbuffers (so it follows renames and hard links, and backups that keep xattrs keep it). Through
//   the mount the attribute is invisible: listings leave it out, reads of it answer ENODATA, writes of it EACCES.
// - A file created through the mount, or truncated by its open (O_TRUNC), gets a fresh nonce. An empty file without
//   one gets one at its first open. A file that already held data without a nonce (from before the filter) is left
//   as it is, in plaintext: encrypting it in place is not this sample's job.
// - READ data is decrypted and WRITE data encrypted in the swapped buffers (SwapBuffersFilter.cs). A file whose key
//   check does not match the key (another key, or none) cannot be opened: STATUS_ACCESS_DENIED.
// - Keeping holes readable: a whole block of ciphertext zeros is read as zeros (FileCipher.cs). So no partial block
//   may hold zeros that are not ciphertext. Operations that would leave some (a write into a hole, a write or size
//   change past the end, a punched or zeroed range with unaligned edges) write the encrypted zeros themselves, below
//   this instance, while holding the file's writer lock.
// - Refused on an encrypted file: fallocate COLLAPSE_RANGE and INSERT_RANGE (STATUS_NOT_SUPPORTED, EOPNOTSUPP): they
//   move bytes to other offsets, whose keystream differs.
// - Opens ask the backing file for buffered I/O (O_DIRECT is removed below this filter): the partial-block checks and
//   fills are unaligned. Callers still get direct I/O from the kernel's side of the mount.
using System.Buffers;
using Microsoft.Extensions.Logging;

namespace Altitude.Samples.SwapBuffers;

public sealed partial class SwapBuffersFilter
{
    private static readonly byte[] NonceAttribute = "user.altitude.swapbuffers"u8.ToArray();
    private const byte FormatVersion = 1;
    private const int AttributeLength = 1 + FileCipher.NonceSize + FileCipher.CheckSize;
    private const int Block = FileCipher.BlockSize;
    private const int XATTR_CREATE = 1;
    private const int FALLOC_FL_KEEP_SIZE = 0x01, FALLOC_FL_PUNCH_HOLE = 0x02, FALLOC_FL_COLLAPSE_RANGE = 0x08,
        FALLOC_FL_ZERO_RANGE = 0x10, FALLOC_FL_INSERT_RANGE = 0x20;
    private FileCipher? cipher;

    /// <summary>True when the filter encrypts (Encryption=1 and a valid key).</summary>
    public bool Encrypts => cipher is not null;

    private IEnumerable<OperationRegistration> EncryptionOperations() => new OperationRegistration[]
    {
        new(MajorFunction.Create, OperationRegistrationFlags.None, PreCreate, PostCreate),
        new(MajorFunction.SetInformation, OperationRegistrationFlags.None, PreSetInformation, PostSetInformation),
        new(MajorFunction.QueryEa, OperationRegistrationFlags.None, PreQueryEa, PostQueryEa),
        new(MajorFunction.SetEa, OperationRegistrationFlags.None, PreSetEa, null),
    };

    private static long BlockDown(long offset) => offset & ~(long)(Block - 1);
    private static long BlockUp(long offset) => (offset + Block - 1) & ~(long)(Block - 1);

    // ---- CREATE --------------------------------------------------------------------------------------------------

    private PreOperationStatus PreCreate(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        ref CreateParameters p = ref data.Iopb.Parameters.Create;
        if ((p.Options & (uint)CreateOptions.DirectoryFile) != 0) return PreOperationStatus.SuccessNoCallback;
        if ((p.OpenFlags & OpenFlags.O_DIRECT) != 0)
        {
            p.OpenFlags &= ~OpenFlags.O_DIRECT;
            data.SetDirty();
        }
        return PreOperationStatus.SuccessWithCallback;
    }

    /// <summary>A new or truncated file gets a fresh nonce; any other open loads the file's (and checks the key).</summary>
    private PostOperationStatus PostCreate(CallbackData data, in RelatedObjects objects, object? completionContext, PostOperationFlags flags)
    {
        if ((flags & PostOperationFlags.Draining) != 0 || !data.IoStatus.Status.IsSuccess() || objects.FileObject is not { } fo) return PostOperationStatus.FinishedProcessing;
        Instance instance = objects.Instance!;
        bool created = data.IoStatus.Information == CreateInformation.FileCreated && data.Iopb.Parameters.Create.NodeKind == CreateNodeKind.RegularFile;
        bool truncated = data.IoStatus.Information is CreateInformation.FileOverwritten or CreateInformation.FileSuperseded;
        NtStatus st;
        EncryptedFileContext? file;
        if (created || truncated)
        {
            st = GetFileContextOrNew(instance, fo, out file, out bool isNew);
            if (st.IsSuccess())
            {
                if (!isNew) file!.Writers.Wait();
                try
                {
                    st = AssignNonce(instance, fo, file!, replace: true);
                }
                finally
                {
                    if (!isNew) file!.Writers.Release();
                }
                if (st.IsSuccess() && isNew) st = Publish(instance, fo, ref file);
                file?.Release();
            }
        }
        else
        {
            st = GetEncryptedFile(instance, data, fo, out file);
            file?.Release();
        }
        if (!st.IsSuccess())
        {
            // An encryption filter must not let a file be used that it cannot encrypt or decrypt.
            instance.CancelFileOpen(fo);
            data.IoStatus = new IoStatusBlock(st, 0);
        }
        return PostOperationStatus.FinishedProcessing;
    }

    /// <summary>
    /// The file context of <paramref name="fo"/>, made on first use: from the backing file's nonce (key checked), a new
    /// nonce for an empty file, or Encrypted = false for a file that already holds data without one.
    /// </summary>
    private NtStatus GetEncryptedFile(Instance instance, CallbackData data, FileObject? fo, out EncryptedFileContext? file)
    {
        file = null;
        if (fo is null) return NtStatus.InvalidParameter;
        NtStatus st = GetFileContextOrNew(instance, fo, out file, out bool isNew);
        if (!st.IsSuccess() || !isNew) return st;
        Span<byte> value = stackalloc byte[AttributeLength];
        st = ReadNonce(instance, fo, value, out int length);
        if (st.IsSuccess())
        {
            if (length != AttributeLength || value[0] != FormatVersion) st = Refuse(fo, "has a malformed user.altitude.swapbuffers attribute");
            else
            {
                Span<byte> check = stackalloc byte[FileCipher.CheckSize];
                cipher!.ComputeCheck(value.Slice(1, FileCipher.NonceSize), check);
                if (!check.SequenceEqual(value.Slice(1 + FileCipher.NonceSize))) st = Refuse(fo, "was encrypted with another key");
                else
                {
                    value.Slice(1, FileCipher.NonceSize).CopyTo(file!.Nonce);
                    file.Encrypted = true;
                }
            }
        }
        else if (st == NtStatus.NoEasOnFile)
        {
            st = instance.QueryInformationFile(fo, FileInformationClass.FileStandardInformation, out FileStatInformation stat);
            if (st.IsSuccess() && stat.EndOfFile == 0 && (stat.Mode & 0xF000) == 0x8000)
            {
                if (!AssignNonce(instance, fo, file!, replace: false).IsSuccess())
                    instance.Filter.Manager.Logger.LogWarning("SwapBuffers: no nonce could be stored for file {Id}; it stays unencrypted", stat.FileId);
            }
            else if (st.IsSuccess() && stat.EndOfFile > 0)
                instance.Filter.Manager.Logger.LogInformation("SwapBuffers: file {Id} holds data from before the filter; left unencrypted", stat.FileId);
        }
        if (st.IsSuccess()) st = Publish(instance, fo, ref file);
        else { file!.Release(); file = null; }
        return st;
    }

    private NtStatus Refuse(FileObject fo, string why)
    {
        Filter!.Manager.Logger.LogWarning("SwapBuffers: file {Name} {Why}; open refused", System.Text.Encoding.UTF8.GetString(fo.FileName.Span), why);
        return NtStatus.AccessDenied;
    }

    /// <summary>The file's context (isNew = false), or a new unpublished one (isNew = true) for the caller to fill and <see cref="Publish"/>.</summary>
    private static NtStatus GetFileContextOrNew(Instance instance, FileObject fo, out EncryptedFileContext? file, out bool isNew)
    {
        isNew = false;
        NtStatus st = instance.GetFileContext(fo, out file);
        if (st != NtStatus.NotFound) return st;
        isNew = true;
        return instance.Filter.AllocateContext(ContextType.File, ContextSize, out file);
    }

    /// <summary>Sets a filled context with KEEP_IF_EXISTS; when another thread won, its context is used instead.</summary>
    private static NtStatus Publish(Instance instance, FileObject fo, ref EncryptedFileContext? file)
    {
        NtStatus st = instance.SetFileContext(fo, ContextSetOperation.KeepIfExists, file!, out EncryptedFileContext? old);
        if (st == NtStatus.FltContextAlreadyDefined)
        {
            file!.Release();   // never set: this frees it
            file = old;
            return NtStatus.Success;
        }
        if (!st.IsSuccess()) { file!.Release(); file = null; }
        return st;
    }

    /// <summary>A fresh random nonce for the file, stored (version, nonce, key check) before it is used.</summary>
    private NtStatus AssignNonce(Instance instance, FileObject fo, EncryptedFileContext file, bool replace)
    {
        Span<byte> value = stackalloc byte[AttributeLength];
        value[0] = FormatVersion;
        System.Security.Cryptography.RandomNumberGenerator.Fill(value.Slice(1, FileCipher.NonceSize));
        cipher!.ComputeCheck(value.Slice(1, FileCipher.NonceSize), value.Slice(1 + FileCipher.NonceSize));
        NtStatus st = WriteNonce(instance, fo, value, replace ? 0 : XATTR_CREATE);
        if (!replace && st == NtStatus.ObjectNameCollision)
        {
            // Another open of the empty file stored one first: use that one.
            st = ReadNonce(instance, fo, value, out int length);
            if (st.IsSuccess() && length != AttributeLength) st = NtStatus.AccessDenied;
        }
        if (!st.IsSuccess()) return st;
        value.Slice(1, FileCipher.NonceSize).CopyTo(file.Nonce);
        file.Encrypted = true;
        return st;
    }

    private static NtStatus ReadNonce(Instance instance, FileObject fo, Span<byte> value, out int length)
    {
        length = 0;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(AttributeLength + 1);
        try
        {
            NtStatus st = instance.AllocateCallbackData(fo, out CallbackData? d);
            if (!st.IsSuccess()) return st;
            d!.Iopb.MajorFunction = MajorFunction.QueryEa;
            d.Iopb.Parameters.QueryEa.EaName = NonceAttribute;
            d.Iopb.Parameters.QueryEa.Buffer = buffer.AsMemory(0, AttributeLength + 1);
            st = d.PerformSynchronousIo();
            length = (int)Math.Min(d.IoStatus.Information, AttributeLength + 1);
            d.Free();
            if (st.IsSuccess()) buffer.AsSpan(0, Math.Min(length, value.Length)).CopyTo(value);
            return st == NtStatus.BufferTooSmall ? NtStatus.Success : st;   // too long: malformed, seen by the length
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static NtStatus WriteNonce(Instance instance, FileObject fo, ReadOnlySpan<byte> value, int xattrFlags)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(value.Length);
        try
        {
            value.CopyTo(buffer);
            NtStatus st = instance.AllocateCallbackData(fo, out CallbackData? d);
            if (!st.IsSuccess()) return st;
            d!.Iopb.MajorFunction = MajorFunction.SetEa;
            d.Iopb.Parameters.SetEa.EaName = NonceAttribute;
            d.Iopb.Parameters.SetEa.Buffer = buffer.AsMemory(0, value.Length);
            d.Iopb.Parameters.SetEa.Flags = xattrFlags;
            st = d.PerformSynchronousIo();
            d.Free();
            return st;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // ---- WRITE ---------------------------------------------------------------------------------------------------

    /// <summary>
    /// Under the file's writer lock: where the write lands (the end, for O_APPEND), which partial blocks around it are
    /// holes or lie past the end (they get encrypted zeros, in the same swapped write), then the encrypted copy.
    /// </summary>
    private PreOperationStatus PreEncryptedWrite(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        Instance instance = objects.Instance!;
        FileObject? fo = objects.FileObject;
        NtStatus st = GetEncryptedFile(instance, data, fo, out EncryptedFileContext? file);
        if (!st.IsSuccess()) return Fail(data, st);
        ref WriteParameters p = ref data.Iopb.Parameters.Write;
        int length = (int)Math.Min(p.Length, (uint)p.WriteBuffer.Length);
        if (!file!.Encrypted)
        {
            file.Release();
            return PreOperationStatus.SuccessNoCallback;
        }
        file.Writers.Wait();
        long headStart, tailEnd, offset;
        st = PlanWrite(instance, fo!, file, data, length, out offset, out headStart, out tailEnd);
        AlignedBuffer? buffer = st.IsSuccess() ? buffers.Rent((int)(tailEnd - headStart)) : null;
        if (buffer is null)
        {
            file.Writers.Release();
            file.Release();
            return Fail(data, st.IsSuccess() ? NtStatus.InsufficientResources : st);
        }
        int head = (int)(offset - headStart), total = (int)(tailEnd - headStart);
        Span<byte> swapped = buffer.GetSpan()[..total];
        swapped[..head].Clear();
        p.WriteBuffer.Span[..length].CopyTo(swapped[head..]);
        swapped[(head + length)..].Clear();
        cipher!.Encrypt(file.Nonce, headStart, swapped);
        SwapState s = RentState();
        s.Offset = offset;
        s.Head = head;
        s.File = file;
        // On an O_APPEND open the file system writes at the end whatever the offset; PlanWrite never widens those.
        s.SwapWrite(ref p, buffer, headStart, total);
        data.SetDirty();
        Interlocked.Increment(ref swappedWrites);
        completionContext = s;
        return PreOperationStatus.SuccessWithCallback;
    }

    /// <summary>
    /// [headStart, tailEnd) is what the swapped write covers: the caller's bytes at <paramref name="offset"/>, plus
    /// zeros before them (the rest of a hole block, or the gap from the end of the file) and after them (the rest of a
    /// hole block). Past the end of the file nothing follows them. A gap past the end also fills the old last block.
    /// </summary>
    private NtStatus PlanWrite(Instance instance, FileObject fo, EncryptedFileContext file, CallbackData data, int length, out long offset, out long headStart, out long tailEnd)
    {
        offset = headStart = tailEnd = 0;
        NtStatus st = instance.QueryInformationFile(fo, FileInformationClass.FileStandardInformation, out FileStatInformation stat);
        if (!st.IsSuccess()) return st;
        long size = stat.EndOfFile;
        ref WriteParameters p = ref data.Iopb.Parameters.Write;
        bool paging = (data.Iopb.IrpFlags & IoParameterBlock.IrpPagingIo) != 0;
        bool append = !paging && (fo.OpenFlags & OpenFlags.O_APPEND) != 0;
        offset = append ? size : p.ByteOffset >= 0 ? p.ByteOffset : fo.CurrentByteOffset;
        long end = offset + length;
        headStart = offset;
        tailEnd = end;
        bool headHole = false;
        if (offset > size)
        {
            // Past the end: the bytes between the end and the write are zeros, and must be written as ciphertext up
            // to the write's block; the old last block, if partial and before that block, is completed on its own.
            headStart = Math.Max(BlockDown(offset), size);
            if (size % Block != 0 && BlockUp(size) <= headStart)
            {
                st = FillZeros(instance, fo, file, size, BlockUp(size));
                if (!st.IsSuccess()) return st;
            }
        }
        else if (offset % Block != 0 && BlockDown(offset) + Block <= size)
        {
            st = IsHole(instance, fo, BlockDown(offset), out headHole);
            if (!st.IsSuccess()) return st;
            if (headHole) headStart = BlockDown(offset);
        }
        if (end < size && end % Block != 0 && BlockUp(end) <= size)
        {
            bool tailHole;
            if (BlockDown(end) == BlockDown(offset) && offset % Block != 0) tailHole = headHole;
            else
            {
                st = IsHole(instance, fo, BlockDown(end), out tailHole);
                if (!st.IsSuccess()) return st;
            }
            if (tailHole) tailEnd = BlockUp(end);
        }
        return NtStatus.Success;
    }

    private void CompleteEncryptedWrite(CallbackData data, in RelatedObjects objects, SwapState s, PostOperationFlags flags)
    {
        if ((flags & PostOperationFlags.Draining) == 0 && data.IoStatus.Status.IsSuccess())
        {
            int length = (int)Math.Min(s.Length, (uint)s.WriteBuffer.Length);
            int written = (int)Math.Clamp(data.IoStatus.Information - s.Head, 0, length);
            data.IoStatus.Information = written;
            if (s.ByteOffset < 0 && objects.FileObject is { } fo) fo.CurrentByteOffset = s.Offset + written;
        }
        s.File!.Writers.Release();
    }

    /// <summary>Reads the 16-byte block at <paramref name="blockStart"/> below this instance: a hole is a whole block of zeros.</summary>
    private static NtStatus IsHole(Instance instance, FileObject fo, long blockStart, out bool hole)
    {
        hole = false;
        byte[] block = ArrayPool<byte>.Shared.Rent(Block);
        try
        {
            NtStatus st = instance.ReadFile(fo, blockStart, block.AsMemory(0, Block), FilterIoFlags.DoNotUpdateByteOffset, out int read);
            if (st == NtStatus.EndOfFile) return NtStatus.Success;
            if (!st.IsSuccess()) return st;
            hole = read == Block && block.AsSpan(0, Block).IndexOfAnyExcept((byte)0) < 0;
            return NtStatus.Success;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    /// <summary>Writes encrypted zeros over [start, end) below this instance (the keystream of that range).</summary>
    /// <remarks>
    /// Issued as paging I/O: on an O_APPEND open the file system then writes at the offset given, not at the end.
    /// </remarks>
    private NtStatus FillZeros(Instance instance, FileObject fo, EncryptedFileContext file, long start, long end)
    {
        if (end <= start) return NtStatus.Success;
        int length = (int)(end - start);
        byte[] zeros = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            Span<byte> span = zeros.AsSpan(0, length);
            span.Clear();
            cipher!.Encrypt(file.Nonce, start, span);
            NtStatus st = instance.WriteFile(fo, start, zeros.AsMemory(0, length), FilterIoFlags.Paging | FilterIoFlags.DoNotUpdateByteOffset, out int written);
            return st.IsSuccess() && written != length ? NtStatus.Unsuccessful : st;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(zeros);
        }
    }

    // ---- SET_INFORMATION: size changes ---------------------------------------------------------------------------

    /// <summary>
    /// Truncate (EndOfFile) and fallocate (Allocation) on an encrypted file: takes the writer lock and plans the zero
    /// ranges the post-op writes as ciphertext. COLLAPSE_RANGE and INSERT_RANGE are refused.
    /// </summary>
    private PreOperationStatus PreSetInformation(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        ref SetFileInformationParameters p = ref data.Iopb.Parameters.SetFileInformation;
        if (p.FileInformationClass is not (FileInformationClass.FileEndOfFileInformation or FileInformationClass.FileAllocationInformation)
            || objects.FileObject is not { } target) return PreOperationStatus.SuccessNoCallback;
        Instance instance = objects.Instance!;
        FileObject fo = target;
        FileObject? own = null;
        if ((fo.Flags & FileObjectFlags.Transient) != 0)
        {
            // truncate(2) by path: no open came with it; the checks and fills need one of our own, below us.
            NtStatus opened = OpenBelow(instance, data, out own);
            if (!opened.IsSuccess()) return Fail(data, opened);
            fo = own!;
        }
        NtStatus st = GetEncryptedFile(instance, data, fo, out EncryptedFileContext? file);
        if (!st.IsSuccess() || !file!.Encrypted)
        {
            file?.Release();
            if (own is not null) instance.Filter.Close(own);
            return st.IsSuccess() ? PreOperationStatus.SuccessNoCallback : Fail(data, st);
        }
        if (p.FileInformationClass == FileInformationClass.FileAllocationInformation
            && (p.AllocationMode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE)) != 0)
        {
            file.Release();
            if (own is not null) instance.Filter.Close(own);
            return Fail(data, NtStatus.NotSupported);
        }
        file.Writers.Wait();
        SwapState s = RentState();
        s.File = file;
        s.OwnOpen = own;
        st = PlanSizeChange(instance, fo, in p, s);
        if (!st.IsSuccess())
        {
            file.Writers.Release();
            if (own is not null) instance.Filter.Close(own);
            ReturnState(s);
            return Fail(data, st);
        }
        completionContext = s;
        return PreOperationStatus.SuccessWithCallback;
    }

    /// <summary>
    /// The zero ranges a size change leaves inside partial blocks that are not holes. Growing from S: the rest of the old
    /// last block (a partial block is always ciphertext) and the new last block. Shrinking to N inside a hole block: the
    /// new partial last block. Punching or zeroing [a, b): each unaligned edge block that held ciphertext (an edge
    /// block that was a hole stays all zeros, a hole). Whole blocks of zeros need nothing: they read as zeros.
    /// </summary>
    private static NtStatus PlanSizeChange(Instance instance, FileObject fo, in SetFileInformationParameters p, SwapState s)
    {
        NtStatus st = instance.QueryInformationFile(fo, FileInformationClass.FileStandardInformation, out FileStatInformation stat);
        if (!st.IsSuccess()) return st;
        long size = stat.EndOfFile, newSize = size;
        if (p.FileInformationClass == FileInformationClass.FileEndOfFileInformation) newSize = p.EndOfFile;
        else
        {
            long end = p.AllocationOffset + p.AllocationLength;
            if ((p.AllocationMode & FALLOC_FL_KEEP_SIZE) == 0) newSize = Math.Max(size, end);
            if ((p.AllocationMode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) != 0)
            {
                long a = p.AllocationOffset, b = Math.Min(end, size);
                if (a < b && a % Block != 0)
                {
                    st = HoldsCiphertext(instance, fo, BlockDown(a), size, out bool cipherBlock);
                    if (!st.IsSuccess()) return st;
                    if (cipherBlock) s.AddFill(a, Math.Min(BlockUp(a), b));
                }
                if (a < b && b % Block != 0 && BlockDown(b) >= BlockUp(a))
                {
                    st = HoldsCiphertext(instance, fo, BlockDown(b), size, out bool cipherBlock);
                    if (!st.IsSuccess()) return st;
                    if (cipherBlock) s.AddFill(BlockDown(b), b);
                }
            }
        }
        if (newSize > size)
        {
            if (size % Block != 0) s.AddFill(size, Math.Min(BlockUp(size), newSize));
            if (newSize % Block != 0 && BlockDown(newSize) >= BlockUp(size)) s.AddFill(BlockDown(newSize), newSize);
        }
        else if (newSize < size && newSize % Block != 0)
        {
            st = HoldsCiphertext(instance, fo, BlockDown(newSize), size, out bool cipherBlock);
            if (!st.IsSuccess()) return st;
            if (!cipherBlock) s.AddFill(BlockDown(newSize), newSize);
        }
        return NtStatus.Success;
    }

    /// <summary>A partial last block always holds ciphertext; a whole block does unless it is a hole.</summary>
    private static NtStatus HoldsCiphertext(Instance instance, FileObject fo, long blockStart, long size, out bool ciphertext)
    {
        ciphertext = true;
        if (blockStart + Block > size) return NtStatus.Success;
        NtStatus st = IsHole(instance, fo, blockStart, out bool hole);
        ciphertext = !hole;
        return st;
    }

    private PostOperationStatus PostSetInformation(CallbackData data, in RelatedObjects objects, object? completionContext, PostOperationFlags flags)
    {
        var s = (SwapState)completionContext!;
        FileObject? fo = s.OwnOpen ?? objects.FileObject;
        if ((flags & PostOperationFlags.Draining) == 0 && data.IoStatus.Status.IsSuccess() && fo is not null)
        {
            NtStatus st = NtStatus.Success;
            for (int i = 0; i < s.FillCount && st.IsSuccess(); i++) st = FillZeros(objects.Instance!, fo, s.File!, s.Fills[2 * i], s.Fills[2 * i + 1]);
            if (!st.IsSuccess())
            {
                Filter!.Manager.Logger.LogError("SwapBuffers: writing encrypted zeros after a size change failed: {Status}", st.Describe());
                data.IoStatus = new IoStatusBlock(st, 0);
            }
        }
        s.File!.Writers.Release();
        if (s.OwnOpen is not null) objects.Instance!.Filter.Close(s.OwnOpen);
        ReturnState(s);
        return PostOperationStatus.FinishedProcessing;
    }

    /// <summary>Opens the operation's file below this instance (read-write), by its name.</summary>
    private static NtStatus OpenBelow(Instance instance, CallbackData data, out FileObject? fo)
    {
        fo = null;
        NtStatus st = data.GetFileNameInformation(NameOptions.Normalized | NameOptions.QueryDefault, out FileNameInformation? name);
        if (!st.IsSuccess()) return st;
        try
        {
            return instance.Filter.CreateFile(instance.Volume, instance, name!.Name, OpenFlags.O_RDWR, 0, out fo, out _);
        }
        finally
        {
            name!.Release();
        }
    }

    // ---- QUERY_EA / SET_EA: the nonce stays out of sight -----------------------------------------------------------

    private PreOperationStatus PreQueryEa(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        ReadOnlySpan<byte> name = data.Iopb.Parameters.QueryEa.EaName.Span;
        if (name.IsEmpty) return PreOperationStatus.SuccessWithCallback;   // a listing: the post-op takes the name out
        return name.SequenceEqual(NonceAttribute) ? Fail(data, NtStatus.NoEasOnFile) : PreOperationStatus.SuccessNoCallback;
    }

    /// <summary>Removes user.altitude.swapbuffers from a listxattr list (a size-only query may over-count by its length).</summary>
    private PostOperationStatus PostQueryEa(CallbackData data, in RelatedObjects objects, object? completionContext, PostOperationFlags flags)
    {
        ref EaParameters p = ref data.Iopb.Parameters.QueryEa;
        if ((flags & PostOperationFlags.Draining) != 0 || !data.IoStatus.Status.IsSuccess() || p.Buffer.IsEmpty) return PostOperationStatus.FinishedProcessing;
        Span<byte> list = p.Buffer.Span[..(int)Math.Min(data.IoStatus.Information, p.Buffer.Length)];
        for (int at = 0; at < list.Length;)
        {
            int end = list[at..].IndexOf((byte)0);
            int next = end < 0 ? list.Length : at + end + 1;
            if (list[at..(end < 0 ? list.Length : at + end)].SequenceEqual(NonceAttribute))
            {
                list[next..].CopyTo(list[at..]);
                data.IoStatus.Information -= next - at;
                break;
            }
            at = next;
        }
        return PostOperationStatus.FinishedProcessing;
    }

    private PreOperationStatus PreSetEa(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        return data.Iopb.Parameters.SetEa.EaName.Span.SequenceEqual(NonceAttribute) ? Fail(data, NtStatus.AccessDenied) : PreOperationStatus.SuccessNoCallback;
    }
}
