// The harness of a filter author's tests: a Filter Manager with one volume over a temporary directory (the loopback
// file system, no FUSE mount and no root needed), the verifier on by default, filters loaded through their
// DriverEntry exactly as fltmgrd loads them, and operations issued in-process (VolumeClient underneath). Failures
// throw FilterAssertionException with the status, so it works with any test framework.
using Altitude.FileSystem;

namespace Altitude.Testing;

/// <summary>Options of a <see cref="FilterTestVolume"/>.</summary>
public sealed record FilterTestOptions
{
    /// <summary>The filter verifier (leaked context references and names, bad statuses): on, as in a debug run.</summary>
    public bool Verifier { get; init; } = true;
    /// <summary>Where the communication ports of the filters under test listen (default: beside the backing directory).</summary>
    public string? PortDirectory { get; init; }
}

/// <summary>A volume over a temporary directory, deleted with it.</summary>
public sealed class FilterTestVolume : IDisposable
{
    private readonly LoopbackDriver driver;
    private readonly List<VerifierReport> reports = new();
    private readonly List<Filter> loaded = new();
    private bool disposed;

    public FilterTestVolume(FilterTestOptions? options = null)
    {
        options ??= new FilterTestOptions();
        BackingDirectory = Directory.CreateTempSubdirectory("altitude-test-").FullName;
        Manager = new FilterManager(new FilterManagerOptions { Verifier = options.Verifier, PortDirectory = options.PortDirectory ?? BackingDirectory + "-ports" });
        Manager.VerifierReported += r => { lock (reports) reports.Add(r); };
        driver = new LoopbackDriver(BackingDirectory);
        Volume = Manager.AddVolume(driver);
        Client = new VolumeClient(Volume);
    }

    public FilterManager Manager { get; }
    public Volume Volume { get; }
    /// <summary>The in-process caller: every operation it issues goes through the whole stack, top to bottom.</summary>
    public VolumeClient Client { get; }
    /// <summary>The temporary directory the volume shows: arrange files here, check what reached the file system here.</summary>
    public string BackingDirectory { get; }

    /// <summary>What the verifier reported so far.</summary>
    public IReadOnlyList<VerifierReport> VerifierReports { get { lock (reports) return reports.ToArray(); } }

    /// <summary>The backing path of a volume path ("dir/file" or "/dir/file").</summary>
    public string BackingPath(string path) => Path.Combine(BackingDirectory, path.TrimStart('/'));

    /// <summary>
    /// Loads a filter as fltmgrd does: DriverEntry with a configuration of one instance at <paramref name="altitude"/>
    /// and the given parameters (a manifest's Parameters). It attaches to the volume when it starts filtering.
    /// </summary>
    public Filter Load(IMiniFilter filter, string name, string altitude, IReadOnlyDictionary<string, string>? parameters = null)
    {
        var values = new Dictionary<string, IReadOnlyList<string>>();
        if (parameters is not null) foreach (var (key, value) in parameters) values[key] = new[] { value };
        NtStatus st = filter.DriverEntry(new DriverObject(Manager, FilterConfiguration.Single(name, altitude), new FilterParameters(values)));
        if (!st.IsSuccess()) throw new FilterAssertionException($"DriverEntry of {name} failed: {st.Describe()}");
        Filter registered = Manager.Filters.FirstOrDefault(f => f.Name == name)
            ?? throw new FilterAssertionException($"DriverEntry of {name} succeeded but registered no filter named {name}");
        lock (loaded) loaded.Add(registered);
        return registered;
    }

    /// <summary>Adds a recorder at <paramref name="altitude"/>: above the filter under test it sees what callers asked, below it what the filter sent on.</summary>
    public OperationRecorder Record(string altitude = "409900", string name = "Recorder")
    {
        var recorder = new OperationRecorder();
        var registration = recorder.CreateRegistration();
        NtStatus st = Manager.RegisterFilter(FilterConfiguration.Single(name, altitude), registration, out Filter? filter);
        if (!st.IsSuccess()) throw new FilterAssertionException($"the recorder at {altitude} could not register: {st.Describe()}");
        st = filter!.StartFiltering();
        if (!st.IsSuccess()) throw new FilterAssertionException($"the recorder at {altitude} could not start: {st.Describe()}");
        recorder.Filter = filter;
        return recorder;
    }

    // ---- operations ----------------------------------------------------------------------------------------------

    /// <summary>Opens (or creates, with O_CREAT) a file as a caller would; the status is returned, not thrown.</summary>
    public NtStatus TryOpen(string path, int openFlags, out TestHandle? handle, uint mode = 0x1A4 /* 0644 */)
    {
        handle = null;
        NtStatus st = Client.Create(path.TrimStart('/'), openFlags, mode, out FileObject? fo, out _);
        if (st.IsSuccess()) handle = new TestHandle(this, fo!, path);
        return st;
    }

    /// <summary>Opens or creates a file; throws when the stack refused it.</summary>
    public TestHandle Open(string path, int openFlags = OpenFlags.O_RDWR | OpenFlags.O_CREAT)
    {
        NtStatus st = TryOpen(path, openFlags, out TestHandle? handle);
        return st.IsSuccess() ? handle! : throw new FilterAssertionException($"open {path} failed: {st.Describe()}", st);
    }

    /// <summary>Creates or truncates <paramref name="path"/> and writes <paramref name="text"/> (UTF-8) through the stack.</summary>
    public void WriteAllText(string path, string text)
    {
        using TestHandle h = Open(path, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC);
        h.Write(System.Text.Encoding.UTF8.GetBytes(text), 0);
    }

    /// <summary>Reads the whole file through the stack.</summary>
    public string ReadAllText(string path)
    {
        using TestHandle h = Open(path, OpenFlags.O_RDONLY);
        return System.Text.Encoding.UTF8.GetString(h.ReadToEnd());
    }

    public NtStatus TryRename(string path, string newPath) => Client.Rename(path.TrimStart('/'), newPath.TrimStart('/'));
    public NtStatus TryDelete(string path, bool directory = false) => Client.Delete(path.TrimStart('/'), directory);
    public NtStatus TryCreateDirectory(string path) => Client.CreateDirectory(path.TrimStart('/'));

    public void Rename(string path, string newPath) => Check(TryRename(path, newPath), $"rename {path} to {newPath}");
    public void Delete(string path, bool directory = false) => Check(TryDelete(path, directory), $"delete {path}");
    public void CreateDirectory(string path) => Check(TryCreateDirectory(path), $"mkdir {path}");

    /// <summary>The names a listing of <paramref name="directory"/> returns through the stack (filters may hide some).</summary>
    public string[] List(string directory)
    {
        NtStatus st = Client.Create(directory.TrimStart('/'), OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0, out FileObject? fo, out _);
        Check(st, $"open directory {directory}");
        var names = new List<string>();
        var entries = new DirectoryEntryList();
        try
        {
            long cookie = 0;
            while (true)
            {
                entries.Clear();
                st = Client.QueryDirectory(fo!, cookie, entries);
                if (st == NtStatus.NoMoreFiles || (st.IsSuccess() && entries.AddedCount == 0)) break;
                Check(st, $"list {directory}");
                for (int i = 0; i < entries.Count; i++)
                {
                    string name = System.Text.Encoding.UTF8.GetString(entries.GetName(i));
                    if (name is not ("." or "..")) names.Add(name);
                }
                cookie = entries.ResumeCookie;
            }
        }
        finally
        {
            Client.CloseHandle(fo!);
        }
        names.Sort(StringComparer.Ordinal);
        return names.ToArray();
    }

    private static void Check(NtStatus st, string what)
    {
        if (!st.IsSuccess()) throw new FilterAssertionException($"{what} failed: {st.Describe()}", st);
    }

    /// <summary>Unloads the filters (FilterUnload, as at a service stop), then deletes the temporary directory.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        Manager.Dispose();
        driver.Dispose();
        try { Directory.Delete(BackingDirectory, recursive: true); } catch (IOException) { }
        try { if (Directory.Exists(BackingDirectory + "-ports")) Directory.Delete(BackingDirectory + "-ports", recursive: true); } catch (IOException) { }
    }
}
