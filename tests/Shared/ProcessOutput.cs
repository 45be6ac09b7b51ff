// The output of a child process (fltmgrd, a sample's user program) line by line, standard output and standard error
// apart (two pipes: no order between them), the waits on it (until lines match, or the process exited first; the bound
// only turns a line that never comes into a failure), its exit, signals, and the stop of a process a failed test left
// running. Shared by DaemonProcess and ProgramProcess.
using System.Diagnostics;
using System.Globalization;

namespace Altitude.TestSupport;

internal sealed class ProcessOutput
{
    private readonly object gate = new();
    private readonly List<string> output = new(), errors = new();
    private readonly string name;
    private readonly int timeoutMilliseconds;

    public ProcessOutput(string name, int timeoutMilliseconds)
    {
        this.name = name;
        this.timeoutMilliseconds = timeoutMilliseconds;
    }

    /// <summary>Waits for <paramref name="process"/>'s exit and the end of its output; returns the exit code.</summary>
    public int WaitForExit(Process process)
    {
        Assert.True(process.WaitForExit(timeoutMilliseconds), $"{name} exits\n{Transcript}");
        process.WaitForExit();   // the output read to its end
        return process.ExitCode;
    }

    /// <summary>kill -SIGNAL: the signal a user or a service manager would send.</summary>
    public static void Signal(Process process, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill!.WaitForExit();
    }

    /// <summary>For a test that failed before its own stop: SIGTERM (a clean stop), SIGKILL only past the bound.</summary>
    public void Terminate(Process? process)
    {
        try
        {
            if (process is { HasExited: false })
            {
                Signal(process, "TERM");
                if (!process.WaitForExit(timeoutMilliseconds)) process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
        }
        catch (InvalidOperationException) { }
        process?.Dispose();
    }

    /// <summary>Collects <paramref name="process"/>'s lines (call before Start; BeginOutputReadLine/BeginErrorReadLine after).</summary>
    public void Attach(Process process)
    {
        process.OutputDataReceived += (_, e) => Add(output, e.Data);
        process.ErrorDataReceived += (_, e) => Add(errors, e.Data);
    }

    public void Clear()
    {
        lock (gate) { output.Clear(); errors.Clear(); }
    }

    public IReadOnlyList<string> Output { get { lock (gate) return output.ToArray(); } }
    public IReadOnlyList<string> Errors { get { lock (gate) return errors.ToArray(); } }
    public string Transcript { get { lock (gate) return $"{name} stdout:\n" + string.Join('\n', output) + "\nstderr:\n" + string.Join('\n', errors); } }

    /// <summary>Counts the standard output lines that match so far.</summary>
    public int CountOutput(Func<string, bool> match)
    {
        lock (gate)
        {
            int n = 0;
            foreach (string l in output) if (match(l)) n++;
            return n;
        }
    }

    public List<string> WaitForOutput(Process? process, Func<string, bool> match, string what, int count = 1) => WaitFor(process, output, match, what, count);
    public List<string> WaitForError(Process? process, Func<string, bool> match, string what, int count = 1) => WaitFor(process, errors, match, what, count);

    private void Add(List<string> lines, string? line)
    {
        if (line is null) return;
        lock (gate)
        {
            lines.Add(line);
            Monitor.PulseAll(gate);
        }
    }

    private List<string> WaitFor(Process? process, List<string> lines, Func<string, bool> match, string what, int count)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMilliseconds);
        var found = new List<string>();
        int seen = 0;
        while (true)
        {
            bool exited = process is { HasExited: true };
            if (exited) process!.WaitForExit();   // outside the lock: the rest of its output arrives first
            lock (gate)
            {
                for (; seen < lines.Count; seen++)
                    if (match(lines[seen]))
                    {
                        found.Add(lines[seen]);
                        if (found.Count == count) return found;
                    }
                string seenSoFar = count == 1 ? "" : $", {found.Count} of {count} seen";
                if (exited) Assert.Fail($"{what}: {name} exited ({process!.ExitCode}) first{seenSoFar}\n{Transcript}");
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) Assert.Fail($"{what}: not seen within {timeoutMilliseconds / 1000} s{seenSoFar}\n{Transcript}");
                // Woken by each new line; at least once a second to notice an exit.
                Monitor.Wait(gate, left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
            }
        }
    }
}
