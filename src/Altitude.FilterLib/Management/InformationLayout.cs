// The byte layouts of the information classes (fltUserStructures.h), encoded by fltmgrd and decoded by FilterLib:
// the one place either side knows an offset. Little-endian; strings are UTF-16LE, not NUL-terminated, lengths in
// bytes. Structures with *BufferOffset fields put their strings right after the fixed part (sizeof the C structure),
// in field order, at offsets from the start of the structure; the two with an inline name (FILTER_FULL_INFORMATION,
// FILTER_VOLUME_*) put it at the name field. Each call returns one entry, so NextEntryOffset is 0; an entry starts
// at an 8-byte boundary of the caller's buffer (docs/control-endpoint.md has every offset).
using System.Buffers.Binary;
using System.Text;

namespace Altitude.FilterLib;

/// <summary>Encoders (one entry per call) and decoders of the information classes.</summary>
public static class InformationLayout
{
    /// <summary>FIELD_OFFSET(FILTER_FULL_INFORMATION, FilterNameBuffer).</summary>
    public const int FilterFullFixedSize = 14;
    /// <summary>sizeof(FILTER_AGGREGATE_BASIC_INFORMATION).</summary>
    public const int FilterAggregateBasicFixedSize = 24;
    /// <summary>sizeof(FILTER_AGGREGATE_STANDARD_INFORMATION).</summary>
    public const int FilterAggregateStandardFixedSize = 28;
    /// <summary>FIELD_OFFSET(FILTER_VOLUME_BASIC_INFORMATION, FilterVolumeName).</summary>
    public const int VolumeBasicFixedSize = 2;
    /// <summary>FIELD_OFFSET(FILTER_VOLUME_STANDARD_INFORMATION, FilterVolumeName).</summary>
    public const int VolumeStandardFixedSize = 18;
    /// <summary>sizeof(INSTANCE_BASIC_INFORMATION).</summary>
    public const int InstanceBasicFixedSize = 8;
    /// <summary>sizeof(INSTANCE_PARTIAL_INFORMATION).</summary>
    public const int InstancePartialFixedSize = 12;
    /// <summary>sizeof(INSTANCE_FULL_INFORMATION).</summary>
    public const int InstanceFullFixedSize = 20;
    /// <summary>sizeof(INSTANCE_AGGREGATE_STANDARD_INFORMATION) with the Windows 8 SupportedFeatures field.</summary>
    public const int InstanceAggregateStandardFixedSize = 40;

    /// <summary>The bytes <paramref name="filter"/> needs in class <paramref name="c"/>, written to <paramref name="destination"/> when it is large enough; -1 for an unknown class.</summary>
    public static int EncodeFilter(FilterInfo filter, FilterInformationClass c, Span<byte> destination)
    {
        int name = Bytes(filter.Name), altitude = Bytes(filter.Altitude);
        switch (c)
        {
            case FilterInformationClass.FilterFullInformation:
            {
                int size = FilterFullFixedSize + name;
                if (destination.Length < size) return size;
                var d = Clear(destination, size);
                U32(d, 4, (uint)filter.FrameId);
                U32(d, 8, (uint)filter.NumberOfInstances);
                U16(d, 12, name);
                Encoding.Unicode.GetBytes(filter.Name, d.Slice(FilterFullFixedSize));
                return size;
            }
            case FilterInformationClass.FilterAggregateBasicInformation:
            {
                int size = FilterAggregateBasicFixedSize + name + altitude;
                if (destination.Length < size) return size;
                var d = Clear(destination, size);
                U32(d, 4, FilterInformationFlags.IsMiniFilter);
                U32(d, 8, (uint)filter.FrameId);
                U32(d, 12, (uint)filter.NumberOfInstances);
                int at = FilterAggregateBasicFixedSize;
                Put(d, ref at, filter.Name, 16);
                Put(d, ref at, filter.Altitude, 20);
                return size;
            }
            case FilterInformationClass.FilterAggregateStandardInformation:
            {
                int size = FilterAggregateStandardFixedSize + name + altitude;
                if (destination.Length < size) return size;
                var d = Clear(destination, size);
                U32(d, 4, FilterInformationFlags.IsMiniFilter);
                // MiniFilter.Flags (8) has no values defined.
                U32(d, 12, (uint)filter.FrameId);
                U32(d, 16, (uint)filter.NumberOfInstances);
                int at = FilterAggregateStandardFixedSize;
                Put(d, ref at, filter.Name, 20);
                Put(d, ref at, filter.Altitude, 24);
                return size;
            }
            default:
                return -1;
        }
    }

    /// <inheritdoc cref="EncodeFilter"/>
    public static int EncodeVolume(VolumeInfo volume, FilterVolumeInformationClass c, Span<byte> destination)
    {
        int name = Bytes(volume.Name);
        switch (c)
        {
            case FilterVolumeInformationClass.FilterVolumeBasicInformation:
            {
                int size = VolumeBasicFixedSize + name;
                if (destination.Length < size) return size;
                var d = Clear(destination, size);
                U16(d, 0, name);
                Encoding.Unicode.GetBytes(volume.Name, d.Slice(VolumeBasicFixedSize));
                return size;
            }
            case FilterVolumeInformationClass.FilterVolumeStandardInformation:
            {
                int size = VolumeStandardFixedSize + name;
                if (destination.Length < size) return size;
                var d = Clear(destination, size);
                U32(d, 4, volume.Detached ? FilterInformationFlags.DetachedVolume : 0);
                U32(d, 8, (uint)volume.FrameId);
                U32(d, 12, (uint)volume.FileSystemType);
                U16(d, 16, name);
                Encoding.Unicode.GetBytes(volume.Name, d.Slice(VolumeStandardFixedSize));
                return size;
            }
            default:
                return -1;
        }
    }

    /// <inheritdoc cref="EncodeFilter"/>
    public static int EncodeInstance(InstanceInfo instance, InstanceInformationClass c, Span<byte> destination)
    {
        int inst = Bytes(instance.InstanceName), alt = Bytes(instance.Altitude), vol = Bytes(instance.VolumeName), flt = Bytes(instance.FilterName);
        int size = c switch
        {
            InstanceInformationClass.InstanceBasicInformation => InstanceBasicFixedSize + inst,
            InstanceInformationClass.InstancePartialInformation => InstancePartialFixedSize + inst + alt,
            InstanceInformationClass.InstanceFullInformation => InstanceFullFixedSize + inst + alt + vol + flt,
            InstanceInformationClass.InstanceAggregateStandardInformation => InstanceAggregateStandardFixedSize + inst + alt + vol + flt,
            _ => -1,
        };
        if (size < 0 || destination.Length < size) return size;
        var d = Clear(destination, size);
        if (c == InstanceInformationClass.InstanceAggregateStandardInformation)
        {
            U32(d, 4, FilterInformationFlags.IsMiniFilter);
            U32(d, 8, instance.Detached ? FilterInformationFlags.DetachedVolume : 0);
            U32(d, 12, (uint)instance.FrameId);
            U32(d, 16, (uint)instance.VolumeFileSystemType);
            int at = InstanceAggregateStandardFixedSize;
            Put(d, ref at, instance.InstanceName, 20);
            Put(d, ref at, instance.Altitude, 24);
            Put(d, ref at, instance.VolumeName, 28);
            Put(d, ref at, instance.FilterName, 32);
            U32(d, 36, instance.SupportedFeatures);
            return size;
        }
        // Basic, Partial and Full share their leading fields: each adds pairs after the previous one's.
        int next = c switch
        {
            InstanceInformationClass.InstanceBasicInformation => InstanceBasicFixedSize,
            InstanceInformationClass.InstancePartialInformation => InstancePartialFixedSize,
            _ => InstanceFullFixedSize,
        };
        Put(d, ref next, instance.InstanceName, 4);
        if (c == InstanceInformationClass.InstanceBasicInformation) return size;
        Put(d, ref next, instance.Altitude, 8);
        if (c == InstanceInformationClass.InstancePartialInformation) return size;
        Put(d, ref next, instance.VolumeName, 12);
        Put(d, ref next, instance.FilterName, 16);
        return size;
    }

    /// <summary>
    /// Decodes one entry of class <paramref name="c"/> (legacy-filter arms included). Fields the class does not carry
    /// are "" or 0. Throws <see cref="FilterException"/> with ERROR_INVALID_DATA for an entry whose lengths or
    /// offsets leave it, and E_INVALIDARG for an unknown class.
    /// </summary>
    public static FilterInfo DecodeFilter(ReadOnlySpan<byte> entry, FilterInformationClass c)
    {
        switch (c)
        {
            case FilterInformationClass.FilterFullInformation:
                Need(entry, FilterFullFixedSize);
                return new FilterInfo(Inline(entry, 12, FilterFullFixedSize), "", (int)R32(entry, 8), (int)R32(entry, 4), false);
            case FilterInformationClass.FilterAggregateBasicInformation:
                Need(entry, FilterAggregateBasicFixedSize);
                if ((R32(entry, 4) & FilterInformationFlags.IsLegacyFilter) != 0)
                    return new FilterInfo(At(entry, 8), "", 0, 0, true);
                return new FilterInfo(At(entry, 16), At(entry, 20), (int)R32(entry, 12), (int)R32(entry, 8), false);
            case FilterInformationClass.FilterAggregateStandardInformation:
                Need(entry, FilterAggregateStandardFixedSize);
                if ((R32(entry, 4) & FilterInformationFlags.IsLegacyFilter) != 0)
                    return new FilterInfo(At(entry, 12), At(entry, 16), 0, 0, true);
                return new FilterInfo(At(entry, 20), At(entry, 24), (int)R32(entry, 16), (int)R32(entry, 12), false);
            default:
                throw new FilterException(HResults.InvalidArgument, $"information class {c} does not exist");
        }
    }

    /// <inheritdoc cref="DecodeFilter"/>
    public static VolumeInfo DecodeVolume(ReadOnlySpan<byte> entry, FilterVolumeInformationClass c)
    {
        switch (c)
        {
            case FilterVolumeInformationClass.FilterVolumeBasicInformation:
                Need(entry, VolumeBasicFixedSize);
                return new VolumeInfo(Inline(entry, 0, VolumeBasicFixedSize), null, FltFilesystemType.Unknown, "", 0, false);
            case FilterVolumeInformationClass.FilterVolumeStandardInformation:
                Need(entry, VolumeStandardFixedSize);
                return new VolumeInfo(Inline(entry, 16, VolumeStandardFixedSize), null, (FltFilesystemType)R32(entry, 12), "", (int)R32(entry, 8),
                    (R32(entry, 4) & FilterInformationFlags.DetachedVolume) != 0);
            default:
                throw new FilterException(HResults.InvalidArgument, $"information class {c} does not exist");
        }
    }

    /// <inheritdoc cref="DecodeFilter"/>
    public static InstanceInfo DecodeInstance(ReadOnlySpan<byte> entry, InstanceInformationClass c)
    {
        switch (c)
        {
            case InstanceInformationClass.InstanceBasicInformation:
                Need(entry, InstanceBasicFixedSize);
                return new InstanceInfo("", At(entry, 4), "", "", null, 0, FltFilesystemType.Unknown, 0, false);
            case InstanceInformationClass.InstancePartialInformation:
                Need(entry, InstancePartialFixedSize);
                return new InstanceInfo("", At(entry, 4), At(entry, 8), "", null, 0, FltFilesystemType.Unknown, 0, false);
            case InstanceInformationClass.InstanceFullInformation:
                Need(entry, InstanceFullFixedSize);
                return new InstanceInfo(At(entry, 16), At(entry, 4), At(entry, 8), At(entry, 12), null, 0, FltFilesystemType.Unknown, 0, false);
            case InstanceInformationClass.InstanceAggregateStandardInformation:
                Need(entry, InstanceAggregateStandardFixedSize);
                if ((R32(entry, 4) & FilterInformationFlags.IsLegacyFilter) != 0)
                    // LegacyFilter arm: Flags (8), then Altitude, VolumeName, FilterName pairs from 12, SupportedFeatures at 24.
                    return new InstanceInfo(At(entry, 20), "", At(entry, 12), At(entry, 16), null, 0, FltFilesystemType.Unknown, R32(entry, 24),
                        (R32(entry, 8) & FilterInformationFlags.DetachedVolume) != 0);
                return new InstanceInfo(At(entry, 32), At(entry, 20), At(entry, 24), At(entry, 28), null, (int)R32(entry, 12),
                    (FltFilesystemType)R32(entry, 16), R32(entry, 36), (R32(entry, 8) & FilterInformationFlags.DetachedVolume) != 0);
            default:
                throw new FilterException(HResults.InvalidArgument, $"information class {c} does not exist");
        }
    }

    private static int Bytes(string s) => Encoding.Unicode.GetByteCount(s);

    private static Span<byte> Clear(Span<byte> destination, int size)
    {
        var d = destination.Slice(0, size);
        d.Clear();
        return d;
    }

    private static void U16(Span<byte> d, int at, int value) => BinaryPrimitives.WriteUInt16LittleEndian(d.Slice(at), (ushort)value);
    private static void U32(Span<byte> d, int at, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(d.Slice(at), value);
    private static uint R32(ReadOnlySpan<byte> e, int at) => BinaryPrimitives.ReadUInt32LittleEndian(e.Slice(at));

    /// <summary>Writes <paramref name="s"/> at <paramref name="at"/> and its (length, offset) pair at <paramref name="field"/>.</summary>
    private static void Put(Span<byte> d, ref int at, string s, int field)
    {
        int n = Encoding.Unicode.GetBytes(s, d.Slice(at));
        U16(d, field, n);
        U16(d, field + 2, at);
        at += n;
    }

    private static void Need(ReadOnlySpan<byte> e, int size)
    {
        if (e.Length < size) throw Invalid();
    }

    /// <summary>The string of a (length, offset) pair at <paramref name="field"/>.</summary>
    private static string At(ReadOnlySpan<byte> e, int field)
    {
        int length = BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(field));
        int offset = BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(field + 2));
        if ((length & 1) != 0 || offset + length > e.Length) throw Invalid();
        return Encoding.Unicode.GetString(e.Slice(offset, length));
    }

    /// <summary>The inline string whose length is at <paramref name="lengthField"/> and whose characters start at <paramref name="start"/>.</summary>
    private static string Inline(ReadOnlySpan<byte> e, int lengthField, int start)
    {
        int length = BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(lengthField));
        if ((length & 1) != 0 || start + length > e.Length) throw Invalid();
        return Encoding.Unicode.GetString(e.Slice(start, length));
    }

    private static FilterException Invalid() => new(HResults.InvalidData, "the information entry's lengths or offsets leave it");
}
