// The filter-issued I/O routines around FltCreateFile and FltReadFile (issue 9, point 8): flush, volume information, EAs,
// instance navigation, requestor and synchronicity. Three instances (Top 380000, Mid 370000, Bottom 360000) record the
// generated operations they see; I/O issued by Mid must reach Bottom only.
using System.Text;

namespace Altitude.Tests;

/// <summary>A filter registered for every major these tests issue, recording "Major" or "Major/minor" for generated I/O.</summary>
public sealed class RecordingFilter
{
    public static readonly MajorFunction[] Majors =
    {
        MajorFunction.Create, MajorFunction.Read, MajorFunction.Write, MajorFunction.QueryInformation, MajorFunction.SetInformation,
        MajorFunction.QueryEa, MajorFunction.SetEa, MajorFunction.FlushBuffers, MajorFunction.QueryVolumeInformation,
        MajorFunction.FileSystemControl, MajorFunction.DeviceControl, MajorFunction.QuerySecurity, MajorFunction.SetSecurity,
        MajorFunction.Cleanup, MajorFunction.Close,
    };

    private readonly List<string> seen = new();
    public Filter Filter = null!;
    public Instance Instance = null!;
    /// <summary>Runs in every pre-op (generated or not); returns null to pass through with a callback.</summary>
    public Func<CallbackData, PreOperationStatus?>? OnPre;

    public string[] Seen() { lock (seen) return seen.ToArray(); }
    public void Clear() { lock (seen) seen.Clear(); }

    public static RecordingFilter Start(FilterManager manager, string name, string altitude)
    {
        var f = new RecordingFilter();
        var ops = new List<OperationRegistration>();
        foreach (var m in Majors)
            ops.Add(new OperationRegistration(m, OperationRegistrationFlags.None,
                (CallbackData d, in RelatedObjects o, out object? c) =>
                {
                    c = null;
                    if (d.IsGeneratedIo) lock (f.seen) f.seen.Add(d.Iopb.MinorFunction == 0 ? $"{d.Iopb.MajorFunction}" : $"{d.Iopb.MajorFunction}/{d.Iopb.MinorFunction}");
                    return f.OnPre?.Invoke(d) ?? PreOperationStatus.SuccessWithCallback;
                },
                (CallbackData d, in RelatedObjects o, object? c, PostOperationFlags fl) => PostOperationStatus.FinishedProcessing));
        var registration = new FilterRegistration
        {
            OperationRegistration = ops,
            FilterUnload = _ => NtStatus.Success,
            InstanceQueryTeardown = (in RelatedObjects o, InstanceTeardownFlags fl) => NtStatus.Success,
        };
        Assert.Equal(NtStatus.Success, manager.RegisterFilter(FilterConfiguration.Single(name, altitude), registration, out var filter));
        f.Filter = filter!;
        Assert.Equal(NtStatus.Success, f.Filter.StartFiltering());
        f.Instance = f.Filter.Instances.Single();
        return f;
    }
}

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FilterIoRoutineTests : LoopbackStack
{
    private readonly RecordingFilter top, mid, bottom;

    public FilterIoRoutineTests()
    {
        top = RecordingFilter.Start(Manager, "Top", "380000");
        mid = RecordingFilter.Start(Manager, "Mid", "370000");
        bottom = RecordingFilter.Start(Manager, "Bottom", "360000");
    }

    private FileObject CreateFromMid(string path, int flags = OpenFlags.O_RDWR | OpenFlags.O_CREAT)
    {
        Assert.Equal(NtStatus.Success, mid.Filter.CreateFile(Volume, mid.Instance, path, flags, 0x1A4, out var fo, out _));
        bottom.Clear();
        return fo!;
    }

    [Fact]
    public void InstanceNavigationWalksTheStackByAltitudeAndEndsWithNoMoreEntries()
    {
        Assert.Equal(NtStatus.Success, Volume.GetTopInstance(out var t));
        Assert.Same(top.Instance, t);
        Assert.Equal(NtStatus.Success, Volume.GetBottomInstance(out var b));
        Assert.Same(bottom.Instance, b);
        Assert.Equal(NtStatus.Success, mid.Instance.GetUpperInstance(out var upper));
        Assert.Same(top.Instance, upper);
        Assert.Equal(NtStatus.Success, mid.Instance.GetLowerInstance(out var lower));
        Assert.Same(bottom.Instance, lower);
        Assert.Equal(NtStatus.NoMoreEntries, top.Instance.GetUpperInstance(out upper));
        Assert.Null(upper);
        Assert.Equal(NtStatus.NoMoreEntries, bottom.Instance.GetLowerInstance(out lower));
        Assert.Null(lower);

        Assert.True(Instance.CompareAltitudes(top.Instance, mid.Instance) > 0);
        Assert.True(Instance.CompareAltitudes(bottom.Instance, mid.Instance) < 0);
        Assert.Equal(0, Instance.CompareAltitudes(mid.Instance, mid.Instance));

        // A detached instance is skipped: the neighbours now see each other.
        Assert.Equal(NtStatus.Success, mid.Filter.DetachVolume(Volume, null));
        Assert.Equal(NtStatus.Success, top.Instance.GetLowerInstance(out lower));
        Assert.Same(bottom.Instance, lower);
        Assert.Equal(NtStatus.Success, bottom.Instance.GetUpperInstance(out upper));
        Assert.Same(top.Instance, upper);

        // A volume without instances has neither a top nor a bottom.
        var empty = Manager.AddVolume(new FakeFileSystem());
        foreach (var f in new[] { top, mid, bottom }) Assert.Equal(NtStatus.Success, f.Filter.DetachVolume(empty, null));
        Assert.Equal(NtStatus.NoMoreEntries, empty.GetTopInstance(out t));
        Assert.Null(t);
        Assert.Equal(NtStatus.NoMoreEntries, empty.GetBottomInstance(out b));
        Assert.Null(b);
    }

    [Fact]
    public void RequestorProcessIdIsTheCallersAndZeroWhenUnknown()
    {
        uint pid = uint.MaxValue;
        bottom.OnPre = d => { if (d.Iopb.MajorFunction == MajorFunction.Read) pid = d.GetRequestorProcessId(); return null; };
        File.WriteAllText(InBacking("r"), "abc");
        var fo = Open("r", OpenFlags.O_RDONLY);
        Assert.Equal(NtStatus.Success, Client.Read(fo, new byte[4], 0, out _));
        Assert.Equal((uint)Environment.ProcessId, pid);

        Client.Requestor = Requestor.Unknown;
        Assert.Equal(NtStatus.Success, Client.Read(fo, new byte[4], 0, out _));
        Assert.Equal(0u, pid);

        pid = uint.MaxValue;
        var own = CreateFromMid("r", OpenFlags.O_RDONLY);
        Assert.Equal(NtStatus.Success, mid.Instance.ReadFile(own, 0, new byte[4], FilterIoFlags.None, out _));
        Assert.Equal(0u, pid);   // a filter's own I/O has no requesting process
        mid.Filter.Close(own);
        Client.CloseHandle(fo);
    }

    [Fact]
    public void IsOperationSynchronousFollowsTheWdkRules()
    {
        var seen = new List<bool>();
        bottom.OnPre = d => { if (d.Iopb.MajorFunction == MajorFunction.Read) lock (seen) seen.Add(d.IsOperationSynchronous()); return null; };
        File.WriteAllText(InBacking("s"), "abcdef");
        var sync = CreateFromMid("s", OpenFlags.O_RDONLY);
        var nonblocking = CreateFromMid("s", OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK);
        var buffer = new byte[2];
        Assert.Equal(NtStatus.Success, mid.Instance.ReadFile(sync, 0, buffer, FilterIoFlags.None, out _));
        Assert.Equal(NtStatus.Success, mid.Instance.ReadFile(nonblocking, 0, buffer, FilterIoFlags.None, out _));
        Assert.Equal(NtStatus.Success, mid.Instance.ReadFile(sync, 0, buffer, FilterIoFlags.Paging, out _));
        Assert.Equal(NtStatus.Success, mid.Instance.ReadFile(nonblocking, 0, buffer, FilterIoFlags.Paging | FilterIoFlags.SynchronousPaging, out _));
        // A synchronous file object; an O_NONBLOCK one; asynchronous paging I/O (even on a synchronous object); synchronous paging.
        Assert.Equal(new[] { true, false, false, true }, seen);
        mid.Filter.Close(sync);
        mid.Filter.Close(nonblocking);
    }

    [Fact]
    public void FlushBuffersIsSeenBelowOnlyAndNeedsAnOpenObject()
    {
        var fo = CreateFromMid("f");
        Assert.Equal(NtStatus.Success, mid.Instance.WriteFile(fo, 0, "data"u8.ToArray(), FilterIoFlags.None, out _));
        bottom.Clear();
        Assert.Equal(NtStatus.Success, mid.Instance.FlushBuffers(fo));
        Assert.Equal(NtStatus.Success, mid.Instance.FlushBuffers(fo, FlushFlags.FileDataOnly));
        Assert.Equal(new[] { "FlushBuffers", $"FlushBuffers/{MinorFunction.FlushDataOnly}" }, bottom.Seen());
        Assert.DoesNotContain("FlushBuffers", top.Seen());
        Assert.DoesNotContain("FlushBuffers", mid.Seen());
        mid.Filter.Close(fo);
        Assert.Equal(NtStatus.InvalidParameter, mid.Instance.FlushBuffers(fo));   // closed
        Assert.Equal(NtStatus.InvalidParameter, mid.Instance.FlushBuffers(new FileObject(Volume)));
    }

    [Fact]
    public void QueryVolumeInformationFileGivesTheStatfsOfTheVolume()
    {
        var fo = CreateFromMid("v");
        Assert.Equal(NtStatus.Success, mid.Instance.QueryVolumeInformationFile(fo, FsInformationClass.FileFsFullSizeInformation, out var stats));
        Assert.Equal(new[] { "QueryVolumeInformation" }, bottom.Seen());
        Assert.DoesNotContain("QueryVolumeInformation", top.Seen());
        Assert.Equal(NtStatus.Success, Client.QueryVolumeInformation(out var fromTop));
        Assert.True(stats.BlockSize > 0);
        Assert.Equal(fromTop.TotalBlocks, stats.TotalBlocks);
        Assert.Equal(fromTop.BlockSize, stats.BlockSize);
        Assert.True(stats.TotalBlocks >= stats.FreeBlocks && stats.FreeBlocks >= stats.AvailableBlocks);
        Assert.Equal(new DriveInfo(Backing).TotalSize, (long)(stats.TotalBlocks * stats.FragmentSize));

        Assert.Equal(NtStatus.Success, mid.Instance.QueryVolumeInformation(FsInformationClass.FileFsSizeInformation, out var again));
        Assert.Equal(stats.TotalBlocks, again.TotalBlocks);
        Assert.Equal(NtStatus.InvalidInfoClass, mid.Instance.QueryVolumeInformationFile(fo, FsInformationClass.None, out _));
        mid.Filter.Close(fo);
    }

    private static byte[] FullEas(params (string Name, string Value, byte Flags)[] eas)
    {
        var buffer = new byte[4096];
        int length = 0, last = 0;
        foreach (var (name, value, flags) in eas)
            Assert.True(EaBuffer.TryAppendFull(buffer, ref length, ref last, Encoding.ASCII.GetBytes(name), Encoding.UTF8.GetBytes(value), flags));
        return buffer.AsSpan(0, length).ToArray();
    }

    private static List<(string Name, string Value)> Parse(ReadOnlySpan<byte> buffer)
    {
        Assert.True(EaBuffer.IsValidFull(buffer, out _));
        var list = new List<(string, string)>();
        foreach (var e in EaBuffer.ReadFull(buffer)) list.Add((Encoding.ASCII.GetString(e.Name), Encoding.UTF8.GetString(e.Value)));
        return list;
    }

    [Fact]
    public void SetEaFileWritesUserXattrsAndQueryEaFileReadsThemBack()
    {
        var fo = CreateFromMid("ea");
        Assert.Equal(NtStatus.Success, mid.Instance.SetEaFile(fo, FullEas(("alpha", "one", 0), ("beta", "two2", EaBuffer.FileNeedEa))));
        Assert.Equal(new[] { "SetEa", "SetEa" }, bottom.Seen());
        Assert.DoesNotContain("SetEa", top.Seen());
        // They are user.* xattrs of the backing file.
        var raw = new byte[16];
        Assert.Equal(NtStatus.Success, Client.QueryEa("ea", "user.beta", raw, out int size));
        Assert.Equal("two2", Encoding.UTF8.GetString(raw, 0, size));

        var buffer = new byte[1024];
        Assert.Equal(NtStatus.Success, mid.Instance.QueryEaFile(fo, buffer, false, default, null, restartScan: true, out int length));
        var all = Parse(buffer.AsSpan(0, length));
        all.Sort();
        Assert.Equal(new[] { ("alpha", "one"), ("beta", "two2") }, all);

        // One at a time: the open keeps the scan position.
        var one = new List<(string, string)>();
        Assert.Equal(NtStatus.Success, mid.Instance.QueryEaFile(fo, buffer, true, default, null, restartScan: true, out length));
        one.AddRange(Parse(buffer.AsSpan(0, length)));
        Assert.Equal(NtStatus.Success, mid.Instance.QueryEaFile(fo, buffer, true, default, null, restartScan: false, out length));
        one.AddRange(Parse(buffer.AsSpan(0, length)));
        Assert.Equal(NtStatus.NoMoreEas, mid.Instance.QueryEaFile(fo, buffer, true, default, null, restartScan: false, out length));
        one.Sort();
        Assert.Equal(all, one);

        // By index (1-based), and past the end.
        Assert.Equal(NtStatus.Success, mid.Instance.QueryEaFile(fo, buffer, true, default, 2, false, out length));
        Assert.Single(Parse(buffer.AsSpan(0, length)));
        Assert.Equal(NtStatus.NonexistentEaEntry, mid.Instance.QueryEaFile(fo, buffer, true, default, 3, false, out _));

        // An EaList: in its order, an absent name with an empty value.
        var list = new byte[256];
        int listLength = 0, lastEntry = 0;
        foreach (var n in new[] { "beta", "missing", "alpha" }) Assert.True(EaBuffer.TryAppendGet(list, ref listLength, ref lastEntry, Encoding.ASCII.GetBytes(n)));
        Assert.Equal(NtStatus.Success, mid.Instance.QueryEaFile(fo, buffer, false, list.AsSpan(0, listLength), null, false, out length));
        Assert.Equal(new[] { ("beta", "two2"), ("missing", ""), ("alpha", "one") }, Parse(buffer.AsSpan(0, length)));
        mid.Filter.Close(fo);
    }

    [Fact]
    public void QueryEaFileReportsSmallBuffersAndEmptySetsAsWindowsDoes()
    {
        var fo = CreateFromMid("ea2");
        Assert.Equal(NtStatus.NoEasOnFile, mid.Instance.QueryEaFile(fo, new byte[64], false, default, null, true, out _));
        Assert.Equal(NtStatus.Success, mid.Instance.SetEaFile(fo, FullEas(("a", new string('x', 40), 0), ("b", new string('y', 40), 0))));

        // Not even the first entry fits: TOO_SMALL with the size it needs.
        Assert.Equal(NtStatus.BufferTooSmall, mid.Instance.QueryEaFile(fo, new byte[8], false, default, null, true, out int needed));
        Assert.Equal(EaBuffer.FullEntrySize(1, 40), needed);

        // One of two fits: OVERFLOW with that one; the scan then continues with the other.
        var buffer = new byte[64];
        Assert.Equal(NtStatus.BufferOverflow, mid.Instance.QueryEaFile(fo, buffer, false, default, null, true, out int length));
        var first = Parse(buffer.AsSpan(0, length));
        Assert.Single(first);
        Assert.Equal(NtStatus.Success, mid.Instance.QueryEaFile(fo, buffer, false, default, null, false, out length));
        var second = Parse(buffer.AsSpan(0, length));
        Assert.Single(second);
        Assert.NotEqual(first[0].Name, second[0].Name);

        // An empty value removes; a malformed list changes nothing.
        Assert.Equal(NtStatus.Success, mid.Instance.SetEaFile(fo, FullEas(("a", "", 0), ("b", "", 0), ("never-there", "", 0))));
        Assert.Equal(NtStatus.NoEasOnFile, mid.Instance.QueryEaFile(fo, buffer, false, default, null, true, out _));
        var bad = FullEas(("c", "v", 0));
        bad[5] = 200;   // the name length runs past the buffer
        Assert.Equal(NtStatus.EaListInconsistent, mid.Instance.SetEaFile(fo, bad));
        Assert.Equal(NtStatus.NoEasOnFile, mid.Instance.QueryEaFile(fo, buffer, false, default, null, true, out _));
        mid.Filter.Close(fo);
    }

    [Fact]
    public void FsControlFileQueriesAllocatedRangesAndRefusesUnknownCodes()
    {
        var fo = CreateFromMid("sparse");
        Assert.Equal(NtStatus.Success, mid.Instance.WriteFile(fo, 0, "a"u8.ToArray(), FilterIoFlags.None, out _));
        Assert.Equal(NtStatus.Success, mid.Instance.WriteFile(fo, 1 << 20, "b"u8.ToArray(), FilterIoFlags.None, out _));
        bottom.Clear();
        var input = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(input.AsSpan(8), 2 << 20);
        var output = new byte[16 * 8];
        Assert.Equal(NtStatus.Success, mid.Instance.FsControlFile(fo, FsControlCode.QueryAllocatedRanges, input, output, out int length));
        Assert.Equal(new[] { "FileSystemControl" }, bottom.Seen());
        Assert.DoesNotContain("FileSystemControl", top.Seen());
        Assert.Equal(32, length);   // two data ranges around a hole
        long first = BitConverter.ToInt64(output, 0), second = BitConverter.ToInt64(output, 16), secondLength = BitConverter.ToInt64(output, 24);
        Assert.Equal(0, first);
        Assert.True(second <= 1 << 20 && second + secondLength > 1 << 20, $"second range {second}+{secondLength}");

        // Room for one: BUFFER_OVERFLOW with the one that fit.
        Assert.Equal(NtStatus.BufferOverflow, mid.Instance.FsControlFile(fo, FsControlCode.QueryAllocatedRanges, input, new byte[16], out length));
        Assert.Equal(16, length);
        Assert.Equal(NtStatus.InvalidDeviceRequest, mid.Instance.FsControlFile(fo, 0x00090018 /* FSCTL_LOCK_VOLUME */, default, default, out _));
        mid.Filter.Close(fo);
    }

    [Fact]
    public void DeviceIoControlFileForwardsTheLinuxFileIoctlsOnly()
    {
        var fo = CreateFromMid("ioctl");
        var output = new byte[8];
        Assert.Equal(NtStatus.Success, mid.Instance.DeviceIoControlFile(fo, IoControlCode.GetBlockSize, default, output, out int length));
        Assert.Equal(4, length);
        Assert.Equal(NtStatus.Success, mid.Instance.QueryVolumeInformationFile(fo, FsInformationClass.FileFsSizeInformation, out var stats));
        Assert.Equal((int)stats.BlockSize, BitConverter.ToInt32(output, 0));
        Assert.Contains("DeviceControl", bottom.Seen());
        Assert.DoesNotContain("DeviceControl", top.Seen());

        // chattr flags: ext4, xfs, btrfs and tmpfs (6.0+) have them; a backing file system without gives INVALID_DEVICE_REQUEST.
        NtStatus flags = mid.Instance.DeviceIoControlFile(fo, IoControlCode.GetFlags, default, output, out _);
        Assert.True(flags is NtStatus.Success or NtStatus.InvalidDeviceRequest, flags.Describe());

        Assert.Equal(NtStatus.BufferTooSmall, mid.Instance.DeviceIoControlFile(fo, IoControlCode.GetBlockSize, default, new byte[2], out _));
        Assert.Equal(NtStatus.InvalidDeviceRequest, mid.Instance.DeviceIoControlFile(fo, 0x5401 /* TCGETS */, default, output, out _));
        mid.Filter.Close(fo);
        Assert.Equal(NtStatus.InvalidParameter, mid.Instance.DeviceIoControlFile(fo, IoControlCode.GetBlockSize, default, output, out _));
    }

    private (uint Uid, uint Gid) OwnerOf(string path)
    {
        Assert.Equal(NtStatus.Success, Client.QueryInformation(path, out var stat));
        return (stat.Uid, stat.Gid);
    }

    private static List<AccessControlEntry> DaclOf(ReadOnlySpan<byte> descriptor, out FileSecurity security)
    {
        Assert.Equal(NtStatus.Success, FileSecurityDescriptor.Parse(descriptor, out var parsed));
        security = parsed!;
        return security.Dacl!.ToList();
    }

    [Fact]
    public void QuerySecurityObjectPresentsOwnerGroupAndModeAsASelfRelativeDescriptor()
    {
        var fo = CreateFromMid("sec");
        File.SetUnixFileMode(InBacking("sec"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);   // 0640
        var (uid, gid) = OwnerOf("sec");
        const SecurityInformation all = SecurityInformation.Owner | SecurityInformation.Group | SecurityInformation.Dacl;

        Assert.Equal(NtStatus.BufferTooSmall, mid.Instance.QuerySecurityObject(fo, all, new byte[8], out int needed));
        Assert.True(needed > 20, $"needed {needed}");
        var sd = new byte[needed];
        Assert.Equal(NtStatus.Success, mid.Instance.QuerySecurityObject(fo, all, sd, out int length));
        Assert.Equal(needed, length);
        Assert.Contains("QuerySecurity", bottom.Seen());
        Assert.DoesNotContain("QuerySecurity", top.Seen());

        var dacl = DaclOf(sd, out var parsed);
        Assert.Equal(uid, parsed.OwnerUid);
        Assert.Equal(gid, parsed.GroupGid);
        Assert.Equal(new[] { (TrusteeKind.User, uid, 6u), (TrusteeKind.Group, gid, 4u), (TrusteeKind.Everyone, 0u, 0u) },
            dacl.Select(a => (a.Trustee, a.Id, FileSecurityDescriptor.RwxOf(a.AccessMask))));
        Assert.All(dacl, a => Assert.True(a.Allow));

        // Only what was asked for: an owner-only descriptor has no group and no DACL.
        Assert.Equal(NtStatus.Success, mid.Instance.QuerySecurityObject(fo, SecurityInformation.Owner, sd, out length));
        Assert.Equal(NtStatus.Success, FileSecurityDescriptor.Parse(sd.AsSpan(0, length), out var ownerOnly));
        Assert.Equal(uid, ownerOnly!.OwnerUid);
        Assert.Null(ownerOnly.GroupGid);
        Assert.False(ownerOnly.DaclPresent);
        mid.Filter.Close(fo);
    }

    [Fact]
    public void SetSecurityObjectSetsTheModeFromTheDaclAndRefusesWhatItCannotMap()
    {
        var fo = CreateFromMid("set");
        var (uid, gid) = OwnerOf("set");
        AccessControlEntry[] dacl =
        {
            new(true, FileSecurityDescriptor.FileGenericRead | FileSecurityDescriptor.FileGenericWrite | FileSecurityDescriptor.FileGenericExecute, TrusteeKind.User, uid),
            new(true, FileSecurityDescriptor.FileGenericRead | FileSecurityDescriptor.FileGenericExecute, TrusteeKind.Group, gid),
            new(true, FileSecurityDescriptor.FileGenericExecute, TrusteeKind.Everyone),
        };
        var sd = new byte[256];
        const SecurityInformation all = SecurityInformation.Owner | SecurityInformation.Group | SecurityInformation.Dacl;
        Assert.Equal(NtStatus.Success, FileSecurityDescriptor.Write(all, uid, gid, dacl, sd, out int length));
        Assert.Equal(NtStatus.Success, mid.Instance.SetSecurityObject(fo, all, sd.AsSpan(0, length)));
        Assert.Equal((UnixFileMode)0x1E9 /* 0751 */, File.GetUnixFileMode(InBacking("set")));
        Assert.Contains("SetSecurity", bottom.Seen());
        Assert.DoesNotContain("SetSecurity", top.Seen());

        // Round trip: the descriptor read back grants the same.
        var back = new byte[256];
        Assert.Equal(NtStatus.Success, mid.Instance.QuerySecurityObject(fo, all, back, out int backLength));
        Assert.Equal(new[] { 7u, 5u, 1u }, DaclOf(back.AsSpan(0, backLength), out _).Select(a => FileSecurityDescriptor.RwxOf(a.AccessMask)));

        // An owner asked for but absent, a deny ACE, a truncated descriptor.
        Assert.Equal(NtStatus.Success, FileSecurityDescriptor.Write(SecurityInformation.Dacl, uid, gid, dacl, sd, out int daclOnly));
        Assert.Equal(NtStatus.InvalidOwner, mid.Instance.SetSecurityObject(fo, SecurityInformation.Owner, sd.AsSpan(0, daclOnly)));
        var deny = new[] { new AccessControlEntry(false, FileSecurityDescriptor.FileGenericWrite, TrusteeKind.Everyone) };
        Assert.Equal(NtStatus.Success, FileSecurityDescriptor.Write(SecurityInformation.Dacl, uid, gid, deny, sd, out int denyLength));
        Assert.Equal(NtStatus.NotSupported, mid.Instance.SetSecurityObject(fo, SecurityInformation.Dacl, sd.AsSpan(0, denyLength)));
        Assert.Equal(NtStatus.InvalidSecurityDescriptor, mid.Instance.SetSecurityObject(fo, SecurityInformation.Dacl, sd.AsSpan(0, 10)));
        Assert.Equal((UnixFileMode)0x1E9, File.GetUnixFileMode(InBacking("set")));
        mid.Filter.Close(fo);
    }

    [Fact]
    public void NamedUserAcesBecomeAPosixAclAndDisappearWithIt()
    {
        var fo = CreateFromMid("acl");
        var (uid, gid) = OwnerOf("acl");
        uint other = uid + 4242;
        AccessControlEntry[] dacl =
        {
            new(true, FileSecurityDescriptor.FileGenericRead | FileSecurityDescriptor.FileGenericWrite, TrusteeKind.User, uid),
            new(true, FileSecurityDescriptor.FileGenericRead | FileSecurityDescriptor.FileGenericWrite, TrusteeKind.User, other),
            new(true, FileSecurityDescriptor.FileGenericRead, TrusteeKind.Group, gid),
            new(true, 0, TrusteeKind.Everyone),
        };
        var sd = new byte[256];
        Assert.Equal(NtStatus.Success, FileSecurityDescriptor.Write(SecurityInformation.Dacl, uid, gid, dacl, sd, out int length));
        Assert.Equal(NtStatus.Success, mid.Instance.SetSecurityObject(fo, SecurityInformation.Dacl, sd.AsSpan(0, length)));
        Assert.Equal(NtStatus.Success, Client.QueryEa("acl", "system.posix_acl_access", new byte[256], out int aclSize));
        Assert.Equal(4 + 8 * 5, aclSize);   // USER_OBJ, USER(other), GROUP_OBJ, MASK, OTHER

        var back = new byte[256];
        const SecurityInformation all = SecurityInformation.Owner | SecurityInformation.Group | SecurityInformation.Dacl;
        Assert.Equal(NtStatus.Success, mid.Instance.QuerySecurityObject(fo, all, back, out int backLength));
        Assert.Equal(new[] { (TrusteeKind.User, uid, 6u), (TrusteeKind.User, other, 6u), (TrusteeKind.Group, gid, 4u), (TrusteeKind.Everyone, 0u, 0u) },
            DaclOf(back.AsSpan(0, backLength), out _).Select(a => (a.Trustee, a.Id, FileSecurityDescriptor.RwxOf(a.AccessMask))));

        // Without named ACEs the ACL goes and the mode says it all.
        Assert.Equal(NtStatus.Success, FileSecurityDescriptor.Write(SecurityInformation.Dacl, uid, gid, new[] { dacl[0], dacl[2], dacl[3] }, sd, out length));
        Assert.Equal(NtStatus.Success, mid.Instance.SetSecurityObject(fo, SecurityInformation.Dacl, sd.AsSpan(0, length)));
        Assert.Equal(NtStatus.NoEasOnFile, Client.QueryEa("acl", "system.posix_acl_access", new byte[256], out _));
        Assert.Equal((UnixFileMode)0x1A0 /* 0640 */, File.GetUnixFileMode(InBacking("acl")));
        mid.Filter.Close(fo);
    }
}
