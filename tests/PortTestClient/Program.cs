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
//   PortTestClient <directory> <port> section <text>     connect, FilterSendMessage(text) with a 16-byte output whose HANDLE is at offset 8
//                                                        (a data-scan section), print "section 0x<HRESULT> <bytes> fd <n> read <text>
//                                                        write-errno <errno>" (read from the descriptor, then a write to it), close it
//   PortTestClient <directory> <port> sendloop <count>   connect, <count> FilterSendMessage round trips (4-byte input, 16-byte output),
//                                                        print "done <count> <failures> first 0x<HRESULT of the first failure>"
//   PortTestClient <directory> <port> sendphases <count> connect, print "ready", then for each line <label> on stdin do <count> round
//                                                        trips and print "phase <label> <count> <failures>"; exit at EOF
//   PortTestClient <directory> <socket> mgmt             FilterLib management calls on the control socket <directory>/<socket>,
//                                                        one per stdin line (ManagementMode.cs lists them)
// Raw-socket modes (no FilterLib; <port> is then the socket's FILE NAME in <directory>, e.g. "testport"):
//   PortTestClient <directory> <socket> rawconnect-nohello
//                                                        connect, send nothing, read the first record, print
//                                                        "first <kind> <version> 0x<Status> 0x<HResult> <reason>" or "first eof"/"first reset"/"first timeout"
//   PortTestClient <directory> <socket> idle <count>     open <count> connections, each with a version-4 Hello (empty context) and
//                                                        its HelloResult read; print "idle <count>" (or "idle-failed <i> <what>"),
//                                                        hold them until stdin closes
using System.Text;
using Altitude.FilterLib;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: PortTestClient <directory> <port> connect|hold|probe|serve <n>|send <text>");
    return 2;
}
string directory = args[0], port = args[1], command = args[2];
// The control endpoint's client (ManagementMode.cs): <directory>/<port> is the control socket.
if (command == "mgmt") return ManagementMode.Run(Path.Combine(directory, port));
if (command is "rawconnect-nohello" or "idle")
    return RawModes.Run(Path.Combine(directory, port), command, args);
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
        case "sendloop":
        {
            int count = int.Parse(args[3]);
            var output = new byte[16];
            int failures = 0, first = 0;
            for (int i = 0; i < count; i++)
            {
                hr = FltLib.TryFilterSendMessage(handle!, "loop"u8, output, out _);
                if (hr < 0 && failures++ == 0) first = hr;
            }
            Console.WriteLine($"done {count} {failures} first 0x{(uint)first:X8}");
            break;
        }
        case "sendphases":
        {
            int count = int.Parse(args[3]);
            var output = new byte[16];
            Console.WriteLine("ready");
            Console.Out.Flush();
            // No timing here: latency is bench/port-bench.sh's business; the tests assert what finished before what.
            while (Console.In.ReadLine() is { } label)
            {
                int failures = 0;
                for (int i = 0; i < count; i++)
                    if (FltLib.TryFilterSendMessage(handle!, "loop"u8, output, out _) < 0) failures++;
                Console.WriteLine($"phase {label} {count} {failures}");
                Console.Out.Flush();
            }
            break;
        }
        case "section":
        {
            var output = new byte[16];
            Console.WriteLine("sending");
            Console.Out.Flush();
            hr = FltLib.TryFilterSendMessage(handle!, Encoding.UTF8.GetBytes(args[3]), output, out int n);
            long fd = BitConverter.ToInt64(output, 8);
            string text = "", errno = "none";
            if (hr >= 0 && fd >= 0)
            {
                using var section = new Microsoft.Win32.SafeHandles.SafeFileHandle((nint)fd, ownsHandle: true);
                var data = new byte[256];
                int read = RandomAccess.Read(section, data, 0);
                text = Encoding.UTF8.GetString(data, 0, read);
                errno = SectionWrite.TryWrite((int)fd).ToString();
            }
            Console.WriteLine($"section 0x{(uint)hr:X8} {n} fd {fd} read {text} write-errno {errno}");
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

// write(2) straight on the section's descriptor: the errno it fails with (0 if it wrote), so the test sees EBADF itself.
internal static unsafe partial class SectionWrite
{
    public static int TryWrite(int fd)
    {
        byte b = (byte)'x';
        return write(fd, &b, 1) < 0 ? System.Runtime.InteropServices.Marshal.GetLastPInvokeError() : 0;
    }

    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, byte* buffer, nuint count);
}

// Modes on a raw SOCK_SEQPACKET socket, written from docs/port-protocol.md (version 4).
internal static class RawModes
{
    private const int HeaderSize = 32;

    public static int Run(string socketPath, string command, string[] args)
    {
        switch (command)
        {
            case "rawconnect-nohello":
            {
                using var s = Open(socketPath);
                s.ReceiveTimeout = 60_000;
                var buf = new byte[HeaderSize + 65536 + 1];
                try
                {
                    int n = s.Receive(buf);
                    if (n == 0) Console.WriteLine("first eof");
                    else if (n < HeaderSize) Console.WriteLine($"first short {n}");
                    else
                    {
                        var reason = Encoding.UTF8.GetString(buf, HeaderSize, n - HeaderSize);
                        Console.WriteLine($"first {buf[0]} {buf[1]} 0x{BitConverter.ToUInt32(buf, 20):X8} 0x{BitConverter.ToUInt32(buf, 24):X8} {reason}");
                    }
                }
                catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionReset)
                {
                    Console.WriteLine("first reset");
                }
                catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.TimedOut)
                {
                    Console.WriteLine("first timeout");
                }
                return 0;
            }
            case "idle":
            {
                int count = int.Parse(args[3]);
                var sockets = new List<System.Net.Sockets.Socket>(count);
                var hello = new byte[HeaderSize];
                hello[0] = 1;
                hello[1] = 4;
                var buf = new byte[HeaderSize + 65536 + 1];
                try
                {
                    for (int i = 0; i < count; i++)
                    {
                        var s = Open(socketPath);
                        sockets.Add(s);
                        s.ReceiveTimeout = 60_000;
                        s.Send(hello);
                        int n = s.Receive(buf);
                        if (n < HeaderSize || buf[0] != 2 || BitConverter.ToInt32(buf, 24) != 0)
                        {
                            Console.WriteLine($"idle-failed {i} record of {n} bytes kind {(n > 0 ? buf[0] : -1)} hresult 0x{(n >= HeaderSize ? BitConverter.ToUInt32(buf, 24) : 0):X8}");
                            return 0;
                        }
                    }
                    Console.WriteLine($"idle {count}");
                    Console.Out.Flush();
                    Console.In.ReadToEnd();
                }
                catch (Exception e)
                {
                    Console.WriteLine($"idle-failed {sockets.Count} {e.GetType().Name}: {e.Message}");
                }
                finally
                {
                    foreach (var s in sockets) s.Dispose();
                }
                return 0;
            }
        }
        return 2;
    }

    private static System.Net.Sockets.Socket Open(string socketPath)
    {
        var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Seqpacket, System.Net.Sockets.ProtocolType.Unspecified);
        try
        {
            s.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath));
        }
        catch
        {
            s.Dispose();
            throw;
        }
        return s;
    }
}
