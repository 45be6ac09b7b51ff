// InterpretCommand of mspyUser.c: the switches given on the command line or typed after '>' in command mode.
// /a attaches (FilterAttach, the default instance), /d detaches, /l lists, /s toggles the screen, /f toggles the file;
// go or g leaves command mode, exit ends the program; anything else prints the usage.
using Altitude.Fltmc.Output;
using Altitude.FilterLib;

namespace Altitude.Samples.MiniSpy.User;

internal enum CommandResult { Success, UsageError, ExitInterpreter, ExitProgram }

internal sealed class CommandInterpreter(LogContext context)
{
    public CommandResult Interpret(IReadOnlyList<string> args)
    {
        TextWriter o = context.Messages;
        for (int i = 0; i < args.Count; i++)
        {
            string parm = args[i];
            if (parm.Length >= 2 && parm[0] == '/')
            {
                switch (char.ToLowerInvariant(parm[1]))
                {
                    case 'a':
                        if (++i >= args.Count) return Usage();
                        Attach(args[i]);
                        break;
                    case 'd':
                        if (++i >= args.Count) return Usage();
                        string volume = args[i];
                        string? instance = null;
                        if (i + 1 < args.Count && !args[i + 1].StartsWith('/')) instance = args[++i];
                        Detach(volume, instance);
                        break;
                    case 'l':
                        VolumeList.Print(o);
                        break;
                    case 's':
                        o.WriteLine(context.NextLogToScreen ? "    Turning off logging to screen" : "    Turning on logging to screen");
                        context.NextLogToScreen = !context.NextLogToScreen;
                        break;
                    case 'f':
                        lock (context.Gate)
                        {
                            if (context.OutputFile is { } file)
                            {
                                o.WriteLine("    Stop logging to file ");
                                file.Dispose();
                                context.OutputFile = null;
                                break;
                            }
                        }
                        if (++i >= args.Count) return Usage();
                        o.WriteLine($"    Log to file {args[i]}");
                        try
                        {
                            var writer = new StreamWriter(args[i], append: false) { AutoFlush = true };
                            lock (context.Gate)
                            {
                                context.OutputFile = writer;
                                context.FileHeaderWritten = false;
                            }
                        }
                        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                        {
                            o.WriteLine($"    Could not open {args[i]}: {e.Message}");
                        }
                        break;
                    default:
                        return Usage();
                }
            }
            else if (parm.Equals("go", StringComparison.OrdinalIgnoreCase) || parm.Equals("g", StringComparison.OrdinalIgnoreCase))
                return CommandResult.ExitInterpreter;
            else if (parm.Equals("exit", StringComparison.OrdinalIgnoreCase))
                return CommandResult.ExitProgram;
            else
                return Usage();
        }
        return CommandResult.Success;
    }

    private void Attach(string volume)
    {
        TextWriter o = context.Messages;
        o.Write($"    Attaching to {volume}... ");
        int hr = FltLib.TryFilterAttach(MiniSpyProtocol.FilterName, volume, null, out string? instanceName);
        if (hr >= 0) o.WriteLine($"    Instance name: {instanceName}");
        else
        {
            o.WriteLine();
            o.WriteLine($"    Could not attach to device: 0x{(uint)hr:x8}");
            DisplayError(o, hr);
        }
    }

    private void Detach(string volume, string? instance)
    {
        TextWriter o = context.Messages;
        o.WriteLine($"    Detaching from {volume}");
        int hr = FltLib.TryFilterDetach(MiniSpyProtocol.FilterName, volume, instance);
        if (hr < 0)
        {
            o.WriteLine($"    Could not detach from device: 0x{(uint)hr:x8}");
            DisplayError(o, hr);
        }
    }

    /// <summary>DisplayError: the HRESULT's message text, indented, as FormatMessage gives it.</summary>
    public static void DisplayError(TextWriter o, int hr) =>
        o.WriteLine(WindowsMessages.TryGet(hr, out string text) ? $"    {text}" : $"    Could not translate error: {hr}");

    private CommandResult Usage()
    {
        context.Messages.Write(
            "Valid switches: [/a <mount point>] [/d <mount point>] [/l] [/s] [/f [<file name>]]\n" +
            "    [/a <mount point>] starts monitoring <mount point>\n" +
            "    [/d <mount point> [<instance name>]] detaches filter <instance name> from <mount point>\n" +
            "    [/l] lists all the volumes the monitor is currently attached to\n" +
            "    [/s] turns on and off showing logging output on the screen\n" +
            "    [/f [<file name>]] turns on and off logging to the specified file\n" +
            "  If you are in command mode:\n" +
            "    [enter] will enter command mode\n" +
            "    [go|g] will exit command mode\n" +
            "    [exit] will terminate this program\n" +
            "  Linux additions (before the switches):\n" +
            "    --json             one JSON object per record per line on standard output (messages go to standard error)\n" +
            "    --pid N[,N...]     show the records of these processes only\n" +
            "    --op MAJOR[,...]   show these operations only (IRP_MJ_CREATE or CREATE...)\n" +
            "    --path P           show names starting with P, or matching P when it has * or ?\n");
        return CommandResult.UsageError;
    }
}
