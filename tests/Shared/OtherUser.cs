// Running a test's program as another uid (root tests only): setpriv with that uid as user and group, the given
// supplementary groups or none, and a HOME the runtime may use instead of root's. Run what it needs from a
// WorldReadableCopy: that uid may not be able to read the checkout.
namespace Altitude.TestSupport;

internal static class OtherUser
{
    /// <summary>uid and gid 65534 (nobody / nogroup).</summary>
    public const string Nobody = "65534";

    /// <summary>The command-line prefix: setpriv --reuid=U --regid=U, --clear-groups or --groups=G, then env HOME=/tmp.</summary>
    public static string[] Setpriv(string uid, string? groups = null) =>
        ["setpriv", $"--reuid={uid}", $"--regid={uid}", groups is null ? "--clear-groups" : $"--groups={groups}", "--",
            "env", "HOME=/tmp", "DOTNET_CLI_TELEMETRY_OPTOUT=1"];

    /// <summary><paramref name="command"/> (a shell command line) run as <paramref name="uid"/> with no supplementary groups.</summary>
    public static string Command(string uid, string command) => string.Join(' ', Setpriv(uid)) + " " + command;
}
