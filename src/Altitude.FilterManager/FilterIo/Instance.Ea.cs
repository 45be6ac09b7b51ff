// FltQueryEaFile and FltSetEaFile. Windows EAs are Linux "user." extended attributes: EA name N is the xattr "user.N",
// byte for byte (case kept; Linux names are case-sensitive). Other namespaces (security., system., trusted.) are not
// EAs and never appear. Each entry is its own QUERY_EA or SET_EA below this instance, so lower filters see the xattr
// calls one by one, as the FUSE front-end sends them (docs/deviations.md, "Extended attributes").
using System.Buffers;
using System.Runtime.InteropServices;

namespace Altitude;

public sealed partial class Instance
{
    private static ReadOnlySpan<byte> UserPrefix => "user."u8;
    private const int XattrMax = 64 * 1024;   // XATTR_SIZE_MAX and XATTR_LIST_MAX

    /// <summary>
    /// FltQueryEaFile: FILE_FULL_EA_INFORMATION entries into <paramref name="returnedEaData"/>. With <paramref name="eaList"/>
    /// (FILE_GET_EA_INFORMATION) the named EAs in that order, an absent one with an empty value; otherwise a scan that starts
    /// at the 1-based <paramref name="eaIndex"/>, at the first EA with <paramref name="restartScan"/>, or where the last scan
    /// of this open stopped. Statuses: STATUS_NO_EAS_ON_FILE (none at all), STATUS_NO_MORE_EAS (scan at its end),
    /// STATUS_NONEXISTENT_EA_ENTRY (bad index), STATUS_BUFFER_TOO_SMALL (not even the first entry fits; lengthReturned is
    /// what it needs), STATUS_BUFFER_OVERFLOW (some entries fit; the scan continues at the first that did not),
    /// STATUS_EA_LIST_INCONSISTENT (bad EaList).
    /// </summary>
    public NtStatus QueryEaFile(FileObject fileObject, Span<byte> returnedEaData, bool returnSingleEntry, ReadOnlySpan<byte> eaList,
        uint? eaIndex, bool restartScan, out int lengthReturned)
    {
        lengthReturned = 0;
        if (!IsOnThisVolume(fileObject)) return NtStatus.InvalidParameter;
        if (!eaList.IsEmpty && !EaBuffer.IsValidGet(eaList, out _)) return NtStatus.EaListInconsistent;
        byte[] names = ArrayPool<byte>.Shared.Rent(XattrMax);
        byte[] value = ArrayPool<byte>.Shared.Rent(XattrMax);
        byte[] xattrName = ArrayPool<byte>.Shared.Rent(UserPrefix.Length + 256);
        try
        {
            int length = 0, last = 0, returned = 0;
            if (!eaList.IsEmpty)
            {
                foreach (ReadOnlySpan<byte> name in EaBuffer.ReadGet(eaList))
                {
                    NtStatus st = GetUserXattr(fileObject, name, xattrName, value, out int size);
                    if (st == NtStatus.NoEasOnFile) size = 0;   // an absent EA comes back with an empty value
                    else if (!st.IsSuccess()) return st;
                    st = Append(returnedEaData, ref length, ref last, ref returned, name, value.AsSpan(0, size), ref lengthReturned);
                    if (st != NtStatus.Success) return st;
                    if (returnSingleEntry) break;
                }
                lengthReturned = length;
                return NtStatus.Success;
            }

            NtStatus listed = IssueQueryEa(fileObject, ReadOnlyMemory<byte>.Empty, names, out int listLength);
            if (listed == NtStatus.NoEasOnFile) listLength = 0;
            else if (!listed.IsSuccess()) return listed;
            int count = CountUserNames(names.AsSpan(0, listLength));
            if (count == 0) return NtStatus.NoEasOnFile;
            int start = eaIndex is { } index ? (int)Math.Min(index, int.MaxValue) - 1 : restartScan ? 0 : fileObject.EaScanIndex;
            if (eaIndex is not null && (start < 0 || start >= count)) return NtStatus.NonexistentEaEntry;
            if (start >= count) return NtStatus.NoMoreEas;

            int position = 0, at = 0;
            NtStatus result = NtStatus.Success;
            ReadOnlySpan<byte> list = names.AsSpan(0, listLength);
            while (NextUserName(list, ref at, out ReadOnlySpan<byte> name))
            {
                if (position++ < start) continue;
                NtStatus st = GetUserXattr(fileObject, name, xattrName, value, out int size);
                if (st == NtStatus.NoEasOnFile) continue;   // removed since the listing
                if (!st.IsSuccess()) return st;
                st = Append(returnedEaData, ref length, ref last, ref returned, name, value.AsSpan(0, size), ref lengthReturned);
                if (st == NtStatus.BufferTooSmall) return st;
                if (st == NtStatus.BufferOverflow) { position--; result = st; break; }
                if (returnSingleEntry) break;
            }
            fileObject.EaScanIndex = position;
            lengthReturned = length;
            return returned == 0 ? NtStatus.NoMoreEas : result;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(xattrName);
            ArrayPool<byte>.Shared.Return(value);
            ArrayPool<byte>.Shared.Return(names);
        }
    }

    /// <summary>
    /// FltSetEaFile: applies a FILE_FULL_EA_INFORMATION list in order; an entry with an empty value removes that EA (absent is
    /// fine). STATUS_EA_LIST_INCONSISTENT for a malformed list, before anything is changed. Not atomic: an error stops at the
    /// entry that failed, with the earlier ones applied.
    /// </summary>
    public NtStatus SetEaFile(FileObject fileObject, ReadOnlyMemory<byte> eaBuffer)
    {
        if (!IsOnThisVolume(fileObject)) return NtStatus.InvalidParameter;
        if (!EaBuffer.IsValidFull(eaBuffer.Span, out _)) return NtStatus.EaListInconsistent;
        byte[] xattrName = ArrayPool<byte>.Shared.Rent(UserPrefix.Length + 256);
        try
        {
            int at = 0;
            foreach (FullEaEntry entry in EaBuffer.ReadFull(eaBuffer.Span))
            {
                int nameAt = at + 8, valueAt = nameAt + entry.Name.Length + 1;
                int full = BuildXattrName(entry.Name, xattrName);
                CallbackData d = FilterIo.Allocate(Volume, this, fileObject, MajorFunction.SetEa);
                ref EaParameters p = ref d.Iopb.Parameters.SetEa;
                p.EaName = xattrName.AsMemory(0, full);
                // The loopback only reads a SET_EA value; the caller's buffer is not written.
                p.Buffer = MemoryMarshal.AsMemory(eaBuffer.Slice(valueAt, entry.Value.Length));
                p.Flags = entry.Value.IsEmpty ? EaParameters.RemoveFlag : 0;
                NtStatus st = FilterIo.Run(d, out _);
                if (!st.IsSuccess() && !(entry.Value.IsEmpty && st == NtStatus.NoEasOnFile)) return st;
                at += (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(eaBuffer.Span[at..]);
            }
            return NtStatus.Success;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(xattrName);
        }
    }

    private static NtStatus Append(Span<byte> buffer, ref int length, ref int last, ref int returned, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value,
        ref int lengthReturned)
    {
        if (value.Length > ushort.MaxValue) return NtStatus.EaTooLarge;   // EaValueLength is a USHORT; Linux allows 64 KiB
        if (EaBuffer.TryAppendFull(buffer, ref length, ref last, name, value))
        {
            returned++;
            return NtStatus.Success;
        }
        if (returned != 0) return NtStatus.BufferOverflow;
        lengthReturned = EaBuffer.FullEntrySize(name.Length, value.Length);   // what the first entry needs
        return NtStatus.BufferTooSmall;
    }

    private NtStatus GetUserXattr(FileObject fo, ReadOnlySpan<byte> eaName, byte[] xattrName, byte[] value, out int size)
    {
        size = 0;
        if (eaName.IsEmpty || eaName.Length > 255 || eaName.IndexOf((byte)0) >= 0) return NtStatus.InvalidEaName;
        int full = BuildXattrName(eaName, xattrName);
        return IssueQueryEa(fo, xattrName.AsMemory(0, full), value, out size);
    }

    private static int BuildXattrName(ReadOnlySpan<byte> eaName, byte[] destination)
    {
        UserPrefix.CopyTo(destination);
        eaName.CopyTo(destination.AsSpan(UserPrefix.Length));
        return UserPrefix.Length + eaName.Length;
    }

    /// <summary>One IRP_MJ_QUERY_EA below this instance: a value (or, with an empty name, the NUL-separated name list).</summary>
    private NtStatus IssueQueryEa(FileObject fo, ReadOnlyMemory<byte> xattrName, byte[] buffer, out int size)
    {
        CallbackData d = FilterIo.Allocate(Volume, this, fo, MajorFunction.QueryEa);
        ref EaParameters p = ref d.Iopb.Parameters.QueryEa;
        p.EaName = xattrName;
        p.Buffer = buffer;
        NtStatus st = FilterIo.Run(d, out IoStatusBlock io);
        size = st.IsSuccess() ? (int)io.Information : 0;
        return st;
    }

    private static int CountUserNames(ReadOnlySpan<byte> list)
    {
        int count = 0, at = 0;
        while (NextUserName(list, ref at, out _)) count++;
        return count;
    }

    /// <summary>The next "user." name of a listxattr list, without the prefix (empty names skipped).</summary>
    private static bool NextUserName(ReadOnlySpan<byte> list, ref int at, out ReadOnlySpan<byte> eaName)
    {
        while (at < list.Length)
        {
            int end = list[at..].IndexOf((byte)0);
            ReadOnlySpan<byte> name = end < 0 ? list[at..] : list.Slice(at, end);
            at += name.Length + 1;
            if (name.Length > UserPrefix.Length && name.Length - UserPrefix.Length <= 255 && name.StartsWith(UserPrefix))
            {
                eaName = name[UserPrefix.Length..];
                return true;
            }
        }
        eaName = default;
        return false;
    }
}
