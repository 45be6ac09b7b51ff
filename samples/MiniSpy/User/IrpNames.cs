// The operation names the screen and file output print (PrintIrpCode in mspyLog.c): IRP_MJ_* for every major and
// pseudo-major, IRP_MN_* for the majors whose minor codes mean something.
namespace Altitude.Samples.MiniSpy.User;

internal static class IrpNames
{
    private static readonly Dictionary<byte, string> Majors = new()
    {
        [0x00] = "IRP_MJ_CREATE", [0x01] = "IRP_MJ_CREATE_NAMED_PIPE", [0x02] = "IRP_MJ_CLOSE", [0x03] = "IRP_MJ_READ",
        [0x04] = "IRP_MJ_WRITE", [0x05] = "IRP_MJ_QUERY_INFORMATION", [0x06] = "IRP_MJ_SET_INFORMATION", [0x07] = "IRP_MJ_QUERY_EA",
        [0x08] = "IRP_MJ_SET_EA", [0x09] = "IRP_MJ_FLUSH_BUFFERS", [0x0A] = "IRP_MJ_QUERY_VOLUME_INFORMATION",
        [0x0B] = "IRP_MJ_SET_VOLUME_INFORMATION", [0x0C] = "IRP_MJ_DIRECTORY_CONTROL", [0x0D] = "IRP_MJ_FILE_SYSTEM_CONTROL",
        [0x0E] = "IRP_MJ_DEVICE_CONTROL", [0x0F] = "IRP_MJ_INTERNAL_DEVICE_CONTROL", [0x10] = "IRP_MJ_SHUTDOWN",
        [0x11] = "IRP_MJ_LOCK_CONTROL", [0x12] = "IRP_MJ_CLEANUP", [0x13] = "IRP_MJ_CREATE_MAILSLOT", [0x14] = "IRP_MJ_QUERY_SECURITY",
        [0x15] = "IRP_MJ_SET_SECURITY", [0x16] = "IRP_MJ_POWER", [0x17] = "IRP_MJ_SYSTEM_CONTROL", [0x18] = "IRP_MJ_DEVICE_CHANGE",
        [0x19] = "IRP_MJ_QUERY_QUOTA", [0x1A] = "IRP_MJ_SET_QUOTA", [0x1B] = "IRP_MJ_PNP",
        [unchecked((byte)-1)] = "IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION", [unchecked((byte)-2)] = "IRP_MJ_RELEASE_FOR_SECTION_SYNCHRONIZATION",
        [unchecked((byte)-3)] = "IRP_MJ_ACQUIRE_FOR_MOD_WRITE", [unchecked((byte)-4)] = "IRP_MJ_RELEASE_FOR_MOD_WRITE",
        [unchecked((byte)-5)] = "IRP_MJ_ACQUIRE_FOR_CC_FLUSH", [unchecked((byte)-6)] = "IRP_MJ_RELEASE_FOR_CC_FLUSH",
        [unchecked((byte)-7)] = "IRP_MJ_NOTIFY_STREAM_FO_CREATION", [unchecked((byte)-13)] = "IRP_MJ_FAST_IO_CHECK_IF_POSSIBLE",
        [unchecked((byte)-14)] = "IRP_MJ_NETWORK_QUERY_OPEN", [unchecked((byte)-15)] = "IRP_MJ_MDL_READ",
        [unchecked((byte)-16)] = "IRP_MJ_MDL_READ_COMPLETE", [unchecked((byte)-17)] = "IRP_MJ_PREPARE_MDL_WRITE",
        [unchecked((byte)-18)] = "IRP_MJ_MDL_WRITE_COMPLETE", [unchecked((byte)-19)] = "IRP_MJ_VOLUME_MOUNT",
        [unchecked((byte)-20)] = "IRP_MJ_VOLUME_DISMOUNT", [unchecked((byte)-40)] = "IRP_MJ_TRANSACTION_NOTIFY",
    };

    private static readonly Dictionary<byte, string> ReadWriteMinors = new()
    {
        [0] = "IRP_MN_NORMAL", [1] = "IRP_MN_DPC", [2] = "IRP_MN_MDL", [3] = "IRP_MN_MDL_DPC", [4] = "IRP_MN_COMPLETE",
        [6] = "IRP_MN_COMPLETE_MDL", [7] = "IRP_MN_COMPLETE_MDL_DPC", [8] = "IRP_MN_COMPRESSED",
    };

    private static readonly Dictionary<byte, string> DirectoryMinors = new() { [1] = "IRP_MN_QUERY_DIRECTORY", [2] = "IRP_MN_NOTIFY_CHANGE_DIRECTORY" };

    private static readonly Dictionary<byte, string> FsControlMinors = new()
    {
        [0] = "IRP_MN_USER_FS_REQUEST", [1] = "IRP_MN_MOUNT_VOLUME", [2] = "IRP_MN_VERIFY_VOLUME", [3] = "IRP_MN_LOAD_FILE_SYSTEM",
        [4] = "IRP_MN_TRACK_LINK",
    };

    // 0x10 is Altitude's minor for F_GETLK (Windows has no lock query).
    private static readonly Dictionary<byte, string> LockMinors = new()
    {
        [1] = "IRP_MN_LOCK", [2] = "IRP_MN_UNLOCK_SINGLE", [3] = "IRP_MN_UNLOCK_ALL", [4] = "IRP_MN_UNLOCK_ALL_BY_KEY", [0x10] = "IRP_MN_QUERY_LOCK",
    };

    private static readonly Dictionary<byte, string> DeviceControlMinors = new() { [1] = "IRP_MN_SCSI_CLASS" };

    /// <summary>The major's name, or <c>Unknown Irp major function (%d)</c>.</summary>
    public static string Major(byte major) => Majors.TryGetValue(major, out var s) ? s : $"Unknown Irp major function ({major})";

    /// <summary>The minor's name for majors that have minor codes; null for the others.</summary>
    public static string? Minor(byte major, byte minor)
    {
        Dictionary<byte, string>? table = major switch
        {
            0x03 or 0x04 => ReadWriteMinors,
            0x0C => DirectoryMinors,
            0x0D => FsControlMinors,
            0x0E => DeviceControlMinors,
            0x11 => LockMinors,
            _ => null,
        };
        if (table is null) return null;
        return table.TryGetValue(minor, out var s) ? s : $"Unknown Irp minor code ({minor})";
    }

    /// <summary>The major whose name is <paramref name="name"/> (IRP_MJ_CREATE or CREATE, any case).</summary>
    public static bool TryParseMajor(string name, out byte major)
    {
        string n = name.Trim().ToUpperInvariant();
        if (!n.StartsWith("IRP_MJ_", StringComparison.Ordinal)) n = "IRP_MJ_" + n;
        foreach (var (code, text) in Majors)
            if (text == n) { major = code; return true; }
        major = 0;
        return false;
    }
}
