// FormatMessage's English text for the HRESULTs a management call can return, so errors read as on Windows.
// Win32 texts from the system message table; the ERROR_FLT_* texts from winerror.h (0x801F00xx, the user-mode
// form of STATUS_FLT_*, spec section 0). An HRESULT not here gets no message line, as when FormatMessage fails.
namespace Altitude.Fltmc.Output;

internal static class WindowsMessages
{
    private static readonly Dictionary<uint, string> Text = new()
    {
        [0x80004001] = "Not implemented",
        [0x80004005] = "Unspecified error",
        [0x80070002] = "The system cannot find the file specified.",
        [0x80070003] = "The system cannot find the path specified.",
        [0x80070005] = "Access is denied.",
        [0x80070006] = "The handle is invalid.",
        [0x8007000E] = "Not enough memory resources are available to complete this operation.",
        [0x80070020] = "The process cannot access the file because it is being used by another process.",
        [0x80070032] = "The request is not supported.",
        [0x80070057] = "The parameter is incorrect.",
        [0x8007007A] = "The data area passed to a system call is too small.",
        [0x8007007B] = "The filename, directory name, or volume label syntax is incorrect.",
        [0x800700AA] = "The requested resource is in use.",
        [0x800700B7] = "Cannot create a file when that file already exists.",
        [0x800700EA] = "More data is available.",
        [0x80070103] = "No more data is available.",
        [0x80070241] = "Windows cannot verify the digital signature for this file. A recent hardware or software change might have installed a file that is signed incorrectly or damaged, or that might be malicious software from an unknown source.",
        [0x800703E3] = "The I/O operation has been aborted because of either a thread exit or an application request.",
        [0x800703E5] = "Overlapped I/O operation is in progress.",
        [0x80070420] = "An instance of the service is already running.",
        [0x80070490] = "Element not found.",
        [0x800704D6] = "A connection to the server could not be made because the limit on the number of concurrent connections for this account has been reached.",
        [0x80070522] = "A required privilege is not held by the client.",
        [0x800705B4] = "This operation returned because the timeout period expired.",
        [0x800707D1] = "The specified driver is invalid.",
        [0x801F0001] = "A handler was not defined by the filter for this operation.",
        [0x801F0002] = "A context is already defined for this object.",
        [0x801F0003] = "Asynchronous requests are not valid for this operation.",
        [0x801F0004] = "Disallow the Fast IO path for this operation.",
        [0x801F0005] = "An invalid name request was made. The name requested cannot be retrieved at this time.",
        [0x801F0006] = "Posting this operation to a worker thread for further processing is not safe at this time because it could lead to a system deadlock.",
        [0x801F0007] = "The Filter Manager was not initialized when a filter tried to register. Make sure that the Filter Manager is getting loaded as a driver.",
        [0x801F0008] = "The filter is not ready for attachment to volumes because it has not finished initializing (FltStartFiltering has not been called).",
        [0x801F0009] = "The filter must cleanup any operation specific context at this time because it is being removed from the system before the operation is completed by the lower drivers.",
        [0x801F000A] = "The Filter Manager had an internal error from which it cannot recover, therefore the operation has been failed. This is usually the result of a filter returning an invalid value from a pre-operation callback.",
        [0x801F000B] = "The object specified for this action is in the process of being deleted, therefore the action requested cannot be completed at this time.",
        [0x801F000C] = "Non-paged pool must be used for this type of context.",
        [0x801F000D] = "A duplicate handler definition has been provided for an operation.",
        [0x801F000E] = "The callback data queue has been disabled.",
        [0x801F000F] = "Do not attach the filter to the volume at this time.",
        [0x801F0010] = "Do not detach the filter from the volume at this time.",
        [0x801F0011] = "An instance already exists at this altitude on the volume specified.",
        [0x801F0012] = "An instance already exists with this name on the volume specified.",
        [0x801F0013] = "The system could not find the filter specified.",
        [0x801F0014] = "The system could not find the volume specified.",
        [0x801F0015] = "The system could not find the instance specified.",
        [0x801F0016] = "No registered context allocation definition was found for the given request.",
        [0x801F0017] = "An invalid parameter was specified during context registration.",
        [0x801F0018] = "The name requested was not found in Filter Manager's name cache and could not be retrieved from the file system.",
        [0x801F0019] = "The requested device object does not exist for the given volume.",
        [0x801F001A] = "The specified volume is already mounted.",
        [0x801F001B] = "The specified Transaction Context is already enlisted in a transaction.",
        [0x801F001C] = "The specified context is already attached to another object.",
        [0x801F0020] = "No waiter is present for the filter's reply to this message.",
        [0x801F0023] = "The filesystem database resource is in use. Registration cannot complete at this time.",
    };

    public static bool TryGet(int hresult, out string message) => Text.TryGetValue((uint)hresult, out message!);
}
