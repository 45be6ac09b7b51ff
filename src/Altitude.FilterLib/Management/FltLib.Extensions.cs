// Altitude extensions with no FltLib counterpart: volumes mounted and unmounted at run time, the Linux file system
// below a volume, and the statistics snapshot (docs/control-endpoint.md).
using Altitude.FilterLib.Control;

namespace Altitude.FilterLib;

public static partial class FltLib
{
    /// <summary>
    /// Altitude extension: mounts <paramref name="backingDirectory"/> at <paramref name="mountPoint"/> (the same path
    /// twice mounts in place) and returns the new volume's name; started filters attach as their instance flags say.
    /// Needs uid 0 (else 0x80070005).
    /// </summary>
    public static string FilterMountVolume(string backingDirectory, string mountPoint, string? controlSocket = null)
    {
        int hr = TryFilterMountVolume(backingDirectory, mountPoint, out var name, controlSocket);
        FilterException.ThrowIfFailed(hr, $"FilterMountVolume({backingDirectory}, {mountPoint})");
        return name!;
    }

    /// <inheritdoc cref="FilterMountVolume"/>
    public static int TryFilterMountVolume(string backingDirectory, string mountPoint, out string? volumeName, string? controlSocket = null)
    {
        string? name = null;
        int hr = Once(controlSocket, c => c.CallForString(MountRequest(backingDirectory, mountPoint), out name));
        volumeName = name;
        return hr;
    }

    /// <summary>Altitude extension: unmounts the volume at <paramref name="mountPointOrVolumeName"/>. Needs uid 0 (else 0x80070005).</summary>
    public static void FilterUnmountVolume(string mountPointOrVolumeName, string? controlSocket = null) =>
        FilterException.ThrowIfFailed(TryFilterUnmountVolume(mountPointOrVolumeName, controlSocket), $"FilterUnmountVolume({mountPointOrVolumeName})");

    /// <inheritdoc cref="FilterUnmountVolume"/>
    public static int TryFilterUnmountVolume(string mountPointOrVolumeName, string? controlSocket = null) =>
        Once(controlSocket, c => NameCall(c, ControlOperation.UnmountVolume, mountPointOrVolumeName));

    /// <summary>Altitude extension: the file system below the volume (e.g. "ext4"; FLT_FILESYSTEM_TYPE has no Linux values). 0x801F0014 for an unknown volume.</summary>
    public static int TryFilterGetVolumeFileSystemName(string volumeName, out string? fileSystemName, string? controlSocket = null)
    {
        string? text = null;
        int hr = Once(controlSocket, c => c.CallForString(new ControlRequest(ControlOperation.GetVolumeFileSystemName).With(volumeName), out text));
        fileSystemName = text;
        return hr;
    }

    /// <summary>Altitude extension: the engine's statistics snapshot as UTF-8 JSON (camelCase; <see cref="FilterStatistics"/> is its typed form).</summary>
    public static int TryFilterGetStatistics(out byte[]? json, string? controlSocket = null)
    {
        byte[]? result = null;
        int hr = Once(controlSocket, c => GetStatistics(c, out result));
        json = result;
        return hr;
    }

    internal static ControlRequest MountRequest(string backingDirectory, string mountPoint) =>
        new ControlRequest(ControlOperation.MountVolume).With(backingDirectory).With(mountPoint);

    /// <summary>Reads the snapshot in pieces (a reply carries at most 64 KiB): the endpoint serializes it at offset 0 and serves the rest from that copy.</summary>
    internal static int GetStatistics(ControlConnection c, out byte[]? json)
    {
        json = null;
        var all = new MemoryStream();
        uint total = 0;
        do
        {
            int hr = c.Call(new ControlRequest(ControlOperation.GetStatistics, argument: (uint)all.Length), int.MaxValue, out total, out var data);
            if (hr < 0) return hr;
            if (data.Length == 0 && all.Length < total) return HResults.InvalidData;
            all.Write(data.Span);
        } while (all.Length < total);
        json = all.ToArray();
        return HResults.S_OK;
    }
}
