// The two request transports, each through a real mount: FUSE over io_uring (per-CPU queues, COMMIT_AND_FETCH) and
// /dev/fuse (readv and writev). The same programs run on both and must see the same file system; the io_uring mount
// must really serve its requests through the rings, and a mount that asks for io_uring where the kernel does not offer
// it must fail with the reason.
using System.Diagnostics;

namespace Altitude.Fuse.Tests;

public class TransportTests : MountTestBase
{
    private FuseVolume MountWith(FuseTransport transport)
    {
        if (transport != FuseTransport.DevFuse) UringRequirement.Assert();
        return Mount(new FuseVolumeOptions { Server = new FuseServerOptions { Transport = transport } });
    }

    [UringTheory]
    [InlineData(FuseTransport.IoUring)]
    [InlineData(FuseTransport.DevFuse)]
    public void ProgramsSeeTheSameFileSystemOnBothTransports(FuseTransport transport)
    {
        var v = MountWith(transport);
        Assert.Equal(transport, v.Server.Transport);
        ShOk($"""
            set -e
            cd {MountPoint}
            mkdir -p a/b && echo hello > a/b/f && cat a/b/f | grep -qx hello
            head -c 3000000 /dev/urandom > big && cp big big2 && cmp big big2
            mv big2 a/moved && ln a/moved hard && ln -s a/b/f sym && test "$(readlink sym)" = a/b/f
            mkdir t && tar -C /usr/share/doc -cf - . 2>/dev/null | tar -C t -xf -
            find t | wc -l > /dev/null && rm -rf t
            git init -q repo && cd repo && echo x > x && git add x && git -c user.name=t -c user.email=t@t commit -qm m && git log --oneline | grep -q m
            """);
        Assert.Equal("hello\n", File.ReadAllText(B("a/b/f")));
        Assert.Equal(Sha256(B("big")), Sha256(B("a/moved")));
        if (transport == FuseTransport.IoUring)
        {
            Assert.True(v.Server.UringRequests > 0, "no request came through io_uring");
            Assert.Equal(UringQueueCountExpected(), v.Server.UringQueueCount);
        }
        else Assert.Equal(0, v.Server.UringRequests);
    }

    /// <summary>
    /// Under io_uring a thread stays with its entry until the reply: an open blocked in a pre-create (a scanner waiting
    /// for its service) holds one thread, the server adds an entry to that queue, and an unrelated stat and cat are
    /// served while the open still waits; a create a filter pends is answered from the thread that completes it (its
    /// reply is committed by the entry's own thread).
    /// </summary>
    [UringFact]
    public void BlockedAndPendedCreatesUnderIoUringLeaveOtherRequestsServed()
    {
        var release = new ManualResetEventSlim(false);
        int blocked = 0;
        var pended = new System.Collections.Concurrent.ConcurrentQueue<PendedOperation>();
        AddFilter("Waiter", "265000", new OperationRegistration(MajorFunction.Create, 0,
            (CallbackData d, in RelatedObjects o, out object? c) =>
            {
                c = null;
                string name = NameOf(d);
                if (name.EndsWith("blocked", StringComparison.Ordinal)) { Interlocked.Increment(ref blocked); release.Wait(); }
                else if (name.EndsWith("pended", StringComparison.Ordinal)) { pended.Enqueue(d.PendedOperation); return PreOperationStatus.Pending; }
                return PreOperationStatus.SuccessNoCallback;
            }, null));
        File.WriteAllText(B("other.txt"), "other\n");
        Directory.CreateDirectory(B("d0"));
        Directory.CreateDirectory(B("d1"));
        var v = MountWith(FuseTransport.IoUring);
        int queues = v.Server.UringQueueCount;
        WaitUntil(() => v.Server.UringEntriesRegistered().Sum() == queues, "one entry registered per queue");
        Process? blocker = null, pender = null;
        try
        {
            blocker = StartProgram($"echo b > {M("d0/blocked")}");   // own directories: a create holds its parent's lock
            WaitUntil(() => Volatile.Read(ref blocked) == 1, "the create waits in the filter");
            // The blocked thread's queue had no other entry: the server registers another before anything else is served.
            WaitUntil(() => v.Server.UringEntriesRegistered().Sum() == queues + 1, "a second entry on the blocked queue");
            Assert.Equal("other\n", ShOk($"stat {M("other.txt")} > /dev/null && cat {M("other.txt")}"));
            Assert.False(blocker.HasExited, "the blocked create still waits");

            pender = StartProgram($"echo p > {M("d1/pended")}");
            WaitUntil(() => !pended.IsEmpty, "the second create pended");
            var completer = new Thread(() => { Assert.True(pended.TryDequeue(out PendedOperation op)); op.CompletePreOperation(PreOperationStatus.SuccessNoCallback); });
            completer.Start();
            completer.Join();
            Assert.True(pender.WaitForExit(60_000), "the pended create was answered");
            Assert.Equal(0, pender.ExitCode);
            Assert.Equal("p\n", File.ReadAllText(B("d1/pended")));
            Assert.False(blocker.HasExited, "the blocked create still waits");
        }
        finally
        {
            release.Set();
            foreach (var p in pended) p.CompletePreOperation(PreOperationStatus.SuccessNoCallback);
        }
        Assert.True(blocker.WaitForExit(60_000), "the blocked create finished once released");
        Assert.Equal(0, blocker.ExitCode);
        Assert.Equal("b\n", File.ReadAllText(B("d0/blocked")));
        Assert.True(v.Server.UringRequests > 0);
        blocker.Dispose();
        pender?.Dispose();
    }

    /// <summary>
    /// With the fuse module's enable_uring off, the kernel does not offer io_uring at INIT: Auto falls back to /dev/fuse
    /// and serves, and a mount that requires io_uring fails with the reason. (No other io_uring mount is live here: the
    /// tests of this assembly run one at a time, and the other assemblies never ask for io_uring.)
    /// </summary>
    [UringFact]
    public void WithoutKernelSupportAutoFallsBackAndIoUringRefusesTheMount()
    {
        const string parameter = "/sys/module/fuse/parameters/enable_uring";
        File.WriteAllText(parameter, "0");
        try
        {
            var v = Mount(new FuseVolumeOptions { Server = new FuseServerOptions { Transport = FuseTransport.Auto } });
            Assert.Equal(FuseTransport.DevFuse, v.Server.Transport);
            ShOk($"echo x > {M("f")} && cat {M("f")} | grep -qx x");
            Assert.Equal(0, v.Server.UringRequests);
            v.Unmount();

            string second = Path.Combine(Top, "mnt2");
            Directory.CreateDirectory(second);
            var e = Assert.ThrowsAny<Exception>(() => FuseVolume.Mount(Manager, Backing, second,
                new FuseVolumeOptions { Server = new FuseServerOptions { Transport = FuseTransport.IoUring } }));
            Assert.Contains("enable_uring", e.ToString());
            Assert.False(TestArtifacts.IsMounted(second), "the refused mount is gone");
        }
        finally
        {
            File.WriteAllText(parameter, "1");
        }
    }

    private static int UringQueueCountExpected()
    {
        string possible = File.ReadAllText("/sys/devices/system/cpu/possible").Trim();
        int last = int.Parse(possible.Split(',')[^1].Split('-')[^1]);
        return last + 1;
    }
}
