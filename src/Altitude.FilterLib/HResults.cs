// The HRESULTs FilterLib returns, with the Windows values (spec section 0).
namespace Altitude.FilterLib;

/// <summary>HRESULT values of FltLib calls.</summary>
public static class HResults
{
    public const int S_OK = 0;
    /// <summary>HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND): no port of that name.</summary>
    public const int FileNotFound = unchecked((int)0x80070002);
    /// <summary>ERROR_TOO_MANY_OPEN_FILES: a handle the filter opened for the caller (a data-scan section) could not be installed in this process.</summary>
    public const int TooManyOpenFiles = unchecked((int)0x80070004);
    /// <summary>E_ACCESSDENIED: the port's security descriptor does not admit the caller.</summary>
    public const int AccessDenied = unchecked((int)0x80070005);
    /// <summary>E_HANDLE (ERROR_INVALID_HANDLE): the port is disconnected (the filter closed it or unloaded).</summary>
    public const int InvalidHandle = unchecked((int)0x80070006);
    /// <summary>ERROR_INVALID_DATA: an information entry whose lengths or offsets leave it, or a reply that is too short.</summary>
    public const int InvalidData = unchecked((int)0x8007000D);
    /// <summary>ERROR_ALREADY_EXISTS.</summary>
    public const int AlreadyExists = unchecked((int)0x800700B7);
    /// <summary>ERROR_BAD_EXE_FORMAT: FilterLoad of an assembly that does not load.</summary>
    public const int BadExeFormat = unchecked((int)0x800700C1);
    /// <summary>ERROR_NO_MORE_ITEMS: an enumeration found nothing (First) or reached its end (Next).</summary>
    public const int NoMoreItems = unchecked((int)0x80070103);
    /// <summary>ERROR_SERVICE_ALREADY_RUNNING: FilterLoad of a loaded filter.</summary>
    public const int ServiceAlreadyRunning = unchecked((int)0x80070420);
    /// <summary>ERROR_FLT_DO_NOT_ATTACH: InstanceSetup refused the attach, or the instance is flagged no-manual-attach.</summary>
    public const int FltDoNotAttach = unchecked((int)0x801F000F);
    /// <summary>ERROR_FLT_DO_NOT_DETACH: a vetoed detach or unload, or a filter without InstanceQueryTeardown / FilterUnload.</summary>
    public const int FltDoNotDetach = unchecked((int)0x801F0010);
    /// <summary>ERROR_FLT_INSTANCE_ALTITUDE_COLLISION: another instance on the volume has that altitude.</summary>
    public const int FltInstanceAltitudeCollision = unchecked((int)0x801F0011);
    /// <summary>ERROR_FLT_INSTANCE_NAME_COLLISION: an instance of that name exists on the volume.</summary>
    public const int FltInstanceNameCollision = unchecked((int)0x801F0012);
    /// <summary>ERROR_FLT_FILTER_NOT_FOUND.</summary>
    public const int FltFilterNotFound = unchecked((int)0x801F0013);
    /// <summary>ERROR_FLT_VOLUME_NOT_FOUND.</summary>
    public const int FltVolumeNotFound = unchecked((int)0x801F0014);
    /// <summary>ERROR_FLT_INSTANCE_NOT_FOUND.</summary>
    public const int FltInstanceNotFound = unchecked((int)0x801F0015);
    /// <summary>E_INVALIDARG.</summary>
    public const int InvalidArgument = unchecked((int)0x80070057);
    /// <summary>ERROR_INSUFFICIENT_BUFFER: a get buffer too small for the next message (which stays queued).</summary>
    public const int InsufficientBuffer = unchecked((int)0x8007007A);
    /// <summary>ERROR_MORE_DATA: a reply larger than the sender's reply buffer (it got the first part).</summary>
    public const int MoreData = unchecked((int)0x800700EA);
    /// <summary>ERROR_OPERATION_ABORTED: a get cancelled, or its handle closed.</summary>
    public const int OperationAborted = unchecked((int)0x800703E3);
    /// <summary>ERROR_IO_PENDING.</summary>
    public const int IoPending = unchecked((int)0x800703E5);
    /// <summary>ERROR_CONNECTION_COUNT_LIMIT: the port's MaxConnections is reached.</summary>
    public const int ConnectionCountLimit = unchecked((int)0x800704D6);
    /// <summary>ERROR_FLT_NO_WAITER_FOR_REPLY: unknown, late or duplicate reply, or no reply expected.</summary>
    public const int NoWaiterForReply = unchecked((int)0x801F0020);
}
