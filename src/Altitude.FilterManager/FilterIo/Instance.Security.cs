// FltQuerySecurityObject and FltSetSecurityObject over Linux owner, group, mode and POSIX access ACL. The mapping is in
// docs/deviations.md ("Security descriptors"): ACEs for the owner (S-1-22-1-uid), named users, the owning group
// (S-1-22-2-gid), named groups and Everyone, each granting what the kernel grants that class (named entries and the group
// masked by ACL_MASK). Setting issues SET_SECURITY (chown/chmod) and, for the ACL, SET_EA of system.posix_acl_access:
// what the FUSE front-end sends for chmod, chown and setfacl.
using System.Buffers;
using System.Buffers.Binary;

namespace Altitude;

public sealed partial class Instance
{
    private static ReadOnlyMemory<byte> PosixAclAccessName { get; } = "system.posix_acl_access"u8.ToArray();
    private const ushort AclUserObj = 0x01, AclUser = 0x02, AclGroupObj = 0x04, AclGroup = 0x08, AclMask = 0x10, AclOther = 0x20;
    private const uint AclUndefinedId = uint.MaxValue;

    /// <summary>
    /// FltQuerySecurityObject: a self-relative security descriptor with the parts <paramref name="securityInformation"/> asks
    /// for (owner, group, DACL; a SACL is never present). STATUS_BUFFER_TOO_SMALL when it does not fit; <paramref name="lengthNeeded"/>
    /// is then the length needed (and otherwise the length written).
    /// </summary>
    public NtStatus QuerySecurityObject(FileObject fileObject, SecurityInformation securityInformation, Span<byte> securityDescriptor, out int lengthNeeded)
    {
        lengthNeeded = 0;
        if (!IsOnThisVolume(fileObject)) return NtStatus.InvalidParameter;
        bool wantDacl = (securityInformation & SecurityInformation.Dacl) != 0;
        byte[]? acl = wantDacl ? ArrayPool<byte>.Shared.Rent(XattrMax) : null;
        try
        {
            NtStatus st = QuerySecurityBelow(fileObject, securityInformation, acl, out QuerySecurityParameters q);
            if (!st.IsSuccess()) return st;
            AccessControlEntry[] dacl = wantDacl ? DaclOf(q, acl!.AsSpan(0, q.AclLength)) : Array.Empty<AccessControlEntry>();
            return FileSecurityDescriptor.Write(securityInformation, q.Uid, q.Gid, dacl, securityDescriptor, out lengthNeeded);
        }
        finally
        {
            if (acl is not null) ArrayPool<byte>.Shared.Return(acl);
        }
    }

    /// <summary>
    /// FltSetSecurityObject: applies the parts <paramref name="securityInformation"/> names from a self-relative descriptor.
    /// The owner must be S-1-22-1-uid (else STATUS_INVALID_OWNER), the group S-1-22-2-gid (STATUS_INVALID_PRIMARY_GROUP).
    /// DACL: allow ACEs only (a deny ACE: STATUS_NOT_SUPPORTED); ACEs for the owner, the owning group and Everyone set the
    /// mode's user, group and other bits (set-uid, set-gid and sticky bits are kept); ACEs for other users and groups become a
    /// POSIX access ACL, and without them an existing ACL is removed; LocalSystem and Administrators ACEs are ignored (root
    /// passes every permission check on Linux). A NULL DACL is mode 0777. Not atomic: owner and mode are set before the ACL.
    /// </summary>
    public NtStatus SetSecurityObject(FileObject fileObject, SecurityInformation securityInformation, ReadOnlySpan<byte> securityDescriptor)
    {
        if (!IsOnThisVolume(fileObject)) return NtStatus.InvalidParameter;
        NtStatus st = FileSecurityDescriptor.Parse(securityDescriptor, out FileSecurity? sd);
        if (!st.IsSuccess()) return st;
        bool setOwner = (securityInformation & SecurityInformation.Owner) != 0, setGroup = (securityInformation & SecurityInformation.Group) != 0;
        bool setDacl = (securityInformation & SecurityInformation.Dacl) != 0;
        if (setOwner && sd!.OwnerUid is null) return NtStatus.InvalidOwner;
        if (setGroup && sd!.GroupGid is null) return NtStatus.InvalidPrimaryGroup;
        if (!setOwner && !setGroup && !setDacl) return NtStatus.Success;

        byte[] acl = ArrayPool<byte>.Shared.Rent(XattrMax);
        try
        {
            st = QuerySecurityBelow(fileObject, SecurityInformation.Owner | SecurityInformation.Group | SecurityInformation.Dacl, acl, out QuerySecurityParameters current);
            if (!st.IsSuccess()) return st;
            uint uid = setOwner ? sd!.OwnerUid!.Value : current.Uid;
            uint gid = setGroup ? sd!.GroupGid!.Value : current.Gid;
            uint mode = current.Mode & 0xFFF;
            int aclLength = 0;
            if (setDacl)
            {
                st = ModeAndAclOf(sd!, uid, gid, acl, out uint rwx, out aclLength);
                if (!st.IsSuccess()) return st;
                mode = (current.Mode & 0xE00) | rwx;
            }

            CallbackData d = FilterIo.Allocate(Volume, this, fileObject, MajorFunction.SetSecurity);
            ref SecurityParameters p = ref d.Iopb.Parameters.SetSecurity;
            p.SecurityInformation = securityInformation & (SecurityInformation.Owner | SecurityInformation.Group | SecurityInformation.Dacl);
            p.Uid = uid;
            p.Gid = gid;
            p.Mode = mode;
            st = FilterIo.Run(d, out _);
            if (!st.IsSuccess() || !setDacl) return st;
            if (aclLength == 0 && current.AclLength == 0) return st;

            d = FilterIo.Allocate(Volume, this, fileObject, MajorFunction.SetEa);
            ref EaParameters ea = ref d.Iopb.Parameters.SetEa;
            ea.EaName = PosixAclAccessName;
            ea.Buffer = acl.AsMemory(0, aclLength);
            ea.Flags = aclLength == 0 ? EaParameters.RemoveFlag : 0;
            st = FilterIo.Run(d, out _);
            return aclLength == 0 && st == NtStatus.NoEasOnFile ? NtStatus.Success : st;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(acl);
        }
    }

    private NtStatus QuerySecurityBelow(FileObject fo, SecurityInformation parts, byte[]? aclBuffer, out QuerySecurityParameters result)
    {
        CallbackData d = FilterIo.Allocate(Volume, this, fo, MajorFunction.QuerySecurity);
        ref QuerySecurityParameters p = ref d.Iopb.Parameters.QuerySecurity;
        p.SecurityInformation = parts;
        p.AclBuffer = aclBuffer;
        Volume.PerformOperation(d);
        result = d.Iopb.Parameters.QuerySecurity;
        NtStatus st = d.IoStatus.Status;
        d.Free();
        if (result.AclLength < 0 || (aclBuffer is not null && result.AclLength > aclBuffer.Length)) result.AclLength = 0;
        return st;
    }

    /// <summary>The DACL that presents <paramref name="q"/>: from the ACL when there is a valid one, else from the mode.</summary>
    private static AccessControlEntry[] DaclOf(in QuerySecurityParameters q, ReadOnlySpan<byte> acl)
    {
        bool directory = (q.Mode & 0xF000) == 0x4000;
        if (acl.Length < 4 + 8 * 4 || (acl.Length - 4) % 8 != 0 || BinaryPrimitives.ReadUInt32LittleEndian(acl) != 2)
        {
            return new[]
            {
                new AccessControlEntry(true, FileSecurityDescriptor.MaskOf((q.Mode >> 6) & 7, true, directory), TrusteeKind.User, q.Uid),
                new AccessControlEntry(true, FileSecurityDescriptor.MaskOf((q.Mode >> 3) & 7, false, directory), TrusteeKind.Group, q.Gid),
                new AccessControlEntry(true, FileSecurityDescriptor.MaskOf(q.Mode & 7, false, directory), TrusteeKind.Everyone, 0),
            };
        }
        int n = (acl.Length - 4) / 8;
        uint mask = 7;
        for (int i = 0; i < n; i++)
            if (BinaryPrimitives.ReadUInt16LittleEndian(acl[(4 + 8 * i)..]) == AclMask) mask = BinaryPrimitives.ReadUInt16LittleEndian(acl[(6 + 8 * i)..]) & 7u;
        // Order: owner, named users, owning group, named groups, everyone (the kernel's own order of classes).
        var aces = new List<AccessControlEntry>(n);
        foreach (ushort want in new[] { AclUserObj, AclUser, AclGroupObj, AclGroup, AclOther })
        {
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<byte> e = acl.Slice(4 + 8 * i, 8);
                if (BinaryPrimitives.ReadUInt16LittleEndian(e) != want) continue;
                uint perm = BinaryPrimitives.ReadUInt16LittleEndian(e[2..]) & 7u;
                uint id = BinaryPrimitives.ReadUInt32LittleEndian(e[4..]);
                aces.Add(want switch
                {
                    AclUserObj => new AccessControlEntry(true, FileSecurityDescriptor.MaskOf(perm, true, directory), TrusteeKind.User, q.Uid),
                    AclUser => new AccessControlEntry(true, FileSecurityDescriptor.MaskOf(perm & mask, false, directory), TrusteeKind.User, id),
                    AclGroupObj => new AccessControlEntry(true, FileSecurityDescriptor.MaskOf(perm & mask, false, directory), TrusteeKind.Group, q.Gid),
                    AclGroup => new AccessControlEntry(true, FileSecurityDescriptor.MaskOf(perm & mask, false, directory), TrusteeKind.Group, id),
                    _ => new AccessControlEntry(true, FileSecurityDescriptor.MaskOf(perm, false, directory), TrusteeKind.Everyone, 0),
                });
            }
        }
        return aces.ToArray();
    }

    /// <summary>The mode bits and, when there are named entries, the POSIX ACL xattr (into <paramref name="acl"/>) a DACL asks for.</summary>
    private static NtStatus ModeAndAclOf(FileSecurity sd, uint uid, uint gid, byte[] acl, out uint rwx, out int aclLength)
    {
        rwx = 0;
        aclLength = 0;
        if (sd.Dacl is null)
        {
            rwx = 0x1FF;   // a NULL DACL grants everything to everyone
            return NtStatus.Success;
        }
        uint user = 0, group = 0, other = 0;
        int named = 0;
        foreach (AccessControlEntry ace in sd.Dacl)
        {
            if (!ace.Allow) return NtStatus.NotSupported;
            uint bits = FileSecurityDescriptor.RwxOf(ace.AccessMask);
            switch (ace.Trustee)
            {
                case TrusteeKind.User when ace.Id == uid: user |= bits; break;
                case TrusteeKind.Group when ace.Id == gid: group |= bits; break;
                case TrusteeKind.Everyone: other |= bits; break;
                case TrusteeKind.User or TrusteeKind.Group: named++; break;
            }
        }
        rwx = (user << 6) | (group << 3) | other;
        if (named == 0) return NtStatus.Success;

        // Named entries: USER_OBJ, USER..., GROUP_OBJ, GROUP..., MASK (the union of the group class), OTHER; ids ascending
        // within a tag is what the kernel checks, so entries for one id are merged and sorted.
        var users = new SortedDictionary<uint, uint>();
        var groups = new SortedDictionary<uint, uint>();
        foreach (AccessControlEntry ace in sd.Dacl)
        {
            uint bits = FileSecurityDescriptor.RwxOf(ace.AccessMask);
            if (ace.Trustee == TrusteeKind.User && ace.Id != uid) users[ace.Id] = (users.TryGetValue(ace.Id, out uint u) ? u : 0) | bits;
            else if (ace.Trustee == TrusteeKind.Group && ace.Id != gid) groups[ace.Id] = (groups.TryGetValue(ace.Id, out uint g) ? g : 0) | bits;
        }
        uint mask = group;
        foreach (uint v in users.Values) mask |= v;
        foreach (uint v in groups.Values) mask |= v;
        int count = 4 + users.Count + groups.Count;
        if (4 + 8 * count > acl.Length) return NtStatus.InvalidAcl;
        Span<byte> x = acl;
        BinaryPrimitives.WriteUInt32LittleEndian(x, 2);
        int at = 4;
        void Entry(Span<byte> b, ushort tag, uint perm, uint id)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(b[at..], tag);
            BinaryPrimitives.WriteUInt16LittleEndian(b[(at + 2)..], (ushort)perm);
            BinaryPrimitives.WriteUInt32LittleEndian(b[(at + 4)..], id);
            at += 8;
        }
        Entry(x, AclUserObj, user, AclUndefinedId);
        foreach (var (id, perm) in users) Entry(x, AclUser, perm, id);
        Entry(x, AclGroupObj, group, AclUndefinedId);
        foreach (var (id, perm) in groups) Entry(x, AclGroup, perm, id);
        Entry(x, AclMask, mask, AclUndefinedId);
        Entry(x, AclOther, other, AclUndefinedId);
        aclLength = at;
        // With an ACL the mode's group bits are the mask (the kernel keeps them so).
        rwx = (user << 6) | (mask << 3) | other;
        return NtStatus.Success;
    }
}
