using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Hosting.Endpoints;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Host.Tests.Embedding;

/// <summary>
/// What <c>builder.AddAkkaProxy()</c> promises a service: its configuration over the relay's defaults,
/// only the providers it configured, start-up checks as in the host, no second actor system, and a
/// subscriber actor that sets the pace of the records it gets.
/// </summary>
public sealed class EmbeddingRulesTests : IAsyncLifetime
{
    private FakeUpstream _upstream = null!;
    private readonly string _dataDirectory = RelayTestHost.NewDataDirectory();

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync();

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }

    private string OwnProviders(string extra = "") => $$"""
        akkaproxy {
          routing {
            default-provider = compat
            providers { compat { kind = openai-compatible, base-url = "{{_upstream.BaseUrl.ToString().TrimEnd('/')}}/v1", models = ["local-model"] } }
          }
          auth.keys { team-a { key = "{{RelayTestHost.RelayKey}}" } }
          ledger.data-directory = "{{_dataDirectory.Replace("\\", "/")}}"
        }
        {{extra}}
        """;

    private static WebApplicationBuilder NewService()
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        return builder;
    }

    [Fact]
    public async Task TheServicesSettingsWin_AndItsRelayHasOnlyTheProvidersItConfigured()
    {
        WebApplicationBuilder builder = NewService();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["akkaproxy:pipeline:idle-timeout"] = "00:00:07" }); // its appsettings
        builder.Configuration.AddHoconText(OwnProviders(), "relay.conf");
        builder.AddAkkaProxy(relay => relay.UseSqliteLedger());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["akkaproxy:pipeline:max-event-bytes"] = "2097152" }); // a later layer
        await using WebApplication app = builder.Build();
        app.MapAkkaProxy();
        await app.StartAsync();

        ProxyStreamOptions options = app.Services.GetRequiredService<ProxyStreamFactory>().Options;
        Assert.Equal(TimeSpan.FromSeconds(7), options.IdleTimeout);
        Assert.Equal(2 * 1024 * 1024, options.MaxEventBytes);
        Assert.Equal(new ProxyStreamOptions().UpstreamResponseTimeout, options.UpstreamResponseTimeout); // the relay's default, beneath both

        // No openai, anthropic or ollama, and no model map: gpt-4o goes to the default provider the service named.
        ModelRouter router = app.Services.GetRequiredService<ModelRouter>();
        Assert.Equal(["compat"], router.Providers.Select(p => p.Name));
        Assert.True(router.TryResolve("gpt-4o", out ProviderRoute route, out _));
        Assert.Equal("compat", route.Provider.Name);
        Assert.Null(app.Services.GetRequiredService<PricingTable>().Find("compat", "gpt-4o")); // no example prices either

        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", RelayTestHost.RelayKey);
        using JsonDocument models = JsonDocument.Parse(await http.GetStringAsync("/v1/models"));
        Assert.Equal(["compat/local-model"], models.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));

        // The host's log levels are the host's: the service's stay its own.
        Assert.Null(app.Configuration["Logging:LogLevel:Microsoft.AspNetCore"]);
        await app.StopAsync();
    }

    [Fact]
    public async Task AnEmbeddedRelay_ChecksItsConfigurationAtStartUp_AsTheHostDoes()
    {
        WebApplicationBuilder builder = NewService();
        builder.Configuration.AddHoconText(OwnProviders("akkaproxy.pipeline.idle-timout = 5s"), "relay.conf");
        builder.AddAkkaProxy(relay => relay.UseSqliteLedger());
        await using WebApplication app = builder.Build();

        var refused = await Assert.ThrowsAsync<RelayConfigurationException>(() => app.StartAsync());
        Assert.Contains(refused.Problems, problem => problem.Contains("idle-timout", StringComparison.Ordinal) && problem.Contains("idle-timeout", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnAddAkkaAfterAddAkkaProxy_StopsTheStart_SayingWhichOrderWorks()
    {
        WebApplicationBuilder builder = NewService();
        builder.Configuration.AddHoconText(OwnProviders(), "relay.conf");
        builder.AddAkkaProxy(relay => relay.UseSqliteLedger());
        builder.Services.AddAkka("late-service", _ => { });
        await using WebApplication app = builder.Build();

        var refused = await Assert.ThrowsAsync<RelayConfigurationException>(() => app.StartAsync());
        Assert.Contains("Call AddAkkaProxy after the service's AddAkka", Assert.Single(refused.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASubscriberThatHasNotAnswered_HoldsTheNextRecord_UntilItAcknowledges()
    {
        WebApplicationBuilder builder = NewService();
        builder.Configuration.AddHoconText(OwnProviders(), "relay.conf");
        builder.Services.AddAkka("team-service", akka =>
            akka.WithActors((system, registry) => registry.Register<GatedLedger>(system.ActorOf(Props.Create(() => new GatedLedger()), "gated-ledger"))));
        builder.AddAkkaProxy(relay => relay.UseSqliteLedger().Subscribe<GatedLedger>());
        var after = new CapturingBillingSink();
        builder.Services.AddSingleton<IBillingSink>(after); // a sink after the subscriber's
        await using WebApplication app = builder.Build();
        app.MapAkkaProxy();
        await app.StartAsync();
        IActorRef ledger = await app.Services.GetRequiredService<IRequiredActor<GatedLedger>>().GetAsync();

        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        for (int i = 0; i < 2; i++)
        {
            using HttpResponseMessage response = await http.SendAsync(EmbeddedRelayTests.StreamingRequest($"gated-{i}"));
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsStringAsync(); // the client is served whatever the subscriber's pace
        }

        // The first record is with the subscriber, unanswered: the sinks after it have nothing yet.
        Assert.Equal(1, await GatedLedger.WaitForCountAsync(ledger, 1));
        Assert.Empty(after.Records);

        ledger.Tell(GatedLedger.Release.Instance);
        Assert.Equal(2, await GatedLedger.WaitForCountAsync(ledger, 2));
        BillingRecord first = await after.WaitForAsync(_ => true);
        Assert.Single(after.Records);

        ledger.Tell(GatedLedger.Release.Instance);
        await after.WaitForAsync(record => record.RequestId != first.RequestId);
        Assert.Equal(2, after.Records.Count);
        await app.StopAsync();
    }

    /// <summary>A subscriber that answers a record only when the test releases it.</summary>
    private sealed class GatedLedger : ReceiveActor
    {
        private readonly Queue<IActorRef> _unanswered = new();
        private int _received;

        public GatedLedger()
        {
            Receive<BillingRecord>(_ =>
            {
                _received++;
                _unanswered.Enqueue(Sender);
            });
            Receive<Release>(_ => _unanswered.Dequeue().Tell(BillingAck.Instance));
            Receive<Count>(_ => Sender.Tell(_received));
        }

        /// <summary>Asks until the ledger has received <paramref name="count"/> records (bounded), and returns how many it has.</summary>
        public static async Task<int> WaitForCountAsync(IActorRef ledger, int count)
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while (true)
            {
                int received = await ledger.Ask<int>(Count.Instance, bound.Token);
                if (received >= count)
                {
                    return received;
                }

                await Task.Delay(20, bound.Token);
            }
        }

        public sealed record Release
        {
            public static Release Instance { get; } = new();
        }

        private sealed record Count
        {
            public static Count Instance { get; } = new();
        }
    }
}
