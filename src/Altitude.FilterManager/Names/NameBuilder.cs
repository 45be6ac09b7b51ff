// Builds paths from what the file system knows: the node table's (parent, name) chain for objects that are open or
// named by node, the parent's path plus the name for objects not open yet (pre-create, unlink, rename by name).
using System.Text;

namespace Altitude;

internal static class NameBuilder
{
    /// <summary>
    /// The path (from the volume root, beginning with '/') of what <paramref name="fo"/> stands for. Normalized: canonical,
    /// and for an object not open yet only the last component may be missing. Opened: as the caller named it.
    /// </summary>
    public static NtStatus PathOf(IFileNameSource source, FileObject fo, bool normalized, out string? path)
    {
        if (fo.NodeId != 0)
        {
            // The as-opened name of an open by name stays what the caller gave; everything else comes from the node.
            if (!normalized && !fo.FileName.IsEmpty) return ComposeNamed(source, fo, normalized: false, out path);
            return source.GetNodePath(fo.NodeId, out path);
        }
        if (fo.FileName.IsEmpty && fo.ParentNodeId == 0) return source.GetPath(default, out path);   // the root
        return ComposeNamed(source, fo, normalized, out path);
    }

    /// <summary>Parent path + '/' + name, or a path relative to the root.</summary>
    private static NtStatus ComposeNamed(IFileNameSource source, FileObject fo, bool normalized, out string? path)
    {
        path = null;
        ReadOnlySpan<byte> name = fo.FileName.Span;
        if (fo.ParentNodeId != 0)
        {
            NtStatus st = source.GetNodePath(fo.ParentNodeId, out string? parent);
            if (!st.IsSuccess()) return st;
            path = Join(parent!, name);
            return NtStatus.Success;
        }
        if (!normalized)
        {
            string text = Encoding.UTF8.GetString(name);
            path = text.StartsWith('/') ? text : "/" + text;
            return NtStatus.Success;
        }
        return RelativePath(source, name, out path);
    }

    /// <summary>The canonical path of a root-relative path whose last component may not exist yet.</summary>
    private static NtStatus RelativePath(IFileNameSource source, ReadOnlySpan<byte> name, out string? path)
    {
        path = null;
        while (name.Length > 1 && name[^1] == (byte)'/') name = name[..^1];
        int slash = name.LastIndexOf((byte)'/');
        ReadOnlySpan<byte> leaf = slash < 0 ? name : name[(slash + 1)..];
        if (leaf.IsEmpty || leaf.SequenceEqual("."u8) || leaf.SequenceEqual(".."u8)) return source.GetPath(name, out path);
        NtStatus st = source.GetPath(slash < 0 ? ReadOnlySpan<byte>.Empty : name[..slash], out string? parent);
        if (!st.IsSuccess()) return st == NtStatus.ObjectNameNotFound ? NtStatus.ObjectPathNotFound : st;
        path = Join(parent!, leaf);
        return NtStatus.Success;
    }

    /// <summary>The destination of a rename or link: the directory's path + the new leaf (or a root-relative path).</summary>
    public static NtStatus DestinationPath(IFileNameSource source, ulong directory, ReadOnlySpan<byte> name, out string? path)
    {
        path = null;
        if (directory == 0) return RelativePath(source, name, out path);
        NtStatus st = source.GetNodePath(directory, out string? parent);
        if (!st.IsSuccess()) return st;
        path = Join(parent!, name);
        return NtStatus.Success;
    }

    public static string Join(string parent, ReadOnlySpan<byte> leaf)
    {
        string l = Encoding.UTF8.GetString(leaf);
        return parent.EndsWith('/') ? parent + l : parent + "/" + l;
    }
}
