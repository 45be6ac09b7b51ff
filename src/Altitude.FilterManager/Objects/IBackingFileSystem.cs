// The bottom of the stack: what runs after the last pre-op. Altitude's loopback over a directory implements
// it (Altitude.FileSystem); tests use fakes.
namespace Altitude;

/// <summary>The file system an Altitude volume sits on.</summary>
public interface IBackingFileSystem
{
    /// <summary>
    /// Performs the operation in <paramref name="data"/> and sets data.IoStatus (and the output fields of its
    /// parameters). Runs on the dispatching thread; must not throw for ordinary failures (return a status).
    /// </summary>
    void Execute(CallbackData data);

    /// <summary>Short name of the file system type for fltmc volumes (e.g. "loopback").</summary>
    string TypeName { get; }

    /// <summary>
    /// The volume this file system is the bottom of, once it exists and before any filter attaches. A file system that
    /// knows node lifetimes reports freed nodes through <see cref="Volume.NodeFreed"/> (streams end there).
    /// </summary>
    void OnVolumeAdded(Volume volume) { }
}
