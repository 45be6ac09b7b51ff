// SIGKILL of the daemon while a program writes through its mount: the restart finds the dead mount (ENOTCONN), detaches
// it and mounts again, and every write(2) that returned before the kill is in the backing file. Passthrough is off, so the
// data really goes through the daemon (FUSE WRITE: no writeback cache, the reply comes after pwrite to the backing file).
using System.Diagnostics;

namespace Altitude.Daemon.Tests;

public class CrashRecoveryTests
{
    [MountFact]
    public void SigkillDuringWritesThenRestartKeepsEveryWriteThatReturned()
    {
        using var d = new DaemonProcess();
        d.WriteMainVolume("\"Passthrough\": false");
        d.StartServing();
        // The writer appends numbered records, one write(2) each, and prints each number after its write returned.
        var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"exec 3>>'{d.M("records")}' || exit 3; i=0; while [ $i -lt 10000000 ]; do i=$((i+1)); printf 'record %08d\\n' $i >&3 || exit 0; echo $i; done");
        using var writer = Process.Start(psi)!;
        int acknowledged = 0;
        try
        {
            for (string? line; acknowledged < 300 && (line = writer.StandardOutput.ReadLine()) is not null;) acknowledged = int.Parse(line);
            if (acknowledged < 300) Assert.Fail("the writer stopped writing through the mount: " + writer.StandardError.ReadToEnd());
            d.Signal("KILL");
            d.WaitForExit();
            // Every number the writer printed was acknowledged; it stops at the first write that fails.
            for (string? line; (line = writer.StandardOutput.ReadLine()) is not null;) acknowledged = int.Parse(line);
            Assert.True(writer.WaitForExit(DaemonProcess.StartTimeoutMilliseconds), "the writer ends once the daemon is gone");
        }
        finally
        {
            if (!writer.HasExited) writer.Kill();
        }
        Assert.True(DaemonProcess.IsMounted(d.MountPoint), "the killed daemon left its mount behind");

        d.StartServing();
        d.WaitForError(l => l.Contains($"{d.MountPoint}: a dead mount (its daemon was killed) was detached", StringComparison.Ordinal), "the recovery warning");
        string[] records = File.ReadAllLines(d.B("records"));
        Assert.True(records.Length >= acknowledged, $"{records.Length} records on the backing file, {acknowledged} acknowledged");
        for (int i = 0; i < acknowledged; i++) Assert.Equal($"record {i + 1:D8}", records[i]);
        // The mount came back and serves the same file.
        Assert.Equal(File.ReadAllText(d.B("records")), File.ReadAllText(d.M("records")));
        Assert.Equal(0, d.Stop());
        Assert.False(DaemonProcess.IsMounted(d.MountPoint));
    }
}
