// The control endpoint's wire format (docs/control-endpoint.md): one FilterSendMessage request and its reply per
// management call. Shared by FilterLib (which writes requests and reads replies) and fltmgrd (which reads requests
// and writes replies), so the two cannot disagree.
using System.Buffers.Binary;
using System.Text;

namespace Altitude.FilterLib.Control;

/// <summary>The management calls the control endpoint serves (the request's first field).</summary>
public enum ControlOperation : uint
{
    FilterLoad = 1,
    FilterUnload = 2,
    FilterCreate = 3,
    FilterGetInformation = 4,
    FilterInstanceCreate = 5,
    FilterInstanceGetInformation = 6,
    FilterAttach = 7,
    FilterAttachAtAltitude = 8,
    FilterDetach = 9,
    FindFirst = 10,
    FindNext = 11,
    FindClose = 12,
    FilterGetDosName = 13,
    MountVolume = 14,
    UnmountVolume = 15,
    GetStatistics = 16,
    /// <summary>Altitude extension: the Linux file system below a volume (what FLT_FILESYSTEM_TYPE cannot name).</summary>
    GetVolumeFileSystemName = 17,
}

/// <summary>What a <see cref="ControlOperation.FindFirst"/> enumerates (its <see cref="ControlRequest.Argument"/>).</summary>
public enum FindKind : uint
{
    /// <summary>FilterFindFirst: every filter, highest altitude first.</summary>
    Filters = 1,
    /// <summary>FilterInstanceFindFirst: the instances of one filter, by volume (in mount order), each volume's from the top.</summary>
    FilterInstances = 2,
    /// <summary>FilterVolumeFindFirst: every volume, in mount order.</summary>
    Volumes = 3,
    /// <summary>FilterVolumeInstanceFindFirst: the instances on one volume, from the top (highest altitude first).</summary>
    VolumeInstances = 4,
}

/// <summary>The fixed part of every request and reply, and the limits on their strings.</summary>
public static class ControlProtocol
{
    /// <summary>Request: Operation (u32), InformationClass (u32), Argument (u32); then the operation's strings.</summary>
    public const int RequestHeaderSize = 12;
    /// <summary>Reply: HResult (i32), Value (u32); then the data.</summary>
    public const int ReplyHeaderSize = 8;
    /// <summary>A string's u16 byte length that means "absent" (a NULL argument).</summary>
    public const ushort AbsentString = 0xFFFF;
    /// <summary>FILTER_NAME_MAX_CHARS and INSTANCE_NAME_MAX_CHARS.</summary>
    public const int MaxFilterNameChars = 255;
    /// <summary>VOLUME_NAME_MAX_CHARS.</summary>
    public const int MaxVolumeNameChars = 1024;
    /// <summary>The environment variable that names the control socket when no path is given.</summary>
    public const string SocketVariable = "ALTITUDE_CONTROL_SOCKET";
    /// <summary>The control socket without an argument or <see cref="SocketVariable"/>.</summary>
    public const string DefaultSocketPath = "/run/altitude/control";

    /// <summary>The control socket: the argument, else $ALTITUDE_CONTROL_SOCKET, else /run/altitude/control.</summary>
    public static string ResolveSocketPath(string? argument)
    {
        if (!string.IsNullOrEmpty(argument)) return argument;
        var env = Environment.GetEnvironmentVariable(SocketVariable);
        return string.IsNullOrEmpty(env) ? DefaultSocketPath : env;
    }

    /// <summary>Writes the reply header into <paramref name="reply"/> (at least <see cref="ReplyHeaderSize"/> bytes).</summary>
    public static void WriteReplyHeader(Span<byte> reply, int hresult, uint value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(reply, hresult);
        BinaryPrimitives.WriteUInt32LittleEndian(reply.Slice(4), value);
    }
}

/// <summary>One request as built by FilterLib: the header fields and the strings, in order.</summary>
public sealed class ControlRequest
{
    private readonly List<string?> strings = new(4);

    public ControlRequest(ControlOperation operation, uint informationClass = 0, uint argument = 0)
    {
        Operation = operation; InformationClass = informationClass; Argument = argument;
    }

    public ControlOperation Operation { get; }
    public uint InformationClass { get; }
    /// <summary>FindFirst: the <see cref="FindKind"/>; FindNext/FindClose: the enumeration id; GetStatistics: the byte offset.</summary>
    public uint Argument { get; }

    /// <summary>Appends a string argument (null: absent).</summary>
    public ControlRequest With(string? value)
    {
        strings.Add(value);
        return this;
    }

    /// <summary>The request bytes: the header, then per string a u16 byte length (0xFFFF = absent) and its UTF-16LE code units.</summary>
    public byte[] ToBytes()
    {
        int size = ControlProtocol.RequestHeaderSize;
        foreach (var s in strings) size += 2 + (s is null ? 0 : Encoding.Unicode.GetByteCount(s));
        var bytes = new byte[size];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)Operation);
        BinaryPrimitives.WriteUInt32LittleEndian(span.Slice(4), InformationClass);
        BinaryPrimitives.WriteUInt32LittleEndian(span.Slice(8), Argument);
        int at = ControlProtocol.RequestHeaderSize;
        foreach (var s in strings)
        {
            if (s is null)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(span.Slice(at), ControlProtocol.AbsentString);
                at += 2;
                continue;
            }
            int n = Encoding.Unicode.GetBytes(s, span.Slice(at + 2));
            // A string longer than the u16 can say is cut to a length the reader refuses (odd): never silently short.
            BinaryPrimitives.WriteUInt16LittleEndian(span.Slice(at), n >= ControlProtocol.AbsentString ? (ushort)0xFFFD : (ushort)n);
            at += 2 + n;
        }
        return bytes;
    }
}

/// <summary>Reads a request (fltmgrd side): the header, then the strings one by one; every read checks the bounds.</summary>
public ref struct ControlRequestReader
{
    private readonly ReadOnlySpan<byte> request;
    private int position;

    public ControlRequestReader(ReadOnlySpan<byte> request)
    {
        this.request = request;
        position = ControlProtocol.RequestHeaderSize;
        IsValid = request.Length >= ControlProtocol.RequestHeaderSize;
        if (!IsValid) return;
        Operation = (ControlOperation)BinaryPrimitives.ReadUInt32LittleEndian(request);
        InformationClass = BinaryPrimitives.ReadUInt32LittleEndian(request.Slice(4));
        Argument = BinaryPrimitives.ReadUInt32LittleEndian(request.Slice(8));
    }

    /// <summary>False when the request is shorter than the header.</summary>
    public bool IsValid { get; }
    public ControlOperation Operation { get; }
    public uint InformationClass { get; }
    public uint Argument { get; }

    /// <summary>
    /// The next string: false when it runs past the request, has an odd byte length, or is longer than
    /// <paramref name="maxChars"/>; an absent string is accepted only when <paramref name="optional"/>.
    /// </summary>
    public bool TryReadString(int maxChars, bool optional, out string? value)
    {
        value = null;
        if (request.Length - position < 2) return false;
        ushort length = BinaryPrimitives.ReadUInt16LittleEndian(request.Slice(position));
        position += 2;
        if (length == ControlProtocol.AbsentString) return optional;
        if ((length & 1) != 0 || length / 2 > maxChars || request.Length - position < length) return false;
        value = Encoding.Unicode.GetString(request.Slice(position, length));
        position += length;
        return true;
    }

    /// <summary>True when every byte was read (trailing bytes make a request malformed).</summary>
    public readonly bool AtEnd => position == request.Length;
}
