// For tests that run a program as another uid (setpriv --reuid=65534): that uid may not be able to read the checkout
// (a clone under /root, or under any 0700 directory), so the program's build output is copied into a fresh directory
// under /tmp that anybody can read (directories 0755, files 0644, executables 0755) and run from there. Dispose removes
// the copy. AssertReachable fails with the path that such a uid cannot get to, instead of the child's own error.
namespace Altitude.TestSupport;

internal sealed class WorldReadableCopy : IDisposable
{
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Copies everything under <paramref name="sourceDirectory"/> (a build output directory) to a new directory in /tmp.</summary>
    public WorldReadableCopy(string sourceDirectory, string name)
    {
        if (!System.IO.Directory.Exists(sourceDirectory))
            throw new DirectoryNotFoundException($"{sourceDirectory} does not exist: build the project that produces it first");
        Directory = Path.Combine("/tmp", $"altitude-{name}-{Guid.NewGuid():N}");
        try
        {
            Copy(new DirectoryInfo(sourceDirectory), Directory);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The copy (readable by every uid).</summary>
    public string Directory { get; }

    public string PathOf(string relative) => Path.Combine(Directory, relative);

    private static void Copy(DirectoryInfo from, string to)
    {
        System.IO.Directory.CreateDirectory(to, DirectoryMode);
        File.SetUnixFileMode(to, DirectoryMode);   // whatever the umask
        foreach (FileInfo f in from.EnumerateFiles())
        {
            string target = Path.Combine(to, f.Name);
            f.CopyTo(target);
            bool executable = (f.UnixFileMode & UnixFileMode.UserExecute) != 0;
            File.SetUnixFileMode(target, executable ? DirectoryMode : FileMode);
        }
        foreach (DirectoryInfo d in from.EnumerateDirectories()) Copy(d, Path.Combine(to, d.Name));
    }

    /// <summary>
    /// Fails, naming the culprit, unless any uid can reach <paramref name="path"/>: every directory above it searchable
    /// by others, and the path itself readable (a file; also executable if <paramref name="execute"/>) or searchable (a
    /// directory). A symbolic link is checked, then what it points at.
    /// </summary>
    public static void AssertReachable(string path, string what, bool execute = false)
    {
        string full = Path.GetFullPath(path);
        for (string? dir = Path.GetDirectoryName(full); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if ((File.GetUnixFileMode(dir) & UnixFileMode.OtherExecute) == 0)
                Assert.Fail($"{what}: another uid cannot reach {full}: {dir} is mode {Octal(File.GetUnixFileMode(dir))} (no search permission for others)");
        }
        var info = new FileInfo(full);
        if (info.LinkTarget is not null)
        {
            FileSystemInfo? target = info.ResolveLinkTarget(returnFinalTarget: true);
            if (target is null || !target.Exists) Assert.Fail($"{what}: {full} is a dangling link");
            AssertReachable(target!.FullName, what, execute);
            return;
        }
        bool isDirectory = System.IO.Directory.Exists(full);
        if (!isDirectory && !info.Exists) Assert.Fail($"{what}: {full} does not exist");
        UnixFileMode need = isDirectory ? UnixFileMode.OtherExecute : UnixFileMode.OtherRead | (execute ? UnixFileMode.OtherExecute : 0);
        UnixFileMode mode = File.GetUnixFileMode(full);
        if ((mode & need) != need) Assert.Fail($"{what}: another uid cannot use {full}: it is mode {Octal(mode)}, others need {Octal(need)}");
    }

    /// <summary>The dotnet host a child started as "dotnet" runs: $DOTNET_HOST_PATH, else the first dotnet on $PATH.</summary>
    public static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } p) return p;
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, "dotnet");
            if (File.Exists(candidate)) return candidate;
        }
        return "dotnet";
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (DirectoryNotFoundException) { }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
