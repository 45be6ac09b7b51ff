// Self-relative SECURITY_DESCRIPTORs for files, as FltQuerySecurityObject returns and FltSetSecurityObject takes them:
// owner S-1-22-1-uid, group S-1-22-2-gid, and a protected DACL of allow ACEs (docs/deviations.md, "Security descriptors").
// Layout: SECURITY_DESCRIPTOR_RELATIVE {Revision 1, Sbz1, Control, OffsetOwner, OffsetGroup, OffsetSacl, OffsetDacl},
// then owner SID, group SID, ACL {AclRevision 2, Sbz1, AclSize, AceCount, Sbz2} and ACCESS_ALLOWED_ACEs
// {AceType, AceFlags, AceSize, Mask, SID}.
using System.Buffers.Binary;

namespace Altitude;

/// <summary>The parts of a parsed file security descriptor. Null parts were absent.</summary>
public sealed class FileSecurity
{
    public uint? OwnerUid { get; init; }
    public uint? GroupGid { get; init; }
    /// <summary>SE_DACL_PRESENT was set.</summary>
    public bool DaclPresent { get; init; }
    /// <summary>The DACL in order; null with <see cref="DaclPresent"/> is a NULL DACL (everyone, everything).</summary>
    public IReadOnlyList<AccessControlEntry>? Dacl { get; init; }
}

/// <summary>Writes and parses self-relative file security descriptors in Altitude's SID vocabulary.</summary>
public static class FileSecurityDescriptor
{
    public const ushort SeDaclPresent = 0x0004, SeDaclProtected = 0x1000, SeSelfRelative = 0x8000;
    private const int HeaderSize = 20, AclHeaderSize = 8, AceHeaderSize = 8;
    private const byte AccessAllowedAceType = 0, AccessDeniedAceType = 1;

    /// <summary>
    /// Writes a descriptor with the parts <paramref name="parts"/> asks for. STATUS_BUFFER_TOO_SMALL when
    /// <paramref name="destination"/> is shorter than <paramref name="length"/>, which is always the length needed.
    /// </summary>
    public static NtStatus Write(SecurityInformation parts, uint uid, uint gid, ReadOnlySpan<AccessControlEntry> dacl, Span<byte> destination, out int length)
    {
        bool owner = (parts & SecurityInformation.Owner) != 0, group = (parts & SecurityInformation.Group) != 0, withDacl = (parts & SecurityInformation.Dacl) != 0;
        length = HeaderSize + (owner ? SecurityDescriptor.SidLength(TrusteeKind.User) : 0) + (group ? SecurityDescriptor.SidLength(TrusteeKind.Group) : 0);
        int aclSize = AclHeaderSize;
        for (int i = 0; i < dacl.Length; i++) aclSize += AceHeaderSize + SecurityDescriptor.SidLength(dacl[i].Trustee);
        if (withDacl) length += aclSize;
        if (destination.Length < length) return NtStatus.BufferTooSmall;

        Span<byte> sd = destination[..length];
        sd.Clear();
        sd[0] = 1;
        ushort control = SeSelfRelative;
        if (withDacl) control |= SeDaclPresent | SeDaclProtected;   // nothing inherits from the parent on Linux
        BinaryPrimitives.WriteUInt16LittleEndian(sd[2..], control);
        int at = HeaderSize;
        if (owner)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(sd[4..], (uint)at);
            at += SecurityDescriptor.WriteSid(sd[at..], TrusteeKind.User, uid);
        }
        if (group)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(sd[8..], (uint)at);
            at += SecurityDescriptor.WriteSid(sd[at..], TrusteeKind.Group, gid);
        }
        if (withDacl)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(sd[16..], (uint)at);
            Span<byte> acl = sd.Slice(at, aclSize);
            acl[0] = 2;
            BinaryPrimitives.WriteUInt16LittleEndian(acl[2..], (ushort)aclSize);
            BinaryPrimitives.WriteUInt16LittleEndian(acl[4..], (ushort)dacl.Length);
            int a = AclHeaderSize;
            foreach (AccessControlEntry ace in dacl)
            {
                int size = AceHeaderSize + SecurityDescriptor.SidLength(ace.Trustee);
                acl[a] = ace.Allow ? AccessAllowedAceType : AccessDeniedAceType;
                BinaryPrimitives.WriteUInt16LittleEndian(acl[(a + 2)..], (ushort)size);
                BinaryPrimitives.WriteUInt32LittleEndian(acl[(a + 4)..], ace.AccessMask);
                SecurityDescriptor.WriteSid(acl[(a + 8)..], ace.Trustee, ace.Id);
                a += size;
            }
        }
        return NtStatus.Success;
    }

    /// <summary>
    /// Parses a self-relative descriptor. STATUS_INVALID_SECURITY_DESCR for a malformed or absolute one, STATUS_INVALID_OWNER
    /// / STATUS_INVALID_PRIMARY_GROUP for an owner that is not S-1-22-1-uid or a group that is not S-1-22-2-gid,
    /// STATUS_INVALID_ACL for a malformed DACL or a SID outside the vocabulary, STATUS_NOT_SUPPORTED for ACE types other
    /// than allow and deny.
    /// </summary>
    public static NtStatus Parse(ReadOnlySpan<byte> descriptor, out FileSecurity? security)
    {
        security = null;
        if (descriptor.Length < HeaderSize || descriptor[0] != 1) return NtStatus.InvalidSecurityDescriptor;
        ushort control = BinaryPrimitives.ReadUInt16LittleEndian(descriptor[2..]);
        if ((control & SeSelfRelative) == 0) return NtStatus.InvalidSecurityDescriptor;
        uint ownerAt = BinaryPrimitives.ReadUInt32LittleEndian(descriptor[4..]);
        uint groupAt = BinaryPrimitives.ReadUInt32LittleEndian(descriptor[8..]);
        uint daclAt = BinaryPrimitives.ReadUInt32LittleEndian(descriptor[16..]);
        uint? uid = null, gid = null;
        if (ownerAt != 0)
        {
            if (ownerAt >= descriptor.Length) return NtStatus.InvalidSecurityDescriptor;
            if (!SecurityDescriptor.TryReadSid(descriptor[(int)ownerAt..], out var kind, out uint id, out _) || kind != TrusteeKind.User) return NtStatus.InvalidOwner;
            uid = id;
        }
        if (groupAt != 0)
        {
            if (groupAt >= descriptor.Length) return NtStatus.InvalidSecurityDescriptor;
            if (!SecurityDescriptor.TryReadSid(descriptor[(int)groupAt..], out var kind, out uint id, out _) || kind != TrusteeKind.Group) return NtStatus.InvalidPrimaryGroup;
            gid = id;
        }
        bool present = (control & SeDaclPresent) != 0;
        AccessControlEntry[]? aces = null;
        if (present && daclAt != 0)
        {
            if (daclAt > descriptor.Length - AclHeaderSize) return NtStatus.InvalidSecurityDescriptor;
            ReadOnlySpan<byte> acl = descriptor[(int)daclAt..];
            int aclSize = BinaryPrimitives.ReadUInt16LittleEndian(acl[2..]);
            int count = BinaryPrimitives.ReadUInt16LittleEndian(acl[4..]);
            if (acl[0] is not (2 or 4) || aclSize < AclHeaderSize || aclSize > acl.Length) return NtStatus.InvalidAcl;
            acl = acl[..aclSize];
            aces = new AccessControlEntry[count];
            int a = AclHeaderSize;
            for (int i = 0; i < count; i++)
            {
                if (a + AceHeaderSize > acl.Length) return NtStatus.InvalidAcl;
                byte type = acl[a];
                int size = BinaryPrimitives.ReadUInt16LittleEndian(acl[(a + 2)..]);
                if (size < AceHeaderSize + 8 || a + size > acl.Length) return NtStatus.InvalidAcl;
                if (type is not (AccessAllowedAceType or AccessDeniedAceType)) return NtStatus.NotSupported;
                uint mask = BinaryPrimitives.ReadUInt32LittleEndian(acl[(a + 4)..]);
                if (!SecurityDescriptor.TryReadSid(acl.Slice(a + 8, size - AceHeaderSize), out var kind, out uint id, out _)) return NtStatus.InvalidAcl;
                aces[i] = new AccessControlEntry(type == AccessAllowedAceType, mask, kind, id);
                a += size;
            }
        }
        security = new FileSecurity { OwnerUid = uid, GroupGid = gid, DaclPresent = present, Dacl = aces };
        return NtStatus.Success;
    }

    // ---- rwx <-> access masks ----

    internal const uint FileGenericRead = 0x00120089, FileGenericWrite = 0x00120116, FileGenericExecute = 0x001200A0,
        FileDeleteChild = 0x40, OwnerRights = 0x000E0000 /* READ_CONTROL | WRITE_DAC | WRITE_OWNER: chmod, chgrp */;
    private const uint GenericAll = 0x10000000, GenericExecute = 0x20000000, GenericWrite = 0x40000000, GenericRead = 0x80000000;

    /// <summary>The mask of an allow ACE for the permission bits <paramref name="rwx"/> (4 r, 2 w, 1 x).</summary>
    internal static uint MaskOf(uint rwx, bool owner, bool directory)
    {
        uint mask = owner ? OwnerRights : 0;
        if ((rwx & 4) != 0) mask |= FileGenericRead;
        if ((rwx & 2) != 0) mask |= FileGenericWrite | (directory ? FileDeleteChild : 0);
        if ((rwx & 1) != 0) mask |= FileGenericExecute;
        return mask;
    }

    /// <summary>The permission bits an access mask grants: FILE_READ_DATA → r, FILE_WRITE_DATA → w, FILE_EXECUTE → x (or the generic rights).</summary>
    internal static uint RwxOf(uint mask)
    {
        uint rwx = 0;
        if ((mask & (0x1 | GenericRead | GenericAll)) != 0) rwx |= 4;
        if ((mask & (0x2 | GenericWrite | GenericAll)) != 0) rwx |= 2;
        if ((mask & (0x20 | GenericExecute | GenericAll)) != 0) rwx |= 1;
        return rwx;
    }
}
