// fltmgrd: the Altitude daemon. Until the FUSE front-end lands it offers one mode, --demo, which builds a
// volume over a directory in-process, stacks the PassThrough sample three times plus a tracing filter,
// runs a small scripted workload through the whole stack and prints what each filter saw.
using Altitude;
using Altitude.Daemon;

return DemoCommand.Run(args, Console.Out, Console.Error);
