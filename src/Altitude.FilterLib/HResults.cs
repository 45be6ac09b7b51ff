// The HRESULTs FilterLib returns, with the Windows values (spec section 0).
namespace Altitude.FilterLib;

/// <summary>HRESULT values of FltLib calls.</summary>
public static class HResults
{
    public const int S_OK = 0;
    /// <summary>HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND): no port of that name.</summary>
    public const int FileNotFound = unchecked((int)0x80070002);
    /// <summary>E_ACCESSDENIED: the port's security descriptor does not admit the caller.</summary>
    public const int AccessDenied = unchecked((int)0x80070005);
    /// <summary>E_HANDLE (ERROR_INVALID_HANDLE): the port is disconnected (the filter closed it or unloaded).</summary>
    public const int InvalidHandle = unchecked((int)0x80070006);
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
