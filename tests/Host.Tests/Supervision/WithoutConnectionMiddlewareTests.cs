using System.Net.Http.Headers;
using System.Text;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Supervision;
using AkkaProxy.Pipeline.Usage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.Supervision;

/// <summary>
/// A server that runs no Kestrel connection middleware (TestServer here; IIS in-process and HTTP.sys
/// alike): every request gets a connection scope and supervisor of its own, which must still bill a
/// completed request as completed, with its usage.
/// </summary>
public sealed class WithoutConnectionMiddlewareTests : IAsyncLifetime
{
    private FakeUpstream _upstream = null!;
    private WebApplication _app = null!;
    private readonly CapturingBillingSink _billing = new();

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstream.StartAsync();
        string hocon = RelayTestHost.Hocon(_upstream);
        _app = RelayApp.Create([], config => config.AddHoconText(hocon, "test.conf"), services =>
        {
            services.AddSingleton<IBillingSink>(_billing);
            services.AddSingleton<IServer, TestServer>(); // replaces Kestrel, and with it UseAkkaProxyConnections
        });
        _billing.Connect(_app.Services.GetRequiredService<BillingGateway>(), new RelayProbe(),
            _app.Services.GetRequiredService<HttpRelay>().Connections, _app.Services.GetRequiredService<WebSocketRelay>().Connections);
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task TwoHundredCompletedStreams_AreEachBilledCompleted_WithTheirUsage()
    {
        Assert.IsType<TestServer>(_app.Services.GetRequiredService<IServer>());
        using HttpClient http = ((TestServer)_app.Services.GetRequiredService<IServer>()).CreateClient();
        const int requests = 200;
        for (int i = 0; i < requests; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses")
            {
                Content = new StringContent("""{"model":"openai/gpt-4o","stream":true,"input":"hi"}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RelayTestHost.RelayKey);
            using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            string body = await response.Content.ReadAsStringAsync();
            Assert.Contains("event: response.completed", body, StringComparison.Ordinal);
        }

        await _billing.DrainAsync(); // every end reported so far is a record handed to billing, and delivered
        Assert.Equal(requests, _billing.Records.Count);
        Assert.All(_billing.Records, record =>
        {
            Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
            Assert.Equal(EndedBy.Upstream, record.EndedBy);
            Assert.Null(record.ErrorCode);
            Assert.Equal(UsageStatus.Reported, record.Usage.Status);
            Assert.True(record.Usage.InputTokens > 0);
        });
        Assert.Equal(requests, _billing.Records.Select(r => r.RequestId).Distinct().Count());
    }
}
