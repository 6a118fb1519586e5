using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.Ledger;
using AkkaProxy.Host.Tests.TestKit;

namespace AkkaProxy.Host.Tests.Lifecycle;

/// <summary>The host's own process as an operator runs it: <c>--version</c>, a configuration with mistakes, and a second relay on one SQLite ledger.</summary>
public sealed class HostCommandLineTests : IAsyncLifetime
{
    private readonly string _directory = RelayTestHost.NewDataDirectory();
    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task Version_PrintsTheProductAndItsVersion_AndExitsZero()
    {
        (int exit, string stdout, _) = await HostProcess.RunToExitAsync(_directory, null, "--version");

        Assert.Equal(0, exit);
        Assert.Matches(@"^AkkaProxy \d+\.\d+\.\d+", stdout.Trim());
    }

    [Fact]
    public async Task AConfigurationWithMistakes_PrintsOneListOfThem_WithoutAStackTrace_AndExitsTwo()
    {
        string config = Path.Combine(_directory, "relay.conf");
        await File.WriteAllTextAsync(config, """
            akkaproxy {
              pipeline { idle-timeout = soon }
              auth.keys.team { key = "k", requests-per-minit = 5 }
            }
            """);

        (int exit, string stdout, string stderr) = await HostProcess.RunToExitAsync(_directory, config, "--urls", "http://127.0.0.1:0");

        Assert.Equal(2, exit);
        Assert.Contains("The relay's configuration has 2 errors:", stderr, StringComparison.Ordinal);
        Assert.Contains("akkaproxy:pipeline:idle-timeout = 'soon' is not a valid TimeSpan.", stderr, StringComparison.Ordinal);
        Assert.Contains("did you mean 'akkaproxy.auth.keys.team.requests-per-minute'?", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr + stdout, StringComparison.Ordinal); // no stack trace
        Assert.DoesNotContain("Unhandled exception", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHoconSyntaxError_NamesTheFileAndLine_AndExitsTwo()
    {
        string config = Path.Combine(_directory, "broken.conf");
        await File.WriteAllTextAsync(config, "akkaproxy {\n  pipeline { idle-timeout = 1m\n");

        (int exit, string stdout, string stderr) = await HostProcess.RunToExitAsync(_directory, config, "--urls", "http://127.0.0.1:0");

        Assert.Equal(2, exit);
        Assert.Contains("broken.conf", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr + stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASecondRelayOnTheSameSqliteLedger_RefusesToStart_AndTheFirstRunsOn()
    {
        string config = Path.Combine(_directory, "relay.conf");
        string ledger = Path.Combine(_directory, "ledger");
        await File.WriteAllTextAsync(config, RelayTestHost.Hocon(_upstream, "Logging.LogLevel.Default = Information", ledger));
        await using HostProcess first = await HostProcess.StartAsync(config, _directory);
        Assert.Contains(first.Output, line => line.Contains("configuration from reference.conf (embedded), host.conf (embedded), " + config, StringComparison.Ordinal));
        Assert.Contains(first.Output, line => line.Contains("Usage ledger: SQLite file " + Path.Combine(ledger, "usage.db"), StringComparison.Ordinal));

        (int exit, string stdout, string stderr) = await HostProcess.RunToExitAsync(_directory, config, "--urls", "http://127.0.0.1:0");

        Assert.Equal(2, exit);
        Assert.Contains("is in use by another relay process", stderr, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(ledger, "usage.db"), stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        using var client = new HttpClient { BaseAddress = first.BaseUrl };
        Assert.True((await client.GetAsync("/healthz")).IsSuccessStatusCode, "the first relay stopped");
    }
}
