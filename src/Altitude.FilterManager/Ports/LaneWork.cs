// One item of a connection's lane (ClientPort.Lane.cs): filter code that runs on a port worker.
namespace Altitude.Ports;

internal interface ILaneWork
{
    /// <summary>A FilterSendMessage (MessageNotify): paused while the client does not read, dropped when the connection closes.</summary>
    bool IsSend { get; }

    void Run();

    /// <summary>The connection closed before this send started: release it without running it.</summary>
    void Drop();
}
