// The control endpoint end to end: a FilterManager with four filters on two loopback volumes and a ControlEndpoint
// in this process, FilterLib's management calls in a separate client process (PortTestClient mgmt). The expected
// bytes are written out field by field from fltUserStructures.h, independently of InformationLayout.
using System.Text;
using Altitude.FileSystem;
using static Altitude.Ports.Tests.ManagementClient;

namespace Altitude.Ports.Tests;

public sealed class ControlEndpointTests
{
    private const uint NoMoreItems = 0x80070103, InsufficientBuffer = 0x8007007A, InvalidArg = 0x80070057, AccessDenied = 0x80070005;
    private const uint AltitudeCollision = 0x801F0011, NameCollision = 0x801F0012, FilterNotFound = 0x801F0013, VolumeNotFound = 0x801F0014;
    private const uint InstanceNotFound = 0x801F0015, DoNotDetach = 0x801F0010, FileNotFound = 0x80070002, AlreadyRunning = 0x80070420;
    private const uint Nobody = 65534;
    private const string V1 = "/dev/altitude/volume1", V2 = "/dev/altitude/volume2";

    // Little-endian field writers for the expected layouts.
    private static string U16(int v) => $"{v & 0xFF:X2}{(v >> 8) & 0xFF:X2}";
    private static string U32(uint v) => U16((int)(v & 0xFFFF)) + U16((int)(v >> 16));
    private static string W(string s) => Convert.ToHexString(Encoding.Unicode.GetBytes(s));
    private static string[] Entries(string answer) => Detail(answer).Length == 0 ? [] : Detail(answer).Split(',');

    [Fact]
    public void FiltersListHighestAltitudeFirstInEveryClassWithTheExactLayouts()
    {
        using var host = new ManagementHost();
        using var client = host.StartClient();

        // FILTER_AGGREGATE_STANDARD_INFORMATION: Next, Flags (MINIFILTER), MiniFilter {Flags, FrameID, NumberOfInstances,
        // FilterName len/off, FilterAltitude len/off}: 28 bytes, then "Alpha" at 28 and "385100" at 38.
        string standard = client.Call("filters", "2");
        Assert.Equal(NoMoreItems, HResult(standard));
        var entries = Entries(standard);
        Assert.Equal(4, entries.Length);
        Assert.Equal(U32(0) + U32(1) + U32(0) + U32(0) + U32(2) + U16(10) + U16(28) + U16(12) + U16(38) + W("Alpha") + W("385100"), entries[0]);

        // FILTER_FULL_INFORMATION: Next, FrameID, NumberOfInstances, FilterNameLength, the name inline at 14.
        var full = Entries(client.Call("filters", "0"));
        Assert.Equal(U32(0) + U32(0) + U32(2) + U16(10) + W("Alpha"), full[0]);
        // Manual has no instance (its only instance is not attached automatically).
        Assert.Equal(U32(0) + U32(0) + U32(0) + U16(12) + W("Manual"), full[3]);

        // FILTER_AGGREGATE_BASIC_INFORMATION: Next, Flags, MiniFilter {FrameID, NumberOfInstances, name len/off, altitude len/off}: 24 bytes.
        var basic = Entries(client.Call("filters", "1"));
        Assert.Equal(U32(0) + U32(1) + U32(0) + U32(2) + U16(12) + U16(24) + U16(12) + U16(36) + W("Vetoer") + W("265000"), basic[2]);

        // The typed layer decodes the same enumeration, in the same order (farthest from the file system first).
        Assert.Equal("0x00000000 FilterInfo { Name = Alpha, Altitude = 385100, NumberOfInstances = 2, FrameId = 0, IsLegacy = False } | "
            + "FilterInfo { Name = Stuck, Altitude = 320000, NumberOfInstances = 2, FrameId = 0, IsLegacy = False } | "
            + "FilterInfo { Name = Vetoer, Altitude = 265000, NumberOfInstances = 2, FrameId = 0, IsLegacy = False } | "
            + "FilterInfo { Name = Manual, Altitude = 40500, NumberOfInstances = 0, FrameId = 0, IsLegacy = False }", client.Call("typed-filters"));
    }

    [Fact]
    public void VolumesListInMountOrderWithTheExactLayoutsAndDosNames()
    {
        using var host = new ManagementHost();
        using var client = host.StartClient();

        // FILTER_VOLUME_BASIC_INFORMATION: USHORT length, then the name.
        var basic = Entries(client.Call("volumes", "0"));
        Assert.Equal(new[] { U16(V1.Length * 2) + W(V1), U16(V2.Length * 2) + W(V2) }, basic);
        // FILTER_VOLUME_STANDARD_INFORMATION: Next, Flags, FrameID, FileSystemType (UNKNOWN), name length at 16, the name at 18.
        string standard = client.Call("volumes", "1");
        Assert.Equal(NoMoreItems, HResult(standard));
        Assert.Equal(U32(0) + U32(0) + U32(0) + U32(0) + U16(V2.Length * 2) + W(V2), Entries(standard)[1]);

        Assert.Equal("0x00000000 [/mnt/alt-a]", client.Call("dosname", V1));
        Assert.Equal("0x00000000 [/mnt/alt-a]", client.Call("dosname", "/mnt/alt-a/"));
        Assert.Equal("0x00000000 []", client.Call("dosname", V2));
        // The file system name is the backing directory's, from its statfs magic (here read by coreutils' stat -f).
        string fs = FileSystemTypeName.FromMagic(Convert.ToInt64(Run("stat", "-f", "-c", "%t", host.Directory).Trim(), 16));
        Assert.DoesNotContain("0x", fs);   // a magic the table knows (ext4, xfs, tmpfs, overlay, btrfs...)
        Assert.Equal($"0x00000000 VolumeInfo {{ Name = {V1}, DosName = /mnt/alt-a, FileSystemType = Unknown, FileSystemName = {fs}, FrameId = 0, Detached = False }} | "
            + $"VolumeInfo {{ Name = {V2}, DosName = , FileSystemType = Unknown, FileSystemName = {fs}, FrameId = 0, Detached = False }}", client.Call("typed-volumes"));
    }

    [Fact]
    public void InstancesListFromTheTopOfEachStackWithTheExactLayouts()
    {
        using var host = new ManagementHost();
        using var client = host.StartClient();

        // INSTANCE_AGGREGATE_STANDARD_INFORMATION: Next, Flags (MINIFILTER), MiniFilter {Flags, FrameID, VolumeFileSystemType,
        // Instance, Altitude, Volume, Filter len/off pairs, SupportedFeatures}: 40 bytes, then the strings in that order.
        var onA = Entries(client.Call("vinstances", V1, "3"));
        Assert.Equal(3, onA.Length);
        string inst = "Alpha Instance", alt = "385100";
        int o1 = 40, o2 = o1 + inst.Length * 2, o3 = o2 + alt.Length * 2, o4 = o3 + V1.Length * 2;
        Assert.Equal(U32(0) + U32(1) + U32(0) + U32(0) + U32(0) + U16(inst.Length * 2) + U16(o1) + U16(alt.Length * 2) + U16(o2)
            + U16(V1.Length * 2) + U16(o3) + U16(10) + U16(o4) + U32(0) + W(inst) + W(alt) + W(V1) + W("Alpha"), onA[0]);
        Assert.Contains(W("Stuck Instance"), onA[1]);
        Assert.Contains(W("Vetoer Instance"), onA[2]);

        // INSTANCE_BASIC / PARTIAL / FULL_INFORMATION of the filter's first instance (volume1's).
        Assert.Equal(U32(0) + U16(28) + U16(8) + W(inst), Entries(client.Call("finstances", "Alpha", "0"))[0]);
        Assert.Equal(U32(0) + U16(28) + U16(12) + U16(12) + U16(40) + W(inst) + W(alt), Entries(client.Call("finstances", "Alpha", "1"))[0]);
        var fullEntries = Entries(client.Call("finstances", "Alpha", "2"));
        Assert.Equal(2, fullEntries.Length);
        Assert.Equal(U32(0) + U16(28) + U16(20) + U16(12) + U16(48) + U16(V2.Length * 2) + U16(60) + U16(10) + U16(60 + V2.Length * 2)
            + W(inst) + W(alt) + W(V2) + W("Alpha"), fullEntries[1]);

        // FilterInstanceCreate with no name takes the filter's instance on the volume; FilterInstanceGetInformation the same bytes.
        Assert.Equal("0x00000000 Alpha Instance " + onA[0], client.Call("instinfo", "Alpha", V1, "-", "3"));

        Assert.Equal($"0x00000000 InstanceInfo {{ FilterName = Alpha, InstanceName = Alpha Instance, Altitude = 385100, VolumeName = {V1}, DosName = /mnt/alt-a, "
            + "FrameId = 0, VolumeFileSystemType = Unknown, SupportedFeatures = 0, Detached = False } | "
            + $"InstanceInfo {{ FilterName = Alpha, InstanceName = Alpha Instance, Altitude = 385100, VolumeName = {V2}, DosName = , "
            + "FrameId = 0, VolumeFileSystemType = Unknown, SupportedFeatures = 0, Detached = False }", client.Call("typed-instances", "Alpha", "-"));
        string all = client.Call("typed-instances", "-", "-");
        Assert.Equal(6, Detail(all).Split(" | ").Length);
    }

    [Fact]
    public void AnEmptyFirstAndTheEndAreNoMoreItemsAndASmallBufferGetsTheNeededSize()
    {
        using var host = new ManagementHost();
        using var client = host.StartClient();

        // Manual has no instance: First itself says ERROR_NO_MORE_ITEMS, with no handle.
        Assert.Equal($"0x{NoMoreItems:X8} 0 nohandle ", client.Call("first", "finstances", "0", "4096", "Manual"));
        Assert.Equal($"0x{NoMoreItems:X8} ", client.Call("finstances", "Manual", "0"));

        // Alpha's standard entry is 28 + 10 + 12 = 50 bytes: 49 is too small (the size needed, no handle), 50 is enough.
        Assert.Equal($"0x{InsufficientBuffer:X8} 50 nohandle ", client.Call("first", "filters", "2", "49", "-"));
        Assert.StartsWith("0x00000000 50 handle ", client.Call("first", "filters", "2", "50", "-"));
        Assert.Equal($"0x{InsufficientBuffer:X8} 50 ", client.Call("getinfo", "Alpha", "2", "10"));
        Assert.Equal("0x00000000 50 " + U32(0) + U32(1) + U32(0) + U32(0) + U32(2) + U16(10) + U16(28) + U16(12) + U16(38) + W("Alpha") + W("385100"),
            client.Call("getinfo", "Alpha", "2", "50"));

        // A class that does not exist.
        Assert.Equal(InvalidArg, HResult(client.Call("first", "filters", "3", "4096", "-")));
        Assert.Equal(InvalidArg, HResult(client.Call("first", "volumes", "2", "4096", "-")));
        Assert.Equal(InvalidArg, HResult(client.Call("getinfo", "Alpha", "7", "4096")));
    }

    [Fact]
    public void AttachAtAnAltitudePlacesTheInstanceAndCollisionsAreRefused()
    {
        using var host = new ManagementHost();
        using var client = host.StartClient();

        Assert.Equal("0x00000000 Manual Instance", client.Call("attachat", "Manual", V1, "300000", "-"));
        var onA = Entries(client.Call("vinstances", V1, "1"));
        Assert.Equal(4, onA.Length);
        // Between Stuck (320000) and Vetoer (265000), with the altitude given.
        Assert.Contains(W("Manual Instance") + W("300000"), onA[2]);
        Assert.Equal(1, host.Manager.Volumes[0].Instances.Count(i => i.Filter.Name == "Manual"));

        Assert.Equal(NameCollision, HResult(client.Call("attach", "Manual", V1, "-")));
        Assert.Equal(AltitudeCollision, HResult(client.Call("attachat", "Alpha", V1, "300000", "Alpha Low")));
        // The configured altitude of Alpha Low (100000) taken by an instance attached there explicitly: also an altitude collision.
        Assert.Equal("0x00000000 Vetoer Two", client.Call("attachat", "Vetoer", V2, "100000", "Vetoer Two"));
        Assert.Equal(AltitudeCollision, HResult(client.Call("attach", "Alpha", V2, "Alpha Low")));
        // An instance that is not in the configuration, without an altitude: ERROR_FILE_NOT_FOUND.
        Assert.Equal(FileNotFound, HResult(client.Call("attach", "Alpha", V1, "Nope")));
        Assert.Equal("0x00000000 Alpha Low", client.Call("attach", "Alpha", V1, "Alpha Low"));
        Assert.Equal(InvalidArg, HResult(client.Call("attachat", "Manual", V2, "12.3.4", "-")));
        Assert.Equal(5, host.Manager.Volumes[0].Instances.Count);
    }

    [Fact]
    public void DetachHonoursVetoesAndFiltersWithoutQueryTeardown()
    {
        using var host = new ManagementHost();
        using var client = host.StartClient();

        Assert.Equal(DoNotDetach, HResult(client.Call("detach", "Vetoer", V1, "-")));
        Assert.Equal(DoNotDetach, HResult(client.Call("detach", "Stuck", V1, "Stuck Instance")));
        Assert.Equal(InstanceNotFound, HResult(client.Call("detach", "Alpha", V1, "Nope")));
        Assert.Equal(3, host.Manager.Volumes[0].Instances.Count);

        Assert.Equal("0x00000000", client.Call("detach", "Alpha", V1, "-"));
        Assert.DoesNotContain(host.Manager.Volumes[0].Instances, i => i.Filter.Name == "Alpha");
        Assert.Equal(2, Entries(client.Call("vinstances", V1, "0")).Length);
        Assert.Equal(InstanceNotFound, HResult(client.Call("detach", "Alpha", V1, "-")));
        // The other volume keeps its instance.
        Assert.Single(Entries(client.Call("finstances", "Alpha", "0")));
    }

    [Fact]
    public void UnknownFiltersVolumesAndInstancesHaveTheirOwnErrors()
    {
        using var host = new ManagementHost();
        using var client = host.StartClient();

        Assert.Equal(FilterNotFound, HResult(client.Call("attach", "Nope", V1, "-")));
        Assert.Equal(VolumeNotFound, HResult(client.Call("attach", "Alpha", "/dev/altitude/volume9", "-")));
        Assert.Equal(FilterNotFound, HResult(client.Call("detach", "Nope", V1, "-")));
        Assert.Equal(VolumeNotFound, HResult(client.Call("detach", "Alpha", "/mnt/nowhere", "-")));
        Assert.Equal(FilterNotFound, HResult(client.Call("finstances", "Nope", "0")));
        Assert.Equal(VolumeNotFound, HResult(client.Call("vinstances", "/mnt/nowhere", "0")));
        Assert.Equal(VolumeNotFound, HResult(client.Call("dosname", "/mnt/nowhere")));
        Assert.Equal(FilterNotFound, HResult(client.Call("getinfo", "Nope", "0", "4096")));
        Assert.Equal(InstanceNotFound, HResult(client.Call("instinfo", "Manual", V1, "-", "0")));
        Assert.Equal(InstanceNotFound, HResult(client.Call("instinfo", "Alpha", V1, "Alpha Low", "0")));
    }

    [Fact]
    public void LoadUnloadMountAndUnmountGoThroughTheService()
    {
        using var host = new ManagementHost();
        using var client = host.StartClient();

        Assert.Equal(AlreadyRunning, HResult(client.Call("load", "Alpha")));
        Assert.Equal(FileNotFound, HResult(client.Call("load", "Nope")));
        Assert.Equal(new[] { "Alpha", "Nope" }, host.Loads);
        Assert.Equal(DoNotDetach, HResult(client.Call("unload", "Stuck")));    // no unload callback
        Assert.Equal(DoNotDetach, HResult(client.Call("unload", "Vetoer")));   // the callback vetoes
        Assert.Equal(FilterNotFound, HResult(client.Call("unload", "Nope")));
        Assert.Equal("0x00000000", client.Call("unload", "Alpha"));
        Assert.Equal(3, Entries(client.Call("filters", "0")).Length);

        string backing = Path.Combine(host.Directory, "c");
        Directory.CreateDirectory(backing);
        Assert.Equal("0x00000000 /dev/altitude/volume3", client.Call("mount", backing, "/mnt/alt-c"));
        var volumes = Entries(client.Call("volumes", "0"));
        Assert.Equal(U16(V1.Length * 2) + W("/dev/altitude/volume3"), volumes[2]);
        // The started filters attached automatically (Stuck and Vetoer; Manual is manual-only).
        Assert.Equal(2, Entries(client.Call("vinstances", "/mnt/alt-c", "0")).Length);
        Assert.Equal("0x00000000", client.Call("unmount", "/mnt/alt-c"));
        Assert.Equal(2, Entries(client.Call("volumes", "0")).Length);
        Assert.Equal(VolumeNotFound, HResult(client.Call("unmount", "/mnt/alt-c")));
    }

    [Fact]
    public void StatisticsComeBackAsTypedRecords()
    {
        using var host = new ManagementHost();
        using var client = host.StartClient();
        Assert.StartsWith("0x00000000 faults=0 ", client.Call("stats"));
    }

    /// <summary>The default descriptor admits root and the admin group only: another uid is refused at connect.</summary>
    [RootFact]
    public void TheDefaultDescriptorRefusesOtherUsersAtConnect()
    {
        RootFactAttribute.Require();
        using var host = new ManagementHost();
        using var client = host.StartClient(Nobody);
        Assert.Equal(AccessDenied, HResult(client.Call("filters", "2")));
        Assert.Equal(AccessDenied, HResult(client.Call("attach", "Manual", V1, "-")));
        Assert.Equal(AccessDenied, HResult(client.Call("raw", "")));
    }

    /// <summary>
    /// With a descriptor that admits everyone, another uid may enumerate, but load, unload, attach, detach, mount
    /// and unmount need uid 0 (on SO_PEERCRED): E_ACCESSDENIED, and nothing changes.
    /// </summary>
    [RootFact]
    public void ChangesNeedUidZeroEvenWhenTheDescriptorAdmitsTheCaller()
    {
        RootFactAttribute.Require();
        using var host = new ManagementHost("D:(A;;GA;;;WD)");
        using var client = host.StartClient(Nobody);
        Assert.Equal(4, Entries(client.Call("filters", "2")).Length);
        Assert.Equal(AccessDenied, HResult(client.Call("attach", "Manual", V1, "-")));
        Assert.Equal(AccessDenied, HResult(client.Call("attachat", "Manual", V1, "300000", "-")));
        Assert.Equal(AccessDenied, HResult(client.Call("detach", "Alpha", V1, "-")));
        Assert.Equal(AccessDenied, HResult(client.Call("load", "Alpha")));
        Assert.Equal(AccessDenied, HResult(client.Call("unload", "Alpha")));
        Assert.Equal(AccessDenied, HResult(client.Call("mount", "/tmp", "/mnt/x")));
        Assert.Equal(AccessDenied, HResult(client.Call("unmount", "/mnt/alt-a")));
        Assert.Equal(3, host.Manager.Volumes[0].Instances.Count);
        Assert.Equal(4, host.Manager.Filters.Count);
        Assert.Equal(2, host.Manager.Volumes.Count);
        Assert.Empty(host.Loads);
    }

    [Fact]
    public void MalformedRequestsGetInvalidArgAndTheConnectionServesTheNextOne()
    {
        using var host = new ManagementHost();
        using var client = host.StartClient();
        string invalid = $"0x00000000 {U32(InvalidArg)}{U32(0)}";   // transport S_OK; reply header E_INVALIDARG, value 0

        Assert.Equal(invalid, client.Call("raw", "0100"));                                           // shorter than the header
        Assert.Equal(invalid, client.Call("raw", U32(99) + U32(0) + U32(0)));                        // unknown operation
        Assert.Equal(invalid, client.Call("raw", U32(1) + U32(0) + U32(0)));                         // FilterLoad without its string
        Assert.Equal(invalid, client.Call("raw", U32(1) + U32(0) + U32(0) + U16(10) + W("Al")));     // a length past the end
        Assert.Equal(invalid, client.Call("raw", U32(1) + U32(0) + U32(0) + U16(3) + W("Al")));      // an odd length
        Assert.Equal(invalid, client.Call("raw", U32(3) + U32(0) + U32(0) + U16(10) + W("Alpha") + "00"));   // trailing bytes
        Assert.Equal(invalid, client.Call("raw", U32(3) + U32(0) + U32(0) + U16(0xFFFF)));           // a NULL filter name
        string longName = new('x', 256);
        Assert.Equal(invalid, client.Call("raw", U32(3) + U32(0) + U32(0) + U16(512) + W(longName)));   // over 255 characters
        string longVolume = new('v', 1025);
        Assert.Equal(invalid, client.Call("raw", U32(10) + U32(0) + U32(4) + U16(2050) + W(longVolume)));   // over 1024 characters
        Assert.Equal(invalid, client.Call("raw", U32(10) + U32(0) + U32(9)));                        // an unknown enumeration kind
        // FindNext of an enumeration that was never opened: ERROR_INVALID_HANDLE.
        Assert.Equal($"0x00000000 {U32(0x80070006)}{U32(0)}", client.Call("raw", U32(11) + U32(0) + U32(77)));

        // The same connection then serves a good FindFirst (filters, FULL): enumeration id 1 and Alpha's entry.
        Assert.Equal($"0x00000000 {U32(0)}{U32(1)}" + U32(0) + U32(0) + U32(2) + U16(10) + W("Alpha"), client.Call("raw", U32(10) + U32(0) + U32(1)));
        // A name at the maximum is accepted (and is simply not a filter).
        Assert.Equal($"0x00000000 {U32(FilterNotFound)}{U32(0)}", client.Call("raw", U32(3) + U32(0) + U32(0) + U16(510) + W(new string('x', 255))));
        Assert.Equal(4, Entries(client.Call("filters", "0")).Length);
    }

    private static string Run(string program, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return output;
    }
}
