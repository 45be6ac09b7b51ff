// CHG_FILE_CONTEXT of the WDK change sample, less its transaction half (TxDirty, TxContext: Linux has no
// transactions). One per file (node), so every name and every open of the file share it.
namespace Altitude.Samples.Change;

/// <summary>The file context: which file, and whether its contents changed since the context was made.</summary>
public sealed class ChangeFileContext : FltContext
{
    /// <summary>The file's id (st_ino), as FltQueryInformationFile gave it.</summary>
    public ulong FileId;

    /// <summary>1 once the file changed (set with an interlocked exchange: the first change is reported once).</summary>
    public int Dirty;

    /// <summary>The normalized name the context was made under (for the report).</summary>
    public string FileName = "";
}
