using Akka.Actor;
using Akka.Hosting;
using Akka.Streams;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.Hosting;

/// <summary>The host's actor system: built by Akka.Hosting from the relay's own configuration file.</summary>
public sealed class AkkaHostingTests
{
    private const string TimeoutVariable = "AKKAPROXY_TEST_AKKA_CREATION_TIMEOUT";

    [Fact]
    public async Task TheAkkaSectionOfTheRelaysHoconFile_ReachesTheActorSystem_EnvironmentSubstitutionsIncluded()
    {
        string file = Path.Combine(Path.GetTempPath(), $"akkaproxy-akka-{Guid.NewGuid():N}.conf");
        await File.WriteAllTextAsync(file, $$"""
            akka {
              loglevel = WARNING
              actor.ask-timeout = 7 s
              actor.creation-timeout = 20s
              actor.creation-timeout = ${?{{TimeoutVariable}}}
              actor.unset-by-environment = ${?AKKAPROXY_TEST_NEVER_SET_VARIABLE}
            }
            Logging.LogLevel.Default = Warning
            """);
        Environment.SetEnvironmentVariable(TimeoutVariable, "11s");
        WebApplication app = RelayApp.Create(["--urls", "http://127.0.0.1:0"], config => config.AddHoconFile(file, optional: false));
        try
        {
            await app.StartAsync();
            ActorSystem system = app.Services.GetRequiredService<ActorSystem>();

            Assert.Equal("akkaproxy", system.Name);
            Assert.Equal("WARNING", system.Settings.Config.GetString("akka.loglevel"));
            Assert.Equal(TimeSpan.FromSeconds(7), system.Settings.AskTimeout);
            Assert.Equal(TimeSpan.FromSeconds(11), system.Settings.CreationTimeout); // from the environment
            Assert.False(system.Settings.Config.HasPath("akka.actor.unset-by-environment"));
            // From the embedded reference.conf, beneath the file.
            Assert.Equal(TimeSpan.FromSeconds(30), system.Settings.Config.GetTimeSpan("akka.coordinated-shutdown.phases.before-actor-system-terminate.timeout"));
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Environment.SetEnvironmentVariable(TimeoutVariable, null);
            File.Delete(file);
        }
    }

    [Fact]
    public async Task QuotedDottedAndMixedCaseAkkaKeys_ReachTheActorSystemIntact()
    {
        // The command line after the text: RelayApp adds the caller's layers above its own.
        WebApplication app = RelayApp.Create(["--urls", "http://127.0.0.1:0"], config => config.AddHoconText("""
            akka.actor {
              serializers { MyJson = "Akka.Serialization.NewtonSoftJsonSerializer, Akka" }
              serialization-bindings { "AkkaProxy.Host.Tests.Hosting.AkkaHostingTests, AkkaProxy.Host.Tests" = MyJson }
            }
            akka.SomeMixedCase.KeyName = from-file
            Logging.LogLevel.Default = Warning
            """).AddCommandLine(["--akka:somemixedcase:keyname=from-command-line"]));
        try
        {
            await app.StartAsync();
            Akka.Configuration.Config config = app.Services.GetRequiredService<ActorSystem>().Settings.Config;

            // One key holding dots and a comma, not a path of three, and its value as written.
            Assert.Equal("MyJson", config.GetString("akka.actor.serialization-bindings.\"AkkaProxy.Host.Tests.Hosting.AkkaHostingTests, AkkaProxy.Host.Tests\""));
            Assert.Equal("Akka.Serialization.NewtonSoftJsonSerializer, Akka", config.GetString("akka.actor.serializers.MyJson"));
            Assert.Equal("from-command-line", config.GetString("akka.SomeMixedCase.KeyName")); // layering still applies, under the file's spelling
            Assert.False(config.HasPath("akka.actor.serialization-bindings.akkaproxy"));
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task TheActorSystemAndTheBillingActor_ResolveFromDependencyInjection()
    {
        WebApplication app = RelayApp.Create(["--urls", "http://127.0.0.1:0"], config => config.AddHoconText("Logging.LogLevel.Default = Warning"));
        try
        {
            await app.StartAsync();

            IActorRef billing = await app.Services.GetRequiredService<IRequiredActor<BillingActor>>().GetAsync();
            Assert.Equal($"/user/akkaproxy/{BillingActor.Name}", billing.Path.ToStringWithoutAddress());
            ActorSystem system = app.Services.GetRequiredService<ActorSystem>();
            Assert.Equal(system.Name, billing.Path.Address.System);
            Assert.Same(system.Materializer(), system.Materializer()); // one materializer per system, for the stream graphs

        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
