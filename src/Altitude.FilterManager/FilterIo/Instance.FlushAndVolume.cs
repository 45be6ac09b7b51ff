// FltFlushBuffers(2), FltQueryVolumeInformationFile and FltQueryVolumeInformation: fsync/fdatasync and statfs issued
// below this instance.
namespace Altitude;

/// <summary>FLUSH_FLAGS_* of FltFlushBuffers2.</summary>
[Flags]
public enum FlushFlags
{
    None = 0,
    /// <summary>FLUSH_FLAGS_FILE_DATA_ONLY: data only, no metadata (fdatasync).</summary>
    FileDataOnly = 0x1,
    /// <summary>FLUSH_FLAGS_NO_SYNC: accepted; Linux has no flush that skips the device cache, so it is an fsync.</summary>
    NoSync = 0x2,
    /// <summary>FLUSH_FLAGS_FILE_DATA_SYNC_ONLY: fdatasync, as <see cref="FileDataOnly"/>.</summary>
    FileDataSyncOnly = 0x4,
}

public sealed partial class Instance
{
    /// <summary>
    /// FltFlushBuffers / FltFlushBuffers2: IRP_MJ_FLUSH_BUFFERS on an open object (fsync; fdatasync with
    /// <see cref="FlushFlags.FileDataOnly"/> or <see cref="FlushFlags.FileDataSyncOnly"/>, minor IRP_MN_FLUSH_DATA_ONLY).
    /// STATUS_INVALID_PARAMETER before the object is open, STATUS_FILE_CLOSED after cleanup.
    /// </summary>
    public NtStatus FlushBuffers(FileObject fileObject, FlushFlags flags = FlushFlags.None)
    {
        NtStatus st = CheckOpen(fileObject);
        if (!st.IsSuccess()) return st;
        bool dataOnly = (flags & (FlushFlags.FileDataOnly | FlushFlags.FileDataSyncOnly)) != 0;
        CallbackData d = FilterIo.Allocate(Volume, this, fileObject, MajorFunction.FlushBuffers, dataOnly ? MinorFunction.FlushDataOnly : (byte)0);
        d.Iopb.Parameters.FlushBuffers.DataOnly = dataOnly;
        return FilterIo.Run(d, out _);
    }

    /// <summary>
    /// FltQueryVolumeInformationFile: IRP_MJ_QUERY_VOLUME_INFORMATION through <paramref name="fileObject"/> (statfs of the
    /// volume). Only FileFsSizeInformation and FileFsFullSizeInformation exist (STATUS_INVALID_INFO_CLASS otherwise); both
    /// give the whole <see cref="VolumeStatistics"/>.
    /// </summary>
    public NtStatus QueryVolumeInformationFile(FileObject fileObject, FsInformationClass informationClass, out VolumeStatistics statistics)
    {
        statistics = default;
        if (!IsOnThisVolume(fileObject)) return NtStatus.InvalidParameter;
        return QueryVolume(fileObject, informationClass, out statistics);
    }

    /// <summary>FltQueryVolumeInformation: as <see cref="QueryVolumeInformationFile"/> without a file object of the caller's.</summary>
    public NtStatus QueryVolumeInformation(FsInformationClass informationClass, out VolumeStatistics statistics)
        => QueryVolume(new FileObject(Volume) { Flags = FileObjectFlags.Transient }, informationClass, out statistics);

    private NtStatus QueryVolume(FileObject fileObject, FsInformationClass informationClass, out VolumeStatistics statistics)
    {
        statistics = default;
        if (informationClass is not (FsInformationClass.FileFsSizeInformation or FsInformationClass.FileFsFullSizeInformation))
            return NtStatus.InvalidInfoClass;
        CallbackData d = FilterIo.Allocate(Volume, this, fileObject, MajorFunction.QueryVolumeInformation);
        d.Iopb.Parameters.QueryVolumeInformation.FsInformationClass = informationClass;
        Volume.PerformOperation(d);
        statistics = d.Iopb.Parameters.QueryVolumeInformation.Statistics;
        NtStatus st = d.IoStatus.Status;
        d.Free();
        return st;
    }
}
