using AkkaProxy.Host;

// The relay on embedded defaults: hocon/reference.conf, overridable by hocon/akkaproxy.conf,
// environment variables and the command line. See README.md.
await RelayApp.Create(args).RunAsync();
