// A filter that records the operations it sees, with their names and outcome: put it above the filter under test to
// see what callers asked and how it ended, or below to see what the filter let through or sent itself.
namespace Altitude.Testing;

/// <summary>One operation as a recorder saw it in its post-operation.</summary>
/// <param name="MajorFunction">The operation.</param>
/// <param name="Name">The normalized name from the volume root ("/dir/file"), or "" when none could be had.</param>
/// <param name="DestinationName">For a rename or link, the destination's name from the volume root; else null.</param>
/// <param name="Status">How it ended.</param>
/// <param name="GeneratedIo">Issued by a filter (filter I/O), not by a caller.</param>
public sealed record RecordedOperation(MajorFunction MajorFunction, string Name, string? DestinationName, NtStatus Status, bool GeneratedIo);

public sealed class OperationRecorder
{
    private readonly List<RecordedOperation> operations = new();

    public Filter? Filter { get; internal set; }

    /// <summary>What was recorded so far, in completion order.</summary>
    public IReadOnlyList<RecordedOperation> Operations { get { lock (operations) return operations.ToArray(); } }

    public void Clear()
    {
        lock (operations) operations.Clear();
    }

    private static readonly MajorFunction[] Majors =
    {
        MajorFunction.Create, MajorFunction.Read, MajorFunction.Write, MajorFunction.QueryInformation, MajorFunction.SetInformation,
        MajorFunction.DirectoryControl, MajorFunction.QueryEa, MajorFunction.SetEa, MajorFunction.Cleanup, MajorFunction.Close,
    };

    internal FilterRegistration CreateRegistration()
    {
        var rows = new List<OperationRegistration>();
        foreach (MajorFunction major in Majors) rows.Add(new OperationRegistration(major, OperationRegistrationFlags.None, Pre, Post));
        return new FilterRegistration
        {
            OperationRegistration = rows,
            FilterUnload = _ => NtStatus.Success,
            InstanceQueryTeardown = (in RelatedObjects o, InstanceTeardownFlags f) => NtStatus.Success,
        };
    }

    /// <summary>A rename's destination is only known before it happens: taken in the pre-op.</summary>
    private PreOperationStatus Pre(CallbackData data, in RelatedObjects objects, out object? completionContext)
    {
        completionContext = null;
        if (data.Iopb.MajorFunction != MajorFunction.SetInformation || objects.FileObject is not { } fo) return PreOperationStatus.SuccessWithCallback;
        ref SetFileInformationParameters p = ref data.Iopb.Parameters.SetFileInformation;
        if (p.FileInformationClass is FileInformationClass.FileRenameInformation or FileInformationClass.FileRenameInformationEx
            or FileInformationClass.FileLinkInformation or FileInformationClass.FileLinkInformationEx
            && objects.Instance!.GetDestinationFileNameInformation(fo, p.DestinationDirectory, p.DestinationName.Span,
                NameOptions.Normalized | NameOptions.QueryDefault, out FileNameInformation? destination).IsSuccess())
        {
            completionContext = destination!.Name[objects.Volume.Name.Length..];
            destination.Release();
        }
        return PreOperationStatus.SuccessWithCallback;
    }

    private PostOperationStatus Post(CallbackData data, in RelatedObjects objects, object? completionContext, PostOperationFlags flags)
    {
        if ((flags & PostOperationFlags.Draining) != 0) return PostOperationStatus.FinishedProcessing;
        string name = "";
        if (data.GetFileNameInformation(NameOptions.Normalized | NameOptions.QueryDefault, out FileNameInformation? info).IsSuccess())
        {
            name = info!.Name[objects.Volume.Name.Length..];
            info.Release();
        }
        var recorded = new RecordedOperation(data.Iopb.MajorFunction, name, completionContext as string, data.IoStatus.Status, data.IsGeneratedIo);
        lock (operations) operations.Add(recorded);
        return PostOperationStatus.FinishedProcessing;
    }
}
