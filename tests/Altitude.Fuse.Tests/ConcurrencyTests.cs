// Several processes reading, writing and renaming in one directory at once, with no lost data.
namespace Altitude.Fuse.Tests;

public class ConcurrencyTests : MountTestBase
{
    [MountFact]
    public void ProcessesWriteRenameAndReadInOneDirectory()
    {
        Mount();
        string dir = M("shared");
        Directory.CreateDirectory(dir);
        const int Writers = 4, Files = 150;
        var tasks = new List<Task<(int, string, string)>>();
        for (int w = 0; w < Writers; w++)
        {
            int id = w;
            tasks.Add(Task.Run(() => Sh($"""
                cd {dir} && for i in $(seq 1 {Files}); do
                  printf 'writer {id} file %s\n' $i > .tmp-{id}-$i && mv .tmp-{id}-$i w{id}-$i
                  test "$(cat w{id}-$i)" = "writer {id} file $i" || exit 1
                  if [ $((i % 10)) -eq 0 ]; then mv w{id}-$((i - 1)) w{id}-$((i - 1)).renamed; fi
                done
                """, 300)));
        }
        tasks.Add(Task.Run(() => Sh($"for i in $(seq 1 100); do ls {dir} > /dev/null; cat {dir}/w0-1 > /dev/null 2>&1; done; true", 300)));
        Task.WaitAll([.. tasks]);
        foreach (var t in tasks) Assert.True(t.Result.Item1 == 0, t.Result.Item3);
        string[] names = Directory.GetFiles(B("shared"));
        Assert.Equal(Writers * Files, names.Length);
        for (int w = 0; w < Writers; w++)
            for (int i = 1; i <= Files; i++)
            {
                string name = i % 10 == 9 ? $"w{w}-{i}.renamed" : $"w{w}-{i}";
                Assert.Equal($"writer {w} file {i}\n", File.ReadAllText(B("shared/" + name)));
            }
    }
}
