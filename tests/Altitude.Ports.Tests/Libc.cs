using System.Runtime.InteropServices;

namespace Altitude.Ports.Tests;

internal static partial class Libc
{
    [LibraryImport("libc", EntryPoint = "getuid")] public static partial uint GetUid();
    [LibraryImport("libc", EntryPoint = "getgid")] public static partial uint GetGid();
    [LibraryImport("libc", EntryPoint = "geteuid")] public static partial uint GetEuid();
}
