// A user-mode port client in its own process, for tests of identity and process death. Prints one line
// per call: "<call> 0x<HRESULT>[ <detail>]".
//   PortTestClient <directory> <port> connect            connect, print, exit
//   PortTestClient <directory> <port> hold               connect, print "held", wait until killed or stdin closes
//   PortTestClient <directory> <port> probe              connect, print "held", post a get with room for the 16-byte
//                                                        header only and print "probe 0x<HRESULT> <bytes needed>" when
//                                                        it fails (a message the filter sends is then queued for it
//                                                        and stays there), then hold like "hold"
//   PortTestClient <directory> <port> serve <count>      connect, answer <count> messages (reply = message bytes reversed)
//   PortTestClient <directory> <port> send <text>        connect, FilterSendMessage(text), print the output as text
//   PortTestClient <directory> <port> serve-when-told <count>
//                                                         as serve, but prints "message <text>" and waits for a line on stdin before each reply
using System.Text;
using Altitude.FilterLib;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: PortTestClient <directory> <port> connect|hold|probe|serve <n>|send <text>");
    return 2;
}
string directory = args[0], port = args[1], command = args[2];
int hr = FltLib.TryFilterConnectCommunicationPort(port, 0, Encoding.UTF8.GetBytes("pid " + Environment.ProcessId), out var handle, directory);
Console.WriteLine($"connect 0x{(uint)hr:X8}");
if (hr < 0) return 0;
using (handle)
{
    switch (command)
    {
        case "connect":
            break;
        case "hold":
            Console.WriteLine("held");
            Console.Out.Flush();
            Console.In.ReadToEnd();
            break;
        case "probe":
        {
            Console.WriteLine("held");
            Console.Out.Flush();
            hr = FltLib.TryFilterGetMessage(handle!, new byte[FilterMessageHeader.Size], out int needed);
            Console.WriteLine($"probe 0x{(uint)hr:X8} {needed}");
            Console.Out.Flush();
            Console.In.ReadToEnd();
            break;
        }
        case "serve":
        case "serve-when-told":
        {
            int count = int.Parse(args[3]);
            bool told = command == "serve-when-told";
            var buf = new byte[4096];
            for (int i = 0; i < count; i++)
            {
                hr = FltLib.TryFilterGetMessage(handle!, buf, out int n);
                if (hr < 0) { Console.WriteLine($"get 0x{(uint)hr:X8}"); break; }
                var header = FilterMessageHeader.Read(buf);
                if (told)
                {
                    Console.WriteLine("message " + Encoding.UTF8.GetString(buf, 16, n - 16));
                    Console.Out.Flush();
                    if (Console.In.ReadLine() is null) break;   // the test let go: no reply
                }
                var reply = new byte[16 + n - 16];
                new FilterReplyHeader { MessageId = header.MessageId }.Write(reply);
                buf.AsSpan(16, n - 16).CopyTo(reply.AsSpan(16));
                reply.AsSpan(16).Reverse();
                hr = FltLib.TryFilterReplyMessage(handle!, reply);
                Console.WriteLine($"reply 0x{(uint)hr:X8}");
            }
            break;
        }
        case "send":
        {
            var output = new byte[256];
            hr = FltLib.TryFilterSendMessage(handle!, Encoding.UTF8.GetBytes(args[3]), output, out int n);
            Console.WriteLine($"send 0x{(uint)hr:X8} {Encoding.UTF8.GetString(output, 0, n)}");
            break;
        }
    }
}
return 0;
