// SCANNER_STREAM_HANDLE_CONTEXT: set in post-create on handles opened for writing, so that their writes are scanned
// and the file is scanned again when the handle is cleaned up.
namespace Altitude.Samples.Scanner;

/// <summary>The per-open state of a handle with write access.</summary>
public sealed class ScannerStreamHandleContext : FltContext
{
    /// <summary>The file may have changed through this handle: scan it again at cleanup.</summary>
    public volatile bool RescanRequired;
}
