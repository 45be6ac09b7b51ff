// READDIR and READDIRPLUS: one DIRECTORY_CONTROL / QUERY_DIRECTORY whose editable entry list (filters may hide or
// change entries in their post-ops) is encoded into fuse_dirent or fuse_direntplus records.
using System.Runtime.InteropServices;
using Altitude.Fuse.Kernel;

namespace Altitude.Fuse.Bridge;

internal sealed partial class FuseBridge
{
    private long readDirRequests, readDirPlusRequests;

    /// <summary>Listing requests received, by opcode (diagnostics and tests: which one the kernel chose).</summary>
    internal long ReadDirRequests => Volatile.Read(ref readDirRequests);
    internal long ReadDirPlusRequests => Volatile.Read(ref readDirPlusRequests);

    public void ReadDir(FuseRequest r)
    {
        Interlocked.Increment(ref r.Opcode == FuseOpcode.READDIRPLUS ? ref readDirPlusRequests : ref readDirRequests);
        RequestState s = StateOf(r);
        ref fuse_read_in a = ref r.In<fuse_read_in>();
        OpenHandle? h = handles.Get(a.fh);
        if (h is null) { r.ReplyError(9 /* EBADF */); return; }
        s.Handle = h;
        int size = (int)Math.Min(a.size, (uint)FuseServer.MaxReplyPayload);
        r.EnsureReplyCapacity(size);   // rented here, on the reader: the reply may be encoded on a thread that must not wait
        PrepareQuery(s, (long)a.offset, size);
        Run(s);
    }

    /// <summary>One QUERY_DIRECTORY from <paramref name="cookie"/> for a reply of at most <paramref name="size"/> bytes.</summary>
    private static void PrepareQuery(RequestState s, long cookie, int size)
    {
        s.Entries.Clear();
        ref DirectoryControlParameters p = ref Begin(s, MajorFunction.DirectoryControl, s.Handle!.File, MinorFunction.QueryDirectory).Iopb.Parameters.DirectoryControl;
        p.FileInformationClass = FileInformationClass.FileIdBothDirectoryInformation;
        p.Cookie = cookie;
        // getdents records are about the size of fuse_dirent; direntplus records are ~150 bytes larger, so ask for less.
        p.Length = (uint)(s.Opcode == FuseOpcode.READDIRPLUS ? Math.Max(size / 5, 512) : size);
        p.Entries = s.Entries;
    }

    private bool CompleteReadDir(RequestState s)
    {
        FuseRequest r = s.Request;
        int errno = ErrnoOf(s);
        if (errno != 0) { r.ReplyError(errno); return false; }
        ref DirectoryControlParameters query = ref s.Data.Iopb.Parameters.DirectoryControl;
        DirectoryEntryList entries = query.Entries ?? s.Entries;
        int size = (int)Math.Min(r.In<fuse_read_in>().size, (uint)FuseServer.MaxReplyPayload);
        // Filters removed every entry of a batch that was not the last: an empty reply would end the listing (the
        // kernel takes it as the end of the directory), so the same request asks for the next batch, from where this
        // one ended. The loop ends with entries to send or with the file system's STATUS_NO_MORE_FILES.
        if (entries.Count == 0 && entries.AddedCount > 0 && entries.ResumeCookie != query.Cookie)
        {
            PrepareQuery(s, entries.ResumeCookie, size);
            return true;
        }
        Span<byte> output = r.ReplySpace[..size];
        bool plus = s.Opcode == FuseOpcode.READDIRPLUS;
        CachePolicy p = policy;
        // With metadata filters (stable NETWORK_QUERY_OPEN ones too: they answer each name once), READDIRPLUS hands out
        // no nodes (nodeid 0): each name then goes through LOOKUP, where filters see (and may hide) it. Otherwise each
        // entry is looked up here and counts as a kernel lookup.
        bool lookups = plus && p.ListingLookups;
        ulong directory = s.Handle!.File.NodeId;
        int used = 0;
        for (int i = 0; i < entries.Count; i++)
        {
            ref DirectoryEntry entry = ref entries[i];
            ReadOnlySpan<byte> name = entries.GetName(i);
            int header = plus ? DirentPlusSize : DirentSize;
            int record = (header + name.Length + 7) & ~7;
            if (used + record > output.Length) break;   // the kernel asks again from the last cookie
            Span<byte> rec = output.Slice(used, record);
            rec.Clear();
            ref fuse_dirent d = ref MemoryMarshal.AsRef<fuse_dirent>(rec[(header - 24)..]);
            d.ino = entry.FileId;
            d.off = (ulong)entry.Cookie;
            d.namelen = (uint)name.Length;
            d.type = entry.Type;
            name.CopyTo(rec[header..]);
            if (lookups && !IsDotOrDotDot(name))
            {
                ref fuse_entry_out e = ref MemoryMarshal.AsRef<fuse_entry_out>(rec);
                if (fileSystem.LookupNode(directory, name, out ulong node, out ulong generation, out FileStatInformation attr).IsSuccess())
                {
                    NoteNode(node);
                    e.nodeid = node;
                    e.generation = generation;
                    FuseAttributes.SetTimeouts(ref e, p.EntryTimeout, AttrTimeoutFor(node, p.EntryAttrTimeout));
                    FuseAttributes.Fill(ref e.attr, in attr);
                }
            }
            used += record;
        }
        if (r.Reply(used) != 0 && lookups) ForgetListed(output[..used]);
        return false;
    }

    /// <summary>The reply never arrived: give back the lookups its direntplus records carried.</summary>
    private void ForgetListed(ReadOnlySpan<byte> records)
    {
        int header = DirentPlusSize;
        for (int at = 0; at + header <= records.Length;)
        {
            fuse_direntplus d = MemoryMarshal.Read<fuse_direntplus>(records[at..]);
            if (d.entry_out.nodeid != 0) nodes.Forget(d.entry_out.nodeid, 1);
            at += (header + (int)d.dirent.namelen + 7) & ~7;
        }
    }

    private const int DirentSize = 24, DirentPlusSize = 152;

    private static bool IsDotOrDotDot(ReadOnlySpan<byte> name)
        => name.Length == 1 ? name[0] == '.' : name.Length == 2 && name[0] == '.' && name[1] == '.';
}
