// fltmgrd: the Altitude daemon. --volume mounts backing directories through FUSE with filters attached and serves
// them in the foreground; --demo runs the in-process demo (no mount).
using Altitude.Daemon;

if (args.Length > 0 && args[0] == "--demo") return DemoCommand.Run(args, Console.Out, Console.Error);
if (args.Length > 0 && args[0] is "-h" or "--help")
{
    Console.WriteLine(VolumeCommand.Usage);
    Console.WriteLine();
    Console.WriteLine(DemoCommand.Usage);
    return 0;
}
return VolumeCommand.Run(args, Console.Out, Console.Error);
