using System.Globalization;
using System.Runtime.InteropServices;
using AkkaProxy.LoadHarness;
using AkkaProxy.LoadHarness.Fake;
using AkkaProxy.LoadHarness.Targets;

// AkkaProxy.LoadHarness fake [--port N]   the fake upstream (started by the harness itself)
// AkkaProxy.LoadHarness [run] [options]   the end-to-end load harness (see HarnessOptions)
if (args is ["fake", ..])
{
    int port = args is [_, "--port", string p] ? int.Parse(p, CultureInfo.InvariantCulture) : 0;
    return await FakeUpstreamServer.RunAsync(port);
}

HarnessOptions options = HarnessOptions.Parse(args is ["run", .. var rest] ? rest : args);
if (options.WebSocketDeflate)
{
    AkkaProxy.LoadHarness.Load.Deflate.Enable(); // before any child process starts: the fake inherits it
}
AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcess.KillAll();
Console.CancelKeyPress += (_, _) => ChildProcess.KillAll();
using PosixSignalRegistration onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => ChildProcess.KillAll());
using var watchdog = new Timer(_ =>
{
    Console.Error.WriteLine($"The harness ran past its hard limit of {options.HardLimit.TotalMinutes:0} min: stopping everything.");
    ChildProcess.KillAll();
    Environment.Exit(3);
}, null, options.HardLimit, Timeout.InfiniteTimeSpan);

try
{
    await new HarnessRun(options).RunAsync();
    return 0;
}
finally
{
    ChildProcess.KillAll();
}
