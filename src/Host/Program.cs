using AkkaProxy.Host;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Hosting.Health;

// The relay on embedded defaults: hocon/reference.conf, overridable by hocon/akkaproxy.conf,
// environment variables and the command line. See README.md.
if (args.Contains("--version"))
{
    Console.WriteLine(RelayApp.VersionLine);
    return 0;
}

if (args is ["--check-ready", .. var probe])
{
    // The container's health check: the runtime image has no curl.
    return await ReadinessProbe.RunAsync(probe is [string url, ..] ? url : "http://127.0.0.1:8080/readyz");
}

try
{
    await RelayApp.Create(args).RunAsync();
    // 0 after a normal stop; not 0 when the actor system ended the host (a cluster downed this node), so a
    // supervisor that restarts on failure starts it again.
    return Environment.ExitCode;
}
catch (Exception refused) when (refused is RelayConfigurationException or AkkaProxy.Ledger.Sqlite.LedgerInUseException)
{
    // An operator's mistake, not a crash: what to fix, no stack trace, exit code 2.
    Console.Error.WriteLine(refused.Message);
    return 2;
}
