// fltmc: the Filter Manager control program, over fltmgrd's control endpoint.
using Altitude.Fltmc.CommandLine;

return FltmcCommandLine.Run(args, Console.Out, Console.Error);
