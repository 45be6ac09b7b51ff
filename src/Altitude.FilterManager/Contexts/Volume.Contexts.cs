// The volume's side of contexts: volume contexts (one slot per filter), the stream table, the file objects that
// carry stream-handle contexts, and instance slot numbers.
namespace Altitude;

public sealed partial class Volume
{
    internal readonly ContextSlots VolumeContexts = new();
    internal readonly StreamTable Streams = new();
    private readonly HashSet<FileObject> handleContextObjects = new(ReferenceEqualityComparer.Instance);
    private bool[] instanceSlots = new bool[8];

    /// <summary>A free slot number for a new instance (under the attach lock).</summary>
    internal int AllocateInstanceSlot()
    {
        for (int i = 0; i < instanceSlots.Length; i++)
            if (!instanceSlots[i]) { instanceSlots[i] = true; return i; }
        int slot = instanceSlots.Length;
        Array.Resize(ref instanceSlots, slot * 2);
        instanceSlots[slot] = true;
        return slot;
    }

    /// <summary>Gives a slot back once the instance's contexts are deleted (under the attach lock).</summary>
    internal void FreeInstanceSlot(int slot)
    {
        if (slot >= 0) instanceSlots[slot] = false;
    }

    internal ContextSlots CreateHandleContexts(FileObject fo)
    {
        lock (handleContextObjects)
        {
            fo.HandleContexts ??= new ContextSlots();
            handleContextObjects.Add(fo);
            return fo.HandleContexts;
        }
    }

    internal FileObject[] HandleContextObjects()
    {
        lock (handleContextObjects) return handleContextObjects.ToArray();
    }

    /// <summary>The file system executed CREATE successfully on <paramref name="fo"/>.</summary>
    internal static void FileObjectOpened(FileObject fo)
    {
        fo.ContextState = FileObjectContextState.Opened;
        fo.Stream = null;
        fo.OpenedName = null;
    }

    /// <summary>CLOSE reached the file system (or the open was abandoned): stream handle contexts go, the stream may end.</summary>
    internal void FileObjectClosed(FileObject fo)
    {
        if (fo.ContextState != FileObjectContextState.Opened) return;
        fo.ContextState = FileObjectContextState.Closed;
        ContextSlots? handle = fo.HandleContexts;
        if (handle is not null)
        {
            lock (handleContextObjects)
            {
                handleContextObjects.Remove(fo);
                fo.HandleContexts = null;
            }
            handle.DeleteAll();
        }
        Streams.Closed(fo);
        fo.OpenedName = null;
    }

    /// <summary>
    /// A front-end drops an open without sending CLEANUP or CLOSE through the stack (a post-create failed it after the
    /// file system opened it, or its caller is gone): the engine forgets the open as if it had closed, and the file
    /// system releases its handle and node reference.
    /// </summary>
    public void AbandonFileObject(FileObject fileObject)
    {
        FileObjectClosed(fileObject);
        FileSystem.AbandonOpen(fileObject);
    }

    /// <summary>Streams that currently carry contexts (diagnostics and tests).</summary>
    public int StreamContextCount => Streams.Count;
}
