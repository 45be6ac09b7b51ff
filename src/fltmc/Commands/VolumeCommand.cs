// `fltmc volume mount BACKING [MOUNTPOINT] [--in-place]` and `fltmc volume unmount MOUNTPOINT` (Altitude additions:
// on Windows volumes arrive by themselves). Paths are made absolute here, since fltmgrd has its own working directory.
using System.CommandLine;
using Altitude.Fltmc.CommandLine;
using Altitude.Fltmc.Output;

namespace Altitude.Fltmc.Commands;

internal static class VolumeCommand
{
    public static Command Create()
    {
        var command = new Command("volume", "Mounts or unmounts a volume at run time (Altitude addition; no Windows equivalent). Needs root.");
        command.Subcommands.Add(Mount());
        command.Subcommands.Add(Unmount());
        return command;
    }

    private static Command Mount()
    {
        var backing = new Argument<string>("BACKING") { Description = "The directory the volume serves." };
        var mountPoint = new Argument<string?>("MOUNTPOINT") { Description = "Where to mount it (its DOS name). Omit with --in-place.", Arity = ArgumentArity.ZeroOrOne };
        var inPlace = new Option<bool>("--in-place") { Description = "Mount over BACKING itself: the filtered view replaces the directory." };
        var command = new Command("mount", "Mounts BACKING as a new volume, attaches the filters' automatic instances, and prints the volume name.") { backing, mountPoint, inPlace };
        command.Validators.Add(r =>
        {
            string? b = r.GetValue(backing), m = r.GetValue(mountPoint);
            if (!r.GetValue(inPlace) && m is null) r.AddError("MOUNTPOINT is required unless --in-place is given.");
            if (r.GetValue(inPlace) && m is not null && b is not null && Path.GetFullPath(m) != Path.GetFullPath(b))
                r.AddError("--in-place mounts over BACKING itself: omit MOUNTPOINT or give the same directory.");
        });
        command.SetAction(r => RunMount(r.InvocationConfiguration.Output, r.GetValue(CommonOptions.Control), r.GetValue(backing)!,
            r.GetValue(inPlace) ? null : r.GetValue(mountPoint)));
        return command;
    }

    private static Command Unmount()
    {
        var mountPoint = new Argument<string>("MOUNTPOINT") { Description = "The volume's mount point." };
        var command = new Command("unmount", "Detaches every instance from the volume and unmounts it.") { mountPoint };
        command.SetAction(r => RunUnmount(r.InvocationConfiguration.Output, r.GetValue(CommonOptions.Control), r.GetValue(mountPoint)!));
        return command;
    }

    /// <summary>Mounts <paramref name="backing"/> at <paramref name="mountPoint"/>; null mounts in place.</summary>
    public static int RunMount(TextWriter output, string? control, string backing, string? mountPoint)
    {
        string b = Path.GetFullPath(backing), m = mountPoint is null ? b : Path.GetFullPath(mountPoint);
        return ManagementCall.Run(output, control, ErrorReport.Mount, c => c.MountVolume(b, m), volume => [$"{volume} mounted at {m}"]);
    }

    public static int RunUnmount(TextWriter output, string? control, string mountPoint)
    {
        string m = Path.GetFullPath(mountPoint);
        return ManagementCall.Run(output, control, ErrorReport.Unmount, c => { c.UnmountVolume(m); return 0; }, _ => []);
    }
}
