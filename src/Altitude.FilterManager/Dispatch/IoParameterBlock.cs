// FLT_IO_PARAMETER_BLOCK and IO_STATUS_BLOCK (the requestor is Requestor.cs).
namespace Altitude;

/// <summary>What the operation is and what it targets. Call <see cref="CallbackData.SetDirty"/> after editing it.</summary>
public sealed class IoParameterBlock
{
    public MajorFunction MajorFunction;
    public byte MinorFunction;
    /// <summary>IRP_* flags (IRP_NOCACHE 0x1 for O_DIRECT, IRP_SYNCHRONOUS_API 0x4...).</summary>
    public uint IrpFlags;
    /// <summary>SL_* flags (SL_OPEN_TARGET_DIRECTORY...).</summary>
    public byte OperationFlags;
    public FileObject? TargetFileObject;
    public Instance? TargetInstance;
    public readonly FltParameters Parameters = new();

    public const uint IrpNocache = 0x1, IrpPagingIo = 0x2, IrpSynchronousApi = 0x4, IrpSynchronousPagingIo = 0x40;

    /// <summary>
    /// Altitude's: the caller may not keep set-user-id and set-group-id bits (it lacks CAP_FSETID), so this WRITE,
    /// SET_INFORMATION (EndOfFile, Allocation) or truncating CREATE clears them as ext4 would (FUSE_WRITE_KILL_SUIDGID,
    /// FATTR_KILL_SUIDGID, FUSE_OPEN_KILL_SUIDGID). Far above the Windows IRP_* bits.
    /// </summary>
    public const uint IrpClearSetId = 0x8000_0000;

    internal void Clear()
    {
        MajorFunction = MajorFunction.Create;
        MinorFunction = 0;
        IrpFlags = 0;
        OperationFlags = 0;
        TargetFileObject = null;
        TargetInstance = null;
        Parameters.Clear();
    }
}

/// <summary>IO_STATUS_BLOCK: the final status and the operation-specific count (bytes moved, create disposition...).</summary>
public struct IoStatusBlock
{
    public NtStatus Status;
    public long Information;

    public IoStatusBlock(NtStatus status, long information) { Status = status; Information = information; }
    public override readonly string ToString() => $"{Status.Describe()}:{Information}";
}
