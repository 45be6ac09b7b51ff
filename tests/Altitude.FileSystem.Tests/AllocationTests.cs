// Steady-state calls must not allocate on the managed heap.
namespace Altitude.FileSystem.Tests;

public class AllocationTests : LoopbackTestBase
{
    [Fact]
    public void SteadyStateCallsDoNotAllocate()
    {
        File.WriteAllBytes(InBacking("f"), new byte[4096]);
        Directory.CreateDirectory(InBacking("d"));
        ulong d = NodeOf("d");
        byte[] name = B("f");
        byte[] path = B("d/../f");
        byte[] buffer = new byte[4096];
        byte[] newName = B("g");

        int failures = 0;

        long Run()
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 200; i++)
            {
                C(Fs.Lookup(Root, name, out ulong f, out _, out _));
                C(Fs.LookupPath(path, out ulong same, out _, out _));
                C(Fs.GetAttributes(f, out _));
                C(Fs.Open(f, ORdWr, out int fd));
                C(Fs.Read(fd, buffer, 0, out _));
                C(Fs.Write(fd, buffer.AsSpan(0, 16), 8, out _));
                C(Fs.Close(fd));
                C(Fs.SetTimes(f, TimeSpec.Now, TimeSpec.Now));
                C(Fs.Rename(Root, name, d, newName, 0));
                C(Fs.Rename(d, newName, Root, name, 0));
                C(Fs.OpenDirectory(d, out fd));
                C(Fs.ReadDirectory(fd, 0, buffer, out _));
                C(Fs.Close(fd));
                Fs.Forget(f, 1);
                Fs.Forget(same, 1);
            }
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        // Assert.Equal allocates, so failures are only counted inside the measured loop.
        void C(Errno e)
        {
            if (e != Errno.Success)
                failures++;
        }

        Run(); // warm up: JIT, table growth, dictionary buckets
        Assert.Equal(0, Run());
        Assert.Equal(0, failures);
        Assert.Equal(2, Fs.NodeCount);
    }
}
