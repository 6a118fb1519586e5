using Akka.Configuration;
using AkkaProxy.Hosting.Configuration;
using Microsoft.Extensions.Configuration;

namespace AkkaProxy.Host.Tests.Configuration;

/// <summary>The <c>akka</c> section of the layered configuration as Akka's <see cref="Config"/>.</summary>
public sealed class AkkaSectionTests
{
    private static Config FromHocon(string text) => AkkaSection.ToConfig(new ConfigurationBuilder().AddHoconText(text).Build());

    [Fact]
    public void QuotedKeysHoldingDots_StayOneKey_AndKeysKeepTheirCase()
    {
        Config config = FromHocon("""
            akka.actor {
              serializers { MyJson = "Akka.Serialization.NewtonSoftJsonSerializer, Akka" }
              serialization-bindings {
                "System.Object" = json
                "Akka.Persistence.Foo, Akka" = MyJson
              }
            }
            akka.SomeMixedCase.KeyName = "x"
            """);

        Assert.Equal("json", config.GetString("akka.actor.serialization-bindings.\"System.Object\""));
        Assert.Equal("MyJson", config.GetString("akka.actor.serialization-bindings.\"Akka.Persistence.Foo, Akka\""));
        Assert.Equal(
            ["Akka.Persistence.Foo, Akka", "System.Object"],
            config.GetConfig("akka.actor.serialization-bindings").AsEnumerable().Select(binding => binding.Key).Order(StringComparer.Ordinal));
        Assert.False(config.HasPath("akka.actor.serialization-bindings.system"));
        Assert.Equal("Akka.Serialization.NewtonSoftJsonSerializer, Akka", config.GetString("akka.actor.serializers.MyJson"));
        Assert.Equal("x", config.GetString("akka.SomeMixedCase.KeyName"));
        Assert.False(config.HasPath("akka.somemixedcase"));
    }

    [Fact]
    public void QuotedValues_ReadAsAkkaReadsItsOwnUnits()
    {
        Config config = FromHocon("""
            akka {
              coordinated-shutdown.phases.before-actor-system-terminate.timeout = 30s
              actor.ask-timeout = 7 s
              roles = [ a, "b c" ]
              seed-nodes = []
              number = 42
              debug = on
              quiet = off
              size = 16KiB
              cleared = null
              text = "a \"quoted\" ${NOT_A_SUBSTITUTION} # not a comment, \\ and\na newline"
            }
            """);

        Assert.Equal(TimeSpan.FromSeconds(30), config.GetTimeSpan("akka.coordinated-shutdown.phases.before-actor-system-terminate.timeout"));
        Assert.Equal(TimeSpan.FromSeconds(7), config.GetTimeSpan("akka.actor.ask-timeout"));
        Assert.Equal(["a", "b c"], config.GetStringList("akka.roles"));
        Assert.Empty(config.GetStringList("akka.seed-nodes"));
        Assert.Equal(42, config.GetInt("akka.number"));
        Assert.True(config.GetBoolean("akka.debug"));
        Assert.False(config.GetBoolean("akka.quiet"));
        Assert.Equal(16 * 1024, config.GetByteSize("akka.size"));
        Assert.Null(config.GetString("akka.cleared"));
        Assert.Equal("a \"quoted\" ${NOT_A_SUBSTITUTION} # not a comment, \\ and\na newline", config.GetString("akka.text"));
    }

    [Fact]
    public void ListsOfObjectsAndDotNetBooleans_Convert()
    {
        Config config = AkkaSection.ToConfig(new ConfigurationBuilder()
            .AddHoconText("akka.nodes = [ { name = a, port = 1 }, { name = b, port = 2 } ]")
            .AddInMemoryCollection(new Dictionary<string, string?> { ["akka:log-config-on-start"] = "True" }) // as a JSON file writes true
            .Build());

        Assert.Equal(["a", "b"], config.GetValue("akka.nodes").GetArray().Select(node => node.GetObject().GetKey("name").GetString()));
        Assert.Equal(2, config.GetValue("akka.nodes").GetArray()[1].GetObject().GetKey("port").GetInt());
        Assert.True(config.GetBoolean("akka.log-config-on-start"));
    }

    [Fact]
    public void EnvironmentAndCommandLine_StillOverrideTheFiles_UnderTheFilesSpelling()
    {
        string prefix = $"AKKAPROXY_TEST_{Guid.NewGuid():N}_";
        var variables = new Dictionary<string, string>
        {
            ["AKKA__LOGLEVEL"] = "DEBUG",
            ["AKKA__ACTOR__SERIALIZERS__MYJSON"] = "From.Environment, Akka",
            ["AKKA__ACTOR__ASK_TIMEOUT"] = "9s", // what a shell can name: _ for -
            ["AKKA__ACTOR__DEBUG__RECEIVE"] = "on", // set by the environment alone
        };
        foreach ((string name, string value) in variables)
        {
            Environment.SetEnvironmentVariable(prefix + name, value);
        }

        try
        {
            Config config = AkkaSection.ToConfig(new ConfigurationBuilder()
                .AddHoconText("""
                    akka {
                      loglevel = INFO
                      actor.ask-timeout = 5s
                      actor.creation-timeout = 20s
                      actor.serializers { MyJson = "From.File, Akka" }
                      SomeMixedCase.KeyName = from-file
                    }
                    """)
                .AddEnvironmentVariables(prefix)
                .AddCommandLine(["--akka:actor:creation-timeout=3s", "--akka:somemixedcase:keyname=from-command-line"])
                .Build());

            Assert.Equal("DEBUG", config.GetString("akka.loglevel"));
            Assert.Equal("From.Environment, Akka", config.GetString("akka.actor.serializers.MyJson"));
            Assert.False(config.HasPath("akka.actor.serializers.myjson"));
            Assert.Equal(TimeSpan.FromSeconds(9), config.GetTimeSpan("akka.actor.ask-timeout"));
            Assert.True(config.GetBoolean("akka.actor.debug.receive"));
            Assert.Equal(TimeSpan.FromSeconds(3), config.GetTimeSpan("akka.actor.creation-timeout"));
            Assert.Equal("from-command-line", config.GetString("akka.SomeMixedCase.KeyName"));
        }
        finally
        {
            foreach (string name in variables.Keys)
            {
                Environment.SetEnvironmentVariable(prefix + name, null);
            }
        }
    }

    [Fact]
    public void NoAkkaSection_IsAnEmptyConfig()
    {
        Assert.True(AkkaSection.ToConfig(new ConfigurationBuilder().AddHoconText("akkaproxy.x = 1").Build()).IsEmpty);
    }
}
