// The three communication port callbacks of FltCreateCommunicationPort.
namespace Altitude;

/// <summary>
/// ConnectNotify: runs on the connection's lane (a port worker) while the client waits in
/// FilterConnectCommunicationPort. <paramref name="connectionContext"/> is the client's context (at most
/// 65535 bytes), valid only during the call. Store <paramref name="clientPort"/> for SendMessage and
/// CloseClientPort; its credentials are the connecting process's (SO_PEERCRED). Set
/// <paramref name="connectionPortCookie"/> for DisconnectNotify and MessageNotify. A failure status
/// rejects the connection; the client receives it as the converted HRESULT.
/// </summary>
public delegate NtStatus ConnectNotifyCallback(ClientPort clientPort, object? serverPortCookie, ReadOnlySpan<byte> connectionContext, out object? connectionPortCookie);

/// <summary>
/// DisconnectNotify: runs once per accepted connection, whatever ended it (the client closed its handle or
/// died, the filter called CloseClientPort, or the filter unloads), on the connection's lane, after its last MessageNotify.
/// The connection slot is freed when it returns.
/// </summary>
public delegate void DisconnectNotifyCallback(object? connectionPortCookie);

/// <summary>
/// MessageNotify: serves one FilterSendMessage on the connection's lane: one at a time per connection, in
/// arrival order, while other connections' run on other port workers. The buffers are valid only during the call. Set <paramref name="returnOutputBufferLength"/>
/// to the bytes written to <paramref name="outputBuffer"/>; the status becomes the client's HRESULT.
/// </summary>
public delegate NtStatus MessageNotifyCallback(object? connectionPortCookie, ReadOnlySpan<byte> inputBuffer, Span<byte> outputBuffer, out int returnOutputBufferLength);
