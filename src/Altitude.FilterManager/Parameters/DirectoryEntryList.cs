// The entries of one QUERY_DIRECTORY reply, filled by the file system and editable by filters on the
// way up (a filter that hides a name removes its entry). Storage is reused between operations.
namespace Altitude;

/// <summary>One directory entry. The name lives in the owning list's buffer.</summary>
public struct DirectoryEntry
{
    public ulong FileId;
    /// <summary>The position after this entry (pass it as the next QUERY_DIRECTORY cookie).</summary>
    public long Cookie;
    /// <summary>DT_* type from getdents (DT_DIR 4, DT_REG 8, DT_LNK 10...).</summary>
    public byte Type;
    internal int NameOffset;
    internal int NameLength;
}

/// <summary>An editable, reusable list of directory entries with their names as raw bytes.</summary>
public sealed class DirectoryEntryList
{
    private DirectoryEntry[] entries = new DirectoryEntry[64];
    private byte[] names = new byte[4096];
    private int nameBytes;

    public int Count { get; private set; }

    /// <summary>Entries added since <see cref="Clear"/>, those removed since included.</summary>
    public int AddedCount { get; private set; }

    /// <summary>
    /// The cookie of the last entry added (0 while none was). <see cref="RemoveAt"/> leaves it: after a filter removed
    /// every entry of a batch, the listing goes on from here (an empty reply would end it).
    /// </summary>
    public long ResumeCookie { get; private set; }

    /// <summary>The entry at <paramref name="index"/>, by reference so a filter can edit its fields.</summary>
    public ref DirectoryEntry this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
            return ref entries[index];
        }
    }

    /// <summary>The name bytes of entry <paramref name="index"/> (valid until the list changes).</summary>
    public ReadOnlySpan<byte> GetName(int index)
    {
        ref DirectoryEntry e = ref this[index];
        return names.AsSpan(e.NameOffset, e.NameLength);
    }

    /// <summary>Appends an entry (grows the storage the first times, then reuses it).</summary>
    public void Add(ulong fileId, long cookie, byte type, ReadOnlySpan<byte> name)
    {
        if (Count == entries.Length) Array.Resize(ref entries, entries.Length * 2);
        if (nameBytes + name.Length > names.Length) Array.Resize(ref names, Math.Max(names.Length * 2, nameBytes + name.Length));
        name.CopyTo(names.AsSpan(nameBytes));
        entries[Count++] = new DirectoryEntry { FileId = fileId, Cookie = cookie, Type = type, NameOffset = nameBytes, NameLength = name.Length };
        nameBytes += name.Length;
        AddedCount++;
        ResumeCookie = cookie;
    }

    /// <summary>Removes entry <paramref name="index"/>; the entries after it move down (their cookies stay valid).</summary>
    public void RemoveAt(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
        Array.Copy(entries, index + 1, entries, index, Count - index - 1);
        Count--;
    }

    /// <summary>Index of the first entry named <paramref name="name"/>, or -1.</summary>
    public int IndexOf(ReadOnlySpan<byte> name)
    {
        for (int i = 0; i < Count; i++)
            if (GetName(i).SequenceEqual(name)) return i;
        return -1;
    }

    /// <summary>
    /// Makes this list a copy of <paramref name="source"/>: its entries, names, <see cref="AddedCount"/> and
    /// <see cref="ResumeCookie"/>. A filter that swapped in its own list (swapBuffers) copies it back in its post-op.
    /// </summary>
    public void CopyFrom(DirectoryEntryList source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (ReferenceEquals(source, this)) return;
        if (entries.Length < source.Count) entries = new DirectoryEntry[source.entries.Length];
        if (names.Length < source.nameBytes) names = new byte[source.names.Length];
        Array.Copy(source.entries, entries, source.Count);
        Array.Copy(source.names, names, source.nameBytes);
        Count = source.Count;
        nameBytes = source.nameBytes;
        AddedCount = source.AddedCount;
        ResumeCookie = source.ResumeCookie;
    }

    public void Clear()
    {
        Count = 0;
        nameBytes = 0;
        AddedCount = 0;
        ResumeCookie = 0;
    }
}
