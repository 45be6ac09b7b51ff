// The ctx sample's contexts (CtxStruc.h): instance (volume name), file (name), stream (name and create, cleanup and
// close counts), stream handle (name). Counts are updated under the context's own lock, as the sample uses a resource.
namespace Altitude.Samples.Ctx;

/// <summary>CTX_INSTANCE_CONTEXT.</summary>
public sealed class InstanceContext : FltContext
{
    public string VolumeName = "";
}

/// <summary>CTX_FILE_CONTEXT.</summary>
public sealed class FileContext : FltContext
{
    public string FileName = "";
}

/// <summary>CTX_STREAM_CONTEXT.</summary>
public sealed class StreamContext : FltContext
{
    public string FileName = "";
    public int CreateCount;
    public int CleanupCount;
    public int CloseCount;
}

/// <summary>CTX_STREAMHANDLE_CONTEXT.</summary>
public sealed class StreamHandleContext : FltContext
{
    public string FileName = "";
}

/// <summary>What the sample reports about one stream (its DbgPrint, as a record).</summary>
public readonly record struct StreamStatistics(string FileName, int CreateCount, int CleanupCount, int CloseCount);
