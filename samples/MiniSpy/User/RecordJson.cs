// --json: one JSON object per record per line (for jq), written with Utf8JsonWriter. The fields are those of the
// screen line, with numbers as numbers and times in ISO 8601 (UTC).
using System.Text.Json;

namespace Altitude.Samples.MiniSpy.User;

internal sealed class RecordJson(Stream output)
{
    private readonly Utf8JsonWriter writer = new(output, new JsonWriterOptions { Indented = false, SkipValidation = false });
    private static readonly byte[] NewLine = [(byte)'\n'];

    /// <summary>Writes the record as one line and flushes it.</summary>
    public void Write(in LogRecordView r)
    {
        var w = writer;
        w.Reset(output);
        w.WriteStartObject();
        w.WriteNumber("sequence", r.SequenceNumber);
        w.WriteString("operation", r.OperationKind);
        w.WriteNumber("recordType", r.RecordType);
        uint type = r.RecordType;
        if ((type & RecordType.FlagOutOfMemory) != 0) w.WriteString("memory", "outOfMemory");
        else if ((type & RecordType.FlagExceedMemoryAllowance) != 0) w.WriteString("memory", "exceededAllowance");
        else w.WriteNull("memory");
        WriteTime(w, "preTime", r.OriginatingTime);
        WriteTime(w, "postTime", r.CompletionTime);
        w.WriteNumber("processId", r.ProcessId);
        w.WriteNumber("threadId", r.ThreadId);
        w.WriteString("major", IrpNames.Major(r.MajorId));
        w.WriteNumber("majorId", r.MajorId);
        if (IrpNames.Minor(r.MajorId, r.MinorId) is { } minor) w.WriteString("minor", minor);
        else w.WriteNull("minor");
        w.WriteNumber("minorId", r.MinorId);
        w.WriteNumber("irpFlags", r.IrpFlags);
        w.WriteNumber("flags", r.Flags);
        w.WriteNumber("deviceObject", r.DeviceObject);
        w.WriteNumber("fileObject", r.FileObject);
        w.WriteNumber("transaction", r.Transaction);
        w.WriteString("status", $"0x{r.Status:x8}");
        w.WriteNumber("information", r.Information);
        w.WriteStartArray("args");
        for (int n = 1; n <= 6; n++) w.WriteNumberValue(r.Arg(n));
        w.WriteEndArray();
        w.WriteString("name", r.Name);
        w.WriteEndObject();
        w.Flush();
        output.Write(NewLine);
        output.Flush();
    }

    private static void WriteTime(Utf8JsonWriter w, string name, long fileTime)
    {
        if (fileTime <= 0) w.WriteNull(name);
        else w.WriteString(name, DateTime.FromFileTimeUtc(fileTime));
    }
}
