using System.Net.Http.Headers;
using System.Text;
using Akka;
using Akka.Actor;
using Akka.Hosting;
using Akka.Streams.Dsl;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Hosting.Endpoints;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Usage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Host.Tests.Embedding;

/// <summary>
/// docs/embedding.md, as a test: an ASP.NET Core service with its own Akka.Hosting actor system adds
/// the relay with one call, splices an Akka.Streams <c>Flow</c> into the pipeline, and receives each
/// billing record in an actor of its own, which acknowledges it.
/// </summary>
public sealed class EmbeddedRelayTests : IAsyncLifetime
{
    private FakeUpstream _upstream = null!;
    private WebApplication _service = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstream.StartAsync();
        _service = BuildService(RelayTestHost.Hocon(_upstream));
        await _service.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _service.StopAsync();
        await _service.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task TheServicesOwnActorSystem_RunsTheRelay_ItsFlowTagsEveryEvent_AndItsActorGetsEachRecordOnce()
    {
        using var http = new HttpClient { BaseAddress = new Uri(_service.Urls.First()) };
        const int requests = 5;
        for (int i = 0; i < requests; i++)
        {
            using HttpResponseMessage response = await http.SendAsync(StreamingRequest($"embedded-{i}"));
            string body = await response.Content.ReadAsStringAsync();

            // The service's flow put its comment before every event, and the stream is otherwise whole.
            int events = FakeStreams.Responses("gpt-4o").Count;
            Assert.Equal(events, body.Split(": via team-service\n").Length - 1);
            Assert.Contains("event: response.completed", body, StringComparison.Ordinal);
        }

        // Every record reached the service's own actor, once, through Subscribe<TeamLedger>() and its acks.
        IActorRef ledger = await _service.Services.GetRequiredService<IRequiredActor<TeamLedger>>().GetAsync();
        BillingRecord[] records = await TeamLedger.WaitForAsync(ledger, requests);
        Assert.Equal(requests, records.Length);
        Assert.Equal(requests, records.Select(r => r.RequestId).Distinct().Count());
        Assert.All(records, record =>
        {
            Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
            Assert.Equal(UsageStatus.Reported, record.Usage.Status);
            Assert.Equal(FakeStreams.RespInput, record.Usage.InputTokens);
            Assert.Equal("team-a", record.KeyId);
        });

        // One actor system: the service's, with the relay's billing actor in it.
        ActorSystem system = _service.Services.GetRequiredService<ActorSystem>();
        Assert.Equal("team-service", system.Name);
        IActorRef billing = await _service.Services.GetRequiredService<IRequiredActor<BillingActor>>().GetAsync();
        Assert.Equal("team-service", billing.Path.Address.System);

        // The relay's hosted services start before the service's actor system and stop after it: the
        // ledger writer is still there for the records the billing drain delivers as the system stops.
        List<Type> hosted = [.. _service.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().Select(service => service.GetType())];
        int writer = hosted.IndexOf(typeof(AkkaProxy.Hosting.Ledger.LedgerWriter));
        Assert.InRange(writer, 0, hosted.IndexOf(typeof(AkkaHostedService)) - 1);
    }

    [Fact]
    public void TheServicesAkkaSettings_WinOverTheRelays_AndItsLoggersStay()
    {
        ActorSystem system = _service.Services.GetRequiredService<ActorSystem>();
        // The service said WARNING; the relay's reference.conf says INFO, beneath it.
        Assert.Equal("WARNING", system.Settings.LogLevel);
        // A key only the relay sets reaches the system as a fallback.
        Assert.False(system.Settings.Config.GetBoolean("akka.coordinated-shutdown.run-by-clr-shutdown-hook"));
        // The service's logger is still Akka's default one: the relay did not replace it with its own.
        Assert.Equal(["Akka.Event.DefaultLogger"], system.Settings.Loggers.Select(type => type.Split(',')[0].Trim()));
    }

    internal static HttpRequestMessage StreamingRequest(string input)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses")
        {
            Content = new StringContent($$"""{"model":"openai/gpt-4o","stream":true,"input":"{{input}}"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RelayTestHost.RelayKey);
        return request;
    }

    /// <summary>The service of docs/embedding.md.</summary>
    private static WebApplication BuildService(string relayConfiguration)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddHoconText(relayConfiguration, "relay.conf");

        // A flow of the team's own, spliced into each connection's graph: an SSE comment before every event.
        Flow<ProxyFrame, ProxyFrame, NotUsed> tag = Flow.Create<ProxyFrame>().Select(frame =>
        {
            if (frame.Kind == ProxyFrameKind.Frame && frame.Frame.HasData)
            {
                byte[] tagged = [.. ": via team-service\n"u8, .. System.Buffers.BuffersExtensions.ToArray(frame.Frame.Raw)];
                frame.Frame = frame.Frame.WithRaw(tagged);
            }

            return frame;
        });
        builder.Services.AddAkka("team-service", akka =>
        {
            akka.AddHocon("akka.loglevel = WARNING", HoconAddMode.Prepend);
            akka.WithActors((system, registry) => registry.Register<TeamLedger>(system.ActorOf(Props.Create(() => new TeamLedger()), "team-ledger")));
        });
        builder.AddAkkaProxy(relay =>
        {
            relay.Pipeline = pipeline => pipeline.UseFlow(tag, "team-tag");
            relay.UseSqliteLedger();
            relay.Subscribe<TeamLedger>();
        });

        WebApplication app = builder.Build();
        app.UseWebSockets();
        app.MapAkkaProxy();
        return app;
    }

    /// <summary>The team's own actor: keeps every billing record the relay sends it, and acknowledges each.</summary>
    private sealed class TeamLedger : ReceiveActor
    {
        private readonly List<BillingRecord> _records = [];

        public TeamLedger()
        {
            Receive<BillingRecord>(record =>
            {
                _records.Add(record);
                Sender.Tell(BillingAck.Instance);
            });
            Receive<Query>(_ => Sender.Tell(_records.ToArray()));
        }

        /// <summary>Asks the ledger until it holds <paramref name="count"/> records (bounded; each ask is answered at once).</summary>
        public static async Task<BillingRecord[]> WaitForAsync(IActorRef ledger, int count)
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while (true)
            {
                BillingRecord[] records = await ledger.Ask<BillingRecord[]>(Query.Instance, bound.Token);
                if (records.Length >= count)
                {
                    return records;
                }

                await Task.Delay(20, bound.Token);
            }
        }

        private sealed record Query
        {
            public static Query Instance { get; } = new();
        }
    }
}
