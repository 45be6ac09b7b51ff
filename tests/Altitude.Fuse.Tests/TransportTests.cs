// The two request transports, each through a real mount: FUSE over io_uring (per-CPU queues, COMMIT_AND_FETCH) and
// /dev/fuse (readv and writev). The same programs run on both and must see the same file system; the io_uring mount
// must really serve its requests through the rings, and a mount that asks for io_uring where the kernel does not offer
// it must fail with the reason.
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

    private static int UringQueueCountExpected()
    {
        string possible = File.ReadAllText("/sys/devices/system/cpu/possible").Trim();
        int last = int.Parse(possible.Split(',')[^1].Split('-')[^1]);
        return last + 1;
    }
}
