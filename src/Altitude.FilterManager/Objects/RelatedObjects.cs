// FLT_RELATED_OBJECTS: the objects an operation or a setup/teardown callback concerns.
namespace Altitude;

/// <summary>Filter, volume, instance and file object of a callback. Transactions do not exist on Linux (always null).</summary>
public readonly struct RelatedObjects
{
    public RelatedObjects(Filter filter, Volume volume, Instance? instance, FileObject? fileObject)
    {
        Filter = filter;
        Volume = volume;
        Instance = instance;
        FileObject = fileObject;
    }

    public Filter Filter { get; }
    public Volume Volume { get; }
    public Instance? Instance { get; }
    public FileObject? FileObject { get; }
    /// <summary>KTM has no Linux equivalent.</summary>
    public object? Transaction => null;
}
