using System.Net.Http.Headers;
using System.Text;
using Akka;
using Akka.Actor;
using Akka.Hosting;
using Akka.Streams.Dsl;
using AkkaProxy.Host.Configuration;
using AkkaProxy.Host.Endpoints;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Supervision;
using AkkaProxy.Pipeline.Usage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Host.Tests.Embedding;

/// <summary>
/// docs/embedding.md, as a test: an ASP.NET Core service with its own Akka.Hosting actor system adds
/// the relay to it, splices an Akka.Streams <c>Flow</c> into the pipeline, and receives the billing
/// records in an actor of its own.
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
    public async Task TheServicesOwnActorSystem_RunsTheRelay_ItsFlowTagsEveryEvent_AndItsActorGetsTheRecord()
    {
        using var http = new HttpClient { BaseAddress = new Uri(_service.Urls.First()) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses")
        {
            Content = new StringContent("""{"model":"openai/gpt-4o","stream":true,"input":"hi"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RelayTestHost.RelayKey);

        using HttpResponseMessage response = await http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();

        // The service's flow put its comment before every event, and the stream is otherwise whole.
        int events = FakeStreams.Responses("gpt-4o").Count;
        Assert.Equal(events, body.Split(": via team-service\n").Length - 1);
        Assert.Contains("event: response.completed", body, StringComparison.Ordinal);

        // The record reached the service's own actor, subscribed to the relay's billing actor.
        IActorRef ledger = await _service.Services.GetRequiredService<IRequiredActor<TeamLedger>>().GetAsync();
        BillingRecord record = await TeamLedger.WaitForAsync(ledger, r => r.RequestedModel == "openai/gpt-4o");
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.Equal(UsageStatus.Reported, record.Usage.Status);
        Assert.Equal(FakeStreams.RespInput, record.Usage.InputTokens);
        Assert.Equal("team-a", record.KeyId);

        // One actor system: the service's, with the relay's billing actor in it.
        ActorSystem system = _service.Services.GetRequiredService<ActorSystem>();
        Assert.Equal("team-service", system.Name);
        IActorRef billing = await _service.Services.GetRequiredService<IRequiredActor<BillingActor>>().GetAsync();
        Assert.Equal("team-service", billing.Path.Address.System);
    }

    /// <summary>The service of docs/embedding.md.</summary>
    private static WebApplication BuildService(string relayConfiguration)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddEmbeddedReferenceHocon().AddHoconText(relayConfiguration, "relay.conf");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.UseAkkaProxyConnections()));

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
        builder.Services.AddAkkaProxyRelay(builder.Configuration, relay =>
        {
            relay.OwnActorSystem = false; // the service has one
            relay.Pipeline = pipeline => pipeline.UseFlow(tag, "team-tag");
        });
        builder.Services.AddAkka("team-service", (akka, sp) =>
        {
            akka.WithAkkaProxyRelay(sp, builder.Configuration);
            akka.WithActors((system, registry) =>
            {
                IActorRef ledger = system.ActorOf(Props.Create(() => new TeamLedger()), "team-ledger");
                registry.Register<TeamLedger>(ledger);
                registry.Get<BillingActor>().Tell(new BillingActor.Subscribe(ledger), ledger);
            });
        });

        WebApplication app = builder.Build();
        app.UseWebSockets();
        app.MapAkkaProxy();
        return app;
    }

    /// <summary>The team's own actor: keeps every billing record the relay tells it.</summary>
    private sealed class TeamLedger : ReceiveActor
    {
        private readonly List<BillingRecord> _records = [];

        public TeamLedger()
        {
            Receive<BillingRecord>(record => _records.Add(record));
            Receive<BillingActor.Subscribed>(_ => { });
            Receive<Query>(_ => Sender.Tell(_records.ToArray()));
        }

        /// <summary>Asks the ledger until a matching record is there (bounded; each ask is answered at once).</summary>
        public static async Task<BillingRecord> WaitForAsync(IActorRef ledger, Func<BillingRecord, bool> match)
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while (true)
            {
                BillingRecord[] records = await ledger.Ask<BillingRecord[]>(Query.Instance, bound.Token);
                if (records.FirstOrDefault(match) is { } found)
                {
                    return found;
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
