// One open of a file through a FilterTestVolume: reads, writes and size changes go through the whole stack; Dispose
// closes it (CLEANUP, then CLOSE), as close(2) does.
namespace Altitude.Testing;

public sealed class TestHandle : IDisposable
{
    private readonly FilterTestVolume volume;
    private bool closed;

    internal TestHandle(FilterTestVolume volume, FileObject fileObject, string path)
    {
        this.volume = volume;
        FileObject = fileObject;
        Path = path;
    }

    public FileObject FileObject { get; }
    public string Path { get; }

    public NtStatus TryRead(Memory<byte> buffer, long offset, out int bytesRead) => volume.Client.Read(FileObject, buffer, offset, out bytesRead);
    public NtStatus TryWrite(ReadOnlyMemory<byte> data, long offset, out int bytesWritten) => volume.Client.Write(FileObject, data, offset, out bytesWritten);
    public NtStatus TrySetLength(long length) => volume.Client.SetEndOfFile(FileObject, length);

    /// <summary>Reads up to <paramref name="length"/> bytes at <paramref name="offset"/> (fewer at the end of the file).</summary>
    public byte[] Read(long offset, int length)
    {
        byte[] buffer = new byte[length];
        NtStatus st = TryRead(buffer, offset, out int read);
        if (st == NtStatus.EndOfFile) return [];
        if (!st.IsSuccess()) throw new FilterAssertionException($"read {Path} at {offset} failed: {st.Describe()}", st);
        return buffer[..read];
    }

    public byte[] ReadToEnd()
    {
        var all = new List<byte>();
        long offset = 0;
        while (Read(offset, 65536) is { Length: > 0 } chunk)
        {
            all.AddRange(chunk);
            offset += chunk.Length;
        }
        return all.ToArray();
    }

    public void Write(ReadOnlyMemory<byte> data, long offset)
    {
        NtStatus st = TryWrite(data, offset, out int written);
        if (!st.IsSuccess()) throw new FilterAssertionException($"write {Path} at {offset} failed: {st.Describe()}", st);
        if (written != data.Length) throw new FilterAssertionException($"write {Path} at {offset} wrote {written} of {data.Length} bytes");
    }

    public void SetLength(long length)
    {
        NtStatus st = TrySetLength(length);
        if (!st.IsSuccess()) throw new FilterAssertionException($"truncate {Path} to {length} failed: {st.Describe()}", st);
    }

    public void Dispose()
    {
        if (closed) return;
        closed = true;
        volume.Client.CloseHandle(FileObject);
    }
}
