using AkkaProxy.Hosting.Configuration;
using Microsoft.Extensions.Configuration;

namespace AkkaProxy.Host.Tests.Configuration;

/// <summary>Start-up validation reports every configuration error at once, each with its path.</summary>
public sealed class StartupValidationTests
{
    [Fact]
    public void ABrokenConfiguration_IsRefusedAtStartUp_WithEveryErrorAndItsPath()
    {
        string hocon = """
            akkaproxy {
              pipeline { idle-timeout = soon, connect-timeout = never }
              routing.providers {
                broken { kind = openai }
                weird { kind = martian, base-url = "http://127.0.0.1:9" }
              }
              ledger { batch-size = 0 }
              websocket { max-open-turns = 0 }
            }
            """;

        RelayConfigurationException refused = Assert.Throws<RelayConfigurationException>(() =>
            RelayApp.Create(["--urls", "http://127.0.0.1:0"], config => config.AddHoconText(hocon, "broken.conf")));

        Assert.StartsWith("The relay's configuration has 6 errors:", refused.Message, StringComparison.Ordinal);
        Assert.Contains("akkaproxy:pipeline:idle-timeout = 'soon' is not a valid TimeSpan.", refused.Message, StringComparison.Ordinal);
        Assert.Contains("akkaproxy:pipeline:connect-timeout = 'never' is not a valid TimeSpan.", refused.Message, StringComparison.Ordinal);
        Assert.Contains("akkaproxy:routing:providers:broken has no 'base-url'.", refused.Message, StringComparison.Ordinal);
        Assert.Contains("akkaproxy:routing:providers:weird:kind is 'martian'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("akkaproxy.ledger: batch-size and queue-capacity must be at least 1.", refused.Message, StringComparison.Ordinal);
        Assert.Contains("akkaproxy.websocket: MaxOpenTurns must be at least 1.", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AProvidersOwnCheck_IsAStartUpError_WithTheOthers()
    {
        // A Bedrock provider whose base URL does not name a region, and no region set.
        string hocon = """akkaproxy.routing.providers.aws { kind = bedrock, base-url = "http://127.0.0.1:9" }""";

        RelayConfigurationException refused = Assert.Throws<RelayConfigurationException>(() =>
            RelayApp.Create(["--urls", "http://127.0.0.1:0"], config => config.AddHoconText(hocon, "aws.conf")));

        Assert.StartsWith("The relay's configuration has 1 error:", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Provider 'aws' is a Bedrock provider without a region", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://0.0.0.0:8080", true)]
    [InlineData("http://*:8080", true)]
    [InlineData("http://relay.example.com:8080", true)]
    [InlineData("http://127.0.0.1:8080;http://[::1]:8081", false)]
    [InlineData("http://localhost:8080", false)]
    public void WithoutRelayKeys_TheRelayStartsOnLoopbackOnly(string urls, bool refused)
    {
        var config = new ConfigurationBuilder();
        config.AddEmbeddedReferenceHocon();
        config.AddInMemoryCollection([new KeyValuePair<string, string?>("urls", urls)]);

        IReadOnlyList<string> problems = StartupValidation.Problems(config.Build());

        if (refused)
        {
            Assert.Contains("akkaproxy.auth.keys is empty", Assert.Single(problems), StringComparison.Ordinal);
        }
        else
        {
            Assert.Empty(problems);
        }
    }

    [Fact]
    public void ALedgerStoreThatIsNone_AndPostgreSqlWithoutAConnectionString_AreRefused_EachWithItsPath()
    {
        IReadOnlyList<string> unknown = Problems("akkaproxy.ledger { store = mysql }");
        Assert.Equal("akkaproxy:ledger:store = 'mysql' is not a valid LedgerStoreKind (use sqlite, postgresql).", Assert.Single(unknown));

        IReadOnlyList<string> missing = Problems("akkaproxy.ledger { store = postgresql, connection-string-env = AKKAPROXY_TEST_UNSET_LEDGER_VAR, batch-size = 0 }");
        Assert.Equal(2, missing.Count);
        Assert.Contains(missing, p => p == "akkaproxy.ledger: batch-size and queue-capacity must be at least 1.");
        Assert.Contains(missing, p => p.StartsWith("akkaproxy.ledger.store = postgresql needs a connection string", StringComparison.Ordinal)
            && p.Contains("AKKAPROXY_TEST_UNSET_LEDGER_VAR", StringComparison.Ordinal));

        // Whether the string reads is the PostgreSQL store's check (Ledger/LedgerStoreChoiceTests).
        Assert.Empty(Problems("akkaproxy.ledger { store = postgresql, connection-string = \"Host=db.internal;Username=relay;Password=x\" }"));
        Assert.Empty(Problems("akkaproxy.ledger { store = postgresql, enabled = false }")); // off: nothing to reach
    }

    [Fact]
    public void ThePostgreSqlConnectionString_ComesFromTheVariableNamedByConnectionStringEnv_UnlessGivenItself()
    {
        const string variable = "AKKAPROXY_TEST_LEDGER_CONNECTION_VALIDATION";
        Environment.SetEnvironmentVariable(variable, "Host=from-env;Username=relay");
        try
        {
            Assert.Empty(Problems($"akkaproxy.ledger {{ store = postgresql, connection-string-env = {variable} }}"));
            AkkaProxy.Hosting.Ledger.LedgerOptions options = RelayConfiguration.ReadLedger(Config($"akkaproxy.ledger {{ store = postgresql, connection-string-env = {variable} }}"));
            Assert.Equal("Host=from-env;Username=relay", options.ResolveConnectionString());
            options.ConnectionString = "Host=from-file";
            Assert.Equal("Host=from-file", options.ResolveConnectionString());
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    private static IConfiguration Config(string hocon)
    {
        var config = new ConfigurationBuilder();
        config.AddEmbeddedReferenceHocon();
        config.AddHoconText(hocon, "test.conf");
        return config.Build();
    }

    private static IReadOnlyList<string> Problems(string hocon) => StartupValidation.Problems(Config(hocon));

    [Fact]
    public void UnknownKeys_AreErrors_WithTheirPath_AndTheSettingMeant()
    {
        IReadOnlyList<string> problems = Problems("""
            akkaproxy {
              pipline { idle-timeout = 1m }
              auth.keys.team { key = "k", requests-per-minit = 5 }
              pricing { "gpt-x" { inptu = 1.0, output = 2.0 } }
              routing.providers.mine { kind = openai, base-url = "http://127.0.0.1:9", api-key-evn = MINE_KEY }
              ledger { flush-interval = 10ms, nonsense-setting = 1 }
              websocket.max-message-bytes.deeper = 1
            }
            """);

        Assert.Equal(
        [
            "Unknown setting 'akkaproxy.auth.keys.team.requests-per-minit': did you mean 'akkaproxy.auth.keys.team.requests-per-minute'?",
            "Unknown setting 'akkaproxy.ledger.nonsense-setting'; akkaproxy.ledger has: enabled, store, connection-string, connection-string-env, data-directory, file-name, batch-size, flush-interval, queue-capacity, retry-delay.",
            "Unknown setting 'akkaproxy.pipline': did you mean 'akkaproxy.pipeline'?",
            "Unknown setting 'akkaproxy.pricing.gpt-x.inptu': did you mean 'akkaproxy.pricing.gpt-x.input'?",
            "Unknown setting 'akkaproxy.routing.providers.mine.api-key-evn': did you mean 'akkaproxy.routing.providers.mine.api-key-env'?",
        ], problems.Where(p => p.StartsWith("Unknown", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray());
        Assert.Contains("akkaproxy.websocket.max-message-bytes is a value, not a section: 'akkaproxy.websocket.max-message-bytes.deeper' is not read.", problems);
    }

    [Fact]
    public void KeysAsEnvironmentVariablesWriteThem_AreKnown()
    {
        var config = new ConfigurationBuilder();
        config.AddEmbeddedReferenceHocon();
        config.AddInMemoryCollection([
            new KeyValuePair<string, string?>("AKKAPROXY:PIPELINE:IDLETIMEOUT", "00:01:00"),
            new KeyValuePair<string, string?>("akkaproxy:WebSocket:MaxOpenTurns", "8"),
            new KeyValuePair<string, string?>("AKKAPROXY:AUTH:KEYS:TEAM:KEY", "k"),
            new KeyValuePair<string, string?>("AKKAPROXY:AUTH:KEYS:TEAM:REQUESTSPERMINUTE", "5"),
        ]);

        Assert.Empty(StartupValidation.Problems(config.Build()));
    }

    [Fact]
    public void TheExampleConfiguration_HasNoUnknownKeys()
    {
        var config = new ConfigurationBuilder();
        config.AddEmbeddedReferenceHocon();
        config.AddHoconFile(Path.Combine(TestKit.RepoPaths.Root, "hocon", "akkaproxy.example.conf"), optional: false);

        Assert.Empty(ConfigurationKeys.Unknown(config.Build()));
    }

    [Fact]
    public void TheEmbeddedDefaults_HaveNoProblems()
    {
        var config = new ConfigurationBuilder();
        config.AddEmbeddedReferenceHocon();

        Assert.Empty(StartupValidation.Problems(config.Build()));
    }
}
