// minispy: the user-mode half of the MiniSpy sample (mspyUser.c). Connects to \MiniSpyPort, starts the logging thread,
// runs the switches of the command line, lists the volumes, and then logs to the screen until Enter starts command mode
// ('>' prompts; go leaves it, exit ends the program). The port directory comes from $ALTITUDE_PORT_DIRECTORY and the
// control socket from $ALTITUDE_CONTROL_SOCKET (FilterLib resolves both). With standard input at its end the program
// keeps logging until the filter unloads or a signal ends it; it never spins on the closed input.
using Altitude.FilterLib;
using Altitude.Samples.MiniSpy;
using Altitude.Samples.MiniSpy.User;

var context = new LogContext();
var switches = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    string a = args[i];
    bool ok = true;
    switch (a)
    {
        case "--json": context.Json = true; context.Messages = Console.Error; break;
        case "--pid": ok = ++i < args.Length && context.Selection.AddProcessIds(args[i]); break;
        case "--op": ok = ++i < args.Length && context.Selection.AddOperations(args[i]); break;
        case "--path":
            ok = ++i < args.Length;
            if (ok) context.Selection.AddPath(args[i]);
            break;
        default: switches.Add(a); break;
    }
    if (!ok)
    {
        Console.Error.WriteLine($"minispy: {a}: {(i < args.Length ? $"'{args[i]}' is not valid" : "needs a value")}");
        return 2;
    }
}
TextWriter o = context.Messages;

o.WriteLine("Connecting to filter's port...");
int hr = FltLib.TryFilterConnectCommunicationPort(MiniSpyProtocol.PortName, 0, default, out FilterPortHandle? port);
if (hr < 0)
{
    o.WriteLine($"Could not connect to filter: 0x{(uint)hr:x8}");
    CommandInterpreter.DisplayError(o, hr);
    return 1;
}
using var portHandle = port!;
context.Port = portHandle;

var interpreter = new CommandInterpreter(context);
if (switches.Count > 0 && interpreter.Interpret(switches) == CommandResult.UsageError) return 0;

o.WriteLine("Creating logging thread...");
Thread logThread = new LogReader(context).Start();

VolumeList.Print(o);

// The screen state is set before the prompt is printed, so a reader of the prompt knows records are shown from then on.
context.LogToScreen = context.NextLogToScreen;
o.WriteLine();
o.WriteLine("Hit [Enter] to begin command mode...");
o.WriteLine();
o.Flush();

bool exitProgram = false;
while (!exitProgram && Console.In.ReadLine() is not null)
{
    // Command mode: records keep being taken, but not shown, until go.
    context.NextLogToScreen = context.LogToScreen;
    context.LogToScreen = false;
    while (true)
    {
        o.Write(">");
        o.Flush();
        string? line = Console.In.ReadLine();
        if (line is null) break;   // input ended: leave command mode as go would
        string[] parms = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parms.Length == 0) continue;
        CommandResult result = interpreter.Interpret(parms);
        if (result == CommandResult.ExitProgram) { exitProgram = true; break; }
        if (result == CommandResult.ExitInterpreter) break;
    }
    if (exitProgram) break;
    context.LogToScreen = context.NextLogToScreen;
    if (context.LogToScreen) o.WriteLine("Should be logging to screen...");
}

if (!exitProgram)
{
    // Standard input ended: log until the filter unloads (the logging thread exits the process) or a signal comes.
    logThread.Join();
    return 0;
}

o.WriteLine("Cleaning up...");
context.CleaningUp = true;
context.ShutDown.Set();
logThread.Join();
lock (context.Gate)
{
    context.OutputFile?.Dispose();
    context.OutputFile = null;
}
return 0;
