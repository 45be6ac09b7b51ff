// The control endpoint's MessageNotify: decodes one request (ControlRequestReader), runs it against the service or
// the engine, and writes the reply header (the HRESULT, a value) and data. A malformed request gets
// E_INVALIDARG in its reply; nothing a client sends ends the connection or reaches the engine unchecked.
using System.Text;
using Altitude.FilterLib;
using Altitude.FilterLib.Control;
using Microsoft.Extensions.Logging;

namespace Altitude.Daemon.Control;

internal sealed class ControlDispatcher(IManagementService service, ILogger logger)
{
    // Paths of the volume calls: PATH_MAX.
    private const int MaxPathChars = 4096;

    private FilterManager Manager => service.Manager;

    /// <summary>MessageNotify of the control port: one call per FilterSendMessage, on the connection's lane.</summary>
    public NtStatus MessageNotify(object? cookie, ReadOnlySpan<byte> input, Span<byte> output, out int returned)
    {
        returned = 0;
        // No room for the reply header: the transport status is the only answer.
        if (output.Length < ControlProtocol.ReplyHeaderSize) return NtStatus.InvalidBufferSize;
        var session = (ControlSession)cookie!;
        var data = output.Slice(ControlProtocol.ReplyHeaderSize);
        var request = new ControlRequestReader(input);
        uint value = 0;
        int length = 0;
        NtStatus st = request.IsValid ? Dispatch(session, ref request, data, ref value, ref length) : NtStatus.InvalidParameter;
        if (!st.IsSuccess() || st.IsWarning()) length = 0;
        ControlProtocol.WriteReplyHeader(output, StatusMapping.ToHResult(st), value);
        returned = ControlProtocol.ReplyHeaderSize + length;
        return NtStatus.Success;
    }

    private NtStatus Dispatch(ControlSession session, ref ControlRequestReader r, Span<byte> data, ref uint value, ref int length)
    {
        switch (r.Operation)
        {
            case ControlOperation.FilterLoad:
            case ControlOperation.FilterUnload:
            {
                if (!Read(ref r, ControlProtocol.MaxFilterNameChars, false, out var name) || !r.AtEnd) return NtStatus.InvalidParameter;
                if (!session.IsPrivileged) return Denied(session, r.Operation, name);
                NtStatus st = r.Operation == ControlOperation.FilterLoad ? service.LoadFilter(name!) : service.UnloadFilter(name!);
                return Logged(session, r.Operation, name, st);
            }
            case ControlOperation.FilterCreate:
            {
                if (!Read(ref r, ControlProtocol.MaxFilterNameChars, false, out var name) || !r.AtEnd) return NtStatus.InvalidParameter;
                return Manager.GetFilterFromName(name!, out _);
            }
            case ControlOperation.FilterGetInformation:
            {
                if (!Read(ref r, ControlProtocol.MaxFilterNameChars, false, out var name) || !r.AtEnd) return NtStatus.InvalidParameter;
                if (!IsClass(FindKind.Filters, r.InformationClass)) return NtStatus.InvalidParameter;
                NtStatus st = Manager.GetFilterFromName(name!, out var filter);
                if (!st.IsSuccess()) return st;
                return Encode(FindKind.Filters, r.InformationClass, ManagementView.Filter(filter!), data, ref value, ref length);
            }
            case ControlOperation.FilterInstanceCreate:
            case ControlOperation.FilterInstanceGetInformation:
            {
                bool get = r.Operation == ControlOperation.FilterInstanceGetInformation;
                if (!ReadTarget(ref r, out var filterName, out var volumeName)
                    || !Read(ref r, ControlProtocol.MaxFilterNameChars, optional: !get, out var instanceName) || !r.AtEnd) return NtStatus.InvalidParameter;
                if (get && !IsClass(FindKind.VolumeInstances, r.InformationClass)) return NtStatus.InvalidParameter;
                NtStatus st = Resolve(filterName!, volumeName!, out var filter, out var volume);
                if (!st.IsSuccess()) return st;
                var instance = ManagementView.FindInstance(volume!, filter!, instanceName);
                if (instance is null) return NtStatus.FltInstanceNotFound;
                if (get) return Encode(FindKind.VolumeInstances, r.InformationClass, ManagementView.Instance(instance), data, ref value, ref length);
                return Text(instance.Name, data, ref length);
            }
            case ControlOperation.FilterAttach:
            case ControlOperation.FilterAttachAtAltitude:
            {
                string? altitude = null;
                if (!ReadTarget(ref r, out var filterName, out var volumeName)) return NtStatus.InvalidParameter;
                if (r.Operation == ControlOperation.FilterAttachAtAltitude && !Read(ref r, ControlProtocol.MaxFilterNameChars, false, out altitude)) return NtStatus.InvalidParameter;
                if (!Read(ref r, ControlProtocol.MaxFilterNameChars, true, out var instanceName) || !r.AtEnd) return NtStatus.InvalidParameter;
                if (!session.IsPrivileged) return Denied(session, r.Operation, filterName);
                NtStatus st = Resolve(filterName!, volumeName!, out var filter, out var volume);
                Instance? instance = null;
                if (st.IsSuccess())
                    st = altitude is null ? filter!.AttachVolume(volume!, instanceName, out instance) : filter!.AttachVolumeAtAltitude(volume!, altitude, instanceName, out instance);
                // FltAttachVolume says OBJECT_NAME_COLLISION for a configured altitude already taken; FilterAttach says ERROR_FLT_INSTANCE_ALTITUDE_COLLISION.
                if (st == NtStatus.ObjectNameCollision) st = NtStatus.FltInstanceAltitudeCollision;
                Logged(session, r.Operation, filterName, st);
                return st.IsSuccess() ? Text(instance!.Name, data, ref length) : st;
            }
            case ControlOperation.FilterDetach:
            {
                if (!ReadTarget(ref r, out var filterName, out var volumeName)
                    || !Read(ref r, ControlProtocol.MaxFilterNameChars, true, out var instanceName) || !r.AtEnd) return NtStatus.InvalidParameter;
                if (!session.IsPrivileged) return Denied(session, r.Operation, filterName);
                NtStatus st = Resolve(filterName!, volumeName!, out var filter, out var volume);
                if (st.IsSuccess()) st = filter!.DetachVolume(volume!, instanceName);
                return Logged(session, r.Operation, filterName, st);
            }
            case ControlOperation.FindFirst:
                return FindFirst(session, ref r, data, ref value, ref length);
            case ControlOperation.FindNext:
            {
                if (!r.AtEnd) return NtStatus.InvalidParameter;
                var e = session.Find(r.Argument);
                if (e is null) return NtStatus.InvalidHandle;
                if (!IsClass(e.Kind, r.InformationClass)) return NtStatus.InvalidParameter;
                if (e.Position >= e.Items.Length) return NtStatus.NoMoreEntries;
                NtStatus st = Encode(e.Kind, r.InformationClass, e.Items[e.Position], data, ref value, ref length);
                // Too small a buffer does not advance: the caller retries with a larger one.
                if (st.IsSuccess()) e.Position++;
                return st;
            }
            case ControlOperation.FindClose:
                if (!r.AtEnd) return NtStatus.InvalidParameter;
                return session.Remove(r.Argument) ? NtStatus.Success : NtStatus.InvalidHandle;
            case ControlOperation.FilterGetDosName:
            case ControlOperation.GetVolumeFileSystemName:
            {
                if (!Read(ref r, ControlProtocol.MaxVolumeNameChars, false, out var volumeName) || !r.AtEnd) return NtStatus.InvalidParameter;
                NtStatus st = Manager.GetVolumeFromName(volumeName!, out var volume);
                if (!st.IsSuccess()) return st;
                return Text(r.Operation == ControlOperation.FilterGetDosName ? volume!.DosName ?? "" : volume!.FileSystem.TypeName, data, ref length);
            }
            case ControlOperation.MountVolume:
            {
                if (!Read(ref r, MaxPathChars, false, out var backing) || !Read(ref r, MaxPathChars, false, out var mountPoint) || !r.AtEnd) return NtStatus.InvalidParameter;
                if (!session.IsPrivileged) return Denied(session, r.Operation, mountPoint);
                NtStatus st = Logged(session, r.Operation, mountPoint, service.MountVolume(backing!, mountPoint!, out var volumeName));
                return st.IsSuccess() ? Text(volumeName ?? "", data, ref length) : st;
            }
            case ControlOperation.UnmountVolume:
            {
                if (!Read(ref r, MaxPathChars, false, out var mountPoint) || !r.AtEnd) return NtStatus.InvalidParameter;
                if (!session.IsPrivileged) return Denied(session, r.Operation, mountPoint);
                return Logged(session, r.Operation, mountPoint, service.UnmountVolume(mountPoint!));
            }
            case ControlOperation.GetStatistics:
            {
                if (!r.AtEnd) return NtStatus.InvalidParameter;
                if (r.Argument == 0) session.Statistics = ControlStatistics.Serialize(Manager);
                var json = session.Statistics;
                if (json is null || r.Argument > json.Length) return NtStatus.InvalidParameter;
                value = (uint)json.Length;
                length = Math.Min(data.Length, json.Length - (int)r.Argument);
                json.AsSpan((int)r.Argument, length).CopyTo(data);
                return NtStatus.Success;
            }
            default:
                return NtStatus.InvalidParameter;
        }
    }

    private NtStatus FindFirst(ControlSession session, ref ControlRequestReader r, Span<byte> data, ref uint value, ref int length)
    {
        var kind = (FindKind)r.Argument;
        string? name = null;
        if (kind is FindKind.FilterInstances or FindKind.VolumeInstances)
        {
            int max = kind == FindKind.FilterInstances ? ControlProtocol.MaxFilterNameChars : ControlProtocol.MaxVolumeNameChars;
            if (!Read(ref r, max, false, out name)) return NtStatus.InvalidParameter;
        }
        else if (kind is not (FindKind.Filters or FindKind.Volumes)) return NtStatus.InvalidParameter;
        if (!r.AtEnd || !IsClass(kind, r.InformationClass)) return NtStatus.InvalidParameter;

        object[] items;
        switch (kind)
        {
            case FindKind.Filters:
                items = ManagementView.Filters(Manager);
                break;
            case FindKind.Volumes:
                items = ManagementView.Volumes(Manager);
                break;
            case FindKind.FilterInstances:
            {
                NtStatus st = Manager.GetFilterFromName(name!, out var filter);
                if (!st.IsSuccess()) return st;
                items = ManagementView.FilterInstances(Manager, filter!);
                break;
            }
            default:
            {
                NtStatus st = Manager.GetVolumeFromName(name!, out var volume);
                if (!st.IsSuccess()) return st;
                items = ManagementView.VolumeInstances(volume!);
                break;
            }
        }
        if (items.Length == 0) return NtStatus.NoMoreEntries;
        NtStatus encoded = Encode(kind, r.InformationClass, items[0], data, ref value, ref length);
        // Too small a buffer on First: no handle (the needed size is in the value).
        if (!encoded.IsSuccess()) return encoded;
        var enumeration = new ControlSession.Enumeration(kind, items) { Position = 1 };
        if (!session.TryOpen(enumeration, out uint id)) { length = 0; return NtStatus.InsufficientResources; }
        value = id;
        return NtStatus.Success;
    }

    /// <summary>Whether <paramref name="informationClass"/> is one of the classes of that kind of object.</summary>
    private static bool IsClass(FindKind kind, uint informationClass) => kind switch
    {
        FindKind.Filters => informationClass <= (uint)FilterInformationClass.FilterAggregateStandardInformation,
        FindKind.Volumes => informationClass <= (uint)FilterVolumeInformationClass.FilterVolumeStandardInformation,
        _ => informationClass <= (uint)InstanceInformationClass.InstanceAggregateStandardInformation,
    };

    /// <summary>One entry into the reply data; STATUS_BUFFER_TOO_SMALL with the size needed in <paramref name="value"/>.</summary>
    private static NtStatus Encode(FindKind kind, uint informationClass, object item, Span<byte> data, ref uint value, ref int length)
    {
        int size = kind switch
        {
            FindKind.Filters => InformationLayout.EncodeFilter((FilterInfo)item, (FilterInformationClass)informationClass, data),
            FindKind.Volumes => InformationLayout.EncodeVolume((VolumeInfo)item, (FilterVolumeInformationClass)informationClass, data),
            _ => InformationLayout.EncodeInstance((InstanceInfo)item, (InstanceInformationClass)informationClass, data),
        };
        if (size < 0) return NtStatus.InvalidParameter;
        if (size > data.Length)
        {
            value = (uint)size;
            return NtStatus.BufferTooSmall;
        }
        length = size;
        return NtStatus.Success;
    }

    private static NtStatus Text(string text, Span<byte> data, ref int length)
    {
        if (Encoding.Unicode.GetByteCount(text) > data.Length) return NtStatus.BufferTooSmall;
        length = Encoding.Unicode.GetBytes(text, data);
        return NtStatus.Success;
    }

    private static bool Read(ref ControlRequestReader r, int maxChars, bool optional, out string? value) => r.TryReadString(maxChars, optional, out value);

    /// <summary>The (filter, volume) pair that attach, detach and the instance calls start with.</summary>
    private static bool ReadTarget(ref ControlRequestReader r, out string? filterName, out string? volumeName)
    {
        volumeName = null;
        return r.TryReadString(ControlProtocol.MaxFilterNameChars, false, out filterName) && r.TryReadString(ControlProtocol.MaxVolumeNameChars, false, out volumeName);
    }

    private NtStatus Resolve(string filterName, string volumeName, out Filter? filter, out Volume? volume)
    {
        volume = null;
        NtStatus st = Manager.GetFilterFromName(filterName, out filter);
        return st.IsSuccess() ? Manager.GetVolumeFromName(volumeName, out volume) : st;
    }

    private NtStatus Denied(ControlSession session, ControlOperation operation, string? target)
    {
        logger.LogWarning("Control endpoint: {Operation}({Target}) from uid {Uid} (pid {Pid}) refused: needs uid 0", operation, target, session.UserId, session.ProcessId);
        return NtStatus.AccessDenied;
    }

    private NtStatus Logged(ControlSession session, ControlOperation operation, string? target, NtStatus status)
    {
        logger.LogInformation("Control endpoint: {Operation}({Target}) from pid {Pid}: {Status}", operation, target, session.ProcessId, status.Describe());
        return status;
    }
}
