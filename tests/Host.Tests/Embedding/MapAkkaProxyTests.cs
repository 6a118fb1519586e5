using System.Net;
using System.Text;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Hosting.Endpoints;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Host.Tests.Embedding;

/// <summary><c>app.MapAkkaProxy()</c> maps the whole relay API and hands its conventions to the service; the health probes stay outside them.</summary>
public sealed class MapAkkaProxyTests : IAsyncLifetime
{
    private const string RelayHost = "relay.internal";
    private FakeUpstream _upstream = null!;
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstream.StartAsync();
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddHoconText(RelayTestHost.Hocon(_upstream), "relay.conf");
        builder.AddAkkaProxy(relay => relay.UseSqliteLedger());
        _app = builder.Build();
        _app.UseWebSockets();
        _app.MapAkkaProxy().RequireHost(RelayHost).WithMetadata(new RelayApiMarker()); // the service's own policy and metadata
        await _app.StartAsync();
        string address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _http = new HttpClient { BaseAddress = new Uri(address) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public void EveryRelayApiEndpoint_CarriesTheServicesConventions_AndTheProbesDoNot()
    {
        Endpoint[] endpoints = [.. _app.Services.GetRequiredService<EndpointDataSource>().Endpoints];
        string[] marked = [.. endpoints.Where(e => e.Metadata.GetMetadata<RelayApiMarker>() is not null).Select(e => e.DisplayName ?? "")];

        // Chat, Responses, Messages, Gemini's v1beta and v1 (each for both methods), Azure's deployment
        // form and its three v1 and Responses paths, Bedrock's runtime (/model/, its four operations),
        // the model list, the WebSocket mode.
        Assert.Equal(12, marked.Length);
        Assert.Contains(marked, name => name.Contains("/model/", StringComparison.Ordinal));
        Assert.Contains(marked, name => name.Contains("/openai/deployments/", StringComparison.Ordinal));
        Assert.Contains(marked, name => name.Contains("/v1/chat/completions", StringComparison.Ordinal));
        Assert.Contains(marked, name => name.Contains("/v1beta/models/", StringComparison.Ordinal));
        Assert.Contains(marked, name => name.Contains("/v1/messages", StringComparison.Ordinal));
        Assert.Contains(marked, name => name.Contains("/v1/models", StringComparison.Ordinal));
        Assert.Equal(2, marked.Count(name => name.EndsWith(" /v1/responses", StringComparison.Ordinal))); // POST and the WebSocket GET
        Assert.DoesNotContain(marked, name => name.Contains("healthz", StringComparison.Ordinal) || name.Contains("readyz", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARequestOutsideTheServicesPolicy_NeverReachesTheRelay_AndOneInsideIsRelayed()
    {
        using HttpResponseMessage outside = await _http.SendAsync(Chat(host: null));
        Assert.Equal(HttpStatusCode.NotFound, outside.StatusCode);
        Assert.Empty(_upstream.Requests);

        using HttpResponseMessage inside = await _http.SendAsync(Chat(host: RelayHost));
        Assert.Equal(HttpStatusCode.OK, inside.StatusCode);
        Assert.Single(_upstream.Requests);

        using HttpResponseMessage probe = await _http.GetAsync("/healthz"); // any host: the orchestrator's probe is not the service's API
        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
    }

    private static HttpRequestMessage Chat(string? host)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"openai/gpt-4o","messages":[]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", RelayTestHost.RelayKey);
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        return request;
    }

    private sealed class RelayApiMarker;
}
