// A tiny activity monitor for the demo: prints each operation it sees, before (pre) and after (post).
namespace Altitude.Daemon;

/// <summary>Prints "pre"/"post" lines with the major, the file name and the final status.</summary>
internal sealed class TraceFilter
{
    public const string Name = "Trace";
    private readonly TextWriter output;
    private Filter? filter;

    public TraceFilter(TextWriter output) => this.output = output;

    public NtStatus Register(FilterManager manager)
    {
        var majors = new[]
        {
            MajorFunction.Create, MajorFunction.Read, MajorFunction.Write, MajorFunction.QueryInformation, MajorFunction.SetInformation,
            MajorFunction.DirectoryControl, MajorFunction.Cleanup, MajorFunction.Close,
        };
        var operations = new OperationRegistration[majors.Length];
        for (int i = 0; i < majors.Length; i++) operations[i] = new OperationRegistration(majors[i], 0, Pre, Post);
        var registration = new FilterRegistration
        {
            OperationRegistration = operations,
            FilterUnload = _ => { filter?.Unregister(); return NtStatus.Success; },
        };
        NtStatus st = manager.RegisterFilter(FilterConfiguration.Single(Name, "385100"), registration, out filter);
        return st.IsSuccess() ? filter!.StartFiltering() : st;
    }

    private PreOperationStatus Pre(CallbackData data, in RelatedObjects objects, out object? context)
    {
        output.WriteLine($"    pre  {data.Iopb.MajorFunction,-18} {data.Iopb.TargetFileObject?.FileNameText}");
        context = null;
        return PreOperationStatus.SuccessWithCallback;
    }

    private PostOperationStatus Post(CallbackData data, in RelatedObjects objects, object? context, PostOperationFlags flags)
    {
        output.WriteLine($"    post {data.Iopb.MajorFunction,-18} {data.Iopb.TargetFileObject?.FileNameText} -> {data.IoStatus}");
        return PostOperationStatus.FinishedProcessing;
    }
}
