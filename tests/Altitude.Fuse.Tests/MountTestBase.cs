// Shared fixture of the mount tests: a temporary backing directory and mount point, a Filter Manager, a FUSE volume
// served in this process on its own reader threads, and helpers that run real programs as child processes. Every
// test unmounts what it mounted, even when it fails (Dispose: unmount, then a lazy umount2 as a last resort).
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Altitude.Fuse;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Altitude.Fuse.Tests;

public abstract class MountTestBase : IDisposable
{
    protected MountTestBase()
    {
        Top = Path.Combine("/tmp", "altitude-fuse-" + Guid.NewGuid().ToString("N")[..12]);
        Backing = Path.Combine(Top, "backing");
        MountPoint = Path.Combine(Top, "mnt");
        Directory.CreateDirectory(Backing);
        Directory.CreateDirectory(MountPoint);
        Manager = new FilterManager(CreateManagerOptions(Top));
    }

    /// <summary>The Filter Manager's options for this test class (called from the constructor: use only <paramref name="top"/>).</summary>
    protected virtual FilterManagerOptions CreateManagerOptions(string top) => new();

    protected string Top { get; }
    protected string Backing { get; }
    protected string MountPoint { get; }
    protected FilterManager Manager { get; }
    protected FuseVolume? Volume { get; private set; }

    /// <summary>Mounts Backing at MountPoint with the filters registered so far attached.</summary>
    protected FuseVolume Mount(FuseVolumeOptions? options = null)
    {
        MountRequirement.Assert();
        Volume = FuseVolume.Mount(Manager, Backing, MountPoint, options);
        return Volume;
    }

    /// <summary>Registers a one-instance filter with the given operations and starts it.</summary>
    protected Filter AddFilter(string name, string altitude, params OperationRegistration[] operations)
    {
        var registration = new FilterRegistration { OperationRegistration = operations, FilterUnload = _ => NtStatus.Success };
        Assert.Equal(NtStatus.Success, Manager.RegisterFilter(FilterConfiguration.Single(name, altitude), registration, out Filter? filter));
        Assert.Equal(NtStatus.Success, filter!.StartFiltering());
        return filter;
    }

    /// <summary>The name a file object was opened or created with (empty for an open by node).</summary>
    protected static string NameOf(CallbackData d) => d.Iopb.TargetFileObject is { } fo ? Encoding.UTF8.GetString(fo.FileName.Span) : "";

    protected string M(string relative) => Path.Combine(MountPoint, relative);
    protected string B(string relative) => Path.Combine(Backing, relative);

    /// <summary>Runs bash -c SCRIPT with the working directory outside the mount; returns exit code and output.</summary>
    protected static (int Exit, string Out, string Err) Sh(string script, int timeoutSeconds = 120)
        => Run("/bin/bash", ["-c", script], timeoutSeconds);

    protected static (int Exit, string Out, string Err) Run(string file, string[] args, int timeoutSeconds = 120)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeoutSeconds} s");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>bash -c SCRIPT running in the background; its exit is recorded in <paramref name="events"/> when given.</summary>
    protected static Process StartProgram(string script, List<string>? events = null, string? tag = null)
    {
        var psi = new ProcessStartInfo("/bin/bash") { WorkingDirectory = "/", RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
        if (events is not null) p.Exited += (_, _) => { lock (events) events.Add(tag ?? script); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>Asserts the script succeeds and returns its standard output.</summary>
    protected static string ShOk(string script, int timeoutSeconds = 120)
    {
        var (exit, output, error) = Sh(script, timeoutSeconds);
        Assert.True(exit == 0, $"'{script}' exited {exit}: {error}{output}");
        return output;
    }

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds, for effects that land on another thread or process. The
    /// deadline only turns a condition that never holds into a failure naming <paramref name="what"/>.
    /// </summary>
    protected static void WaitUntil(Func<bool> condition, string what, int milliseconds = 60_000)
    {
        Assert.True(SpinWait.SpinUntil(condition, milliseconds), $"{what}: not reached within {milliseconds / 1000} s");
    }

    protected static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>The artifacts directory of a sibling project's build output (fltmgrd, the probe), same configuration.</summary>
    protected static string ProjectOutput(string project, string file) => TestArtifacts.ProjectOutput(project, file);

    public virtual void Dispose()
    {
        try
        {
            Volume?.Unmount();
        }
        finally
        {
            // Last resort for a test that failed half-way: never leave a mount behind.
            if (TestArtifacts.IsMounted(MountPoint))
                FuseMount.Unmount(MountPoint, lazy: true);
            Manager.Dispose();
            Sh($"rm -rf '{Top}'");
            GC.SuppressFinalize(this);
        }
    }

    protected static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
