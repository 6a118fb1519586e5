using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Supervision;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.Security;

/// <summary>Nothing leaks to clients, and nothing goes where it was not sent.</summary>
public sealed class LeakTests : RelayTestBase
{
    private const string KeyProtocol = "openai-insecure-api-key." + RelayTestHost.RelayKey;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ResponseHeaders_DropCookiesHopByHopAndAccountIds_AndKeepTheRest(bool stream)
    {
        using HttpResponseMessage response = await Relay.Http.SendAsync(
            Post("/v1/chat/completions", $$"""{"model":"openai/headers","stream":{{(stream ? "true" : "false")}},"messages":[]}"""),
            HttpCompletionOption.ResponseHeadersRead);
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string[] all = [.. response.Headers.Select(h => h.Key), .. response.Content.Headers.Select(h => h.Key)];
        foreach (string dropped in new[] { "Set-Cookie", "Set-Cookie2", "Keep-Alive", "Proxy-Connection", "openai-organization" })
        {
            Assert.DoesNotContain(dropped, all, StringComparer.OrdinalIgnoreCase);
        }

        Assert.Equal("upstream-req-123", response.Headers.GetValues("x-request-id").Single());
        Assert.Equal("42", response.Headers.GetValues("openai-processing-ms").Single());
        Assert.Equal("9000", response.Headers.GetValues("x-ratelimit-remaining-tokens").Single());
        if (!stream)
        {
            // No stage can change a body here, so the upstream's length stays, and is right.
            Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(body), response.Content.Headers.ContentLength);
        }
    }

    [Fact]
    public async Task AnUnreachableUpstream_IsReportedWithTheRequestId_NotItsHostAndPort()
    {
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"deadend/gpt-4o","messages":[]}"""));
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        string requestId = response.Headers.GetValues(HttpRelay.RequestIdHeader).Single();
        using JsonDocument json = JsonDocument.Parse(body);
        string message = json.RootElement.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains(requestId, message, StringComparison.Ordinal);
        Assert.Contains("'deadend'", message, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", body, StringComparison.Ordinal);
        Assert.DoesNotContain(":9", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUpstreamResetMidStream_IsReportedWithoutTheExceptionText()
    {
        string body = await PostStreamAsync("/v1/chat/completions", """{"model":"openai/reset","stream":true,"messages":[]}""");

        string last = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        using JsonDocument error = JsonDocument.Parse(last["data: ".Length..]);
        string message = error.RootElement.GetProperty("error").GetProperty("message").GetString()!;
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/reset");
        Assert.Equal($"The connection to provider 'openai' failed mid-response (request id {record.RequestId}).", message);
    }

    [Fact]
    public async Task TheKeySubprotocolAlone_IsRefusedWith400_AndTheKeyIsNotEchoed()
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.AddSubProtocol(KeyProtocol);

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(RelaySocketUri(), CancellationToken.None));

        Assert.Equal(HttpStatusCode.BadRequest, socket.HttpStatusCode);
        Assert.NotNull(socket.HttpResponseHeaders);
        Assert.DoesNotContain(socket.HttpResponseHeaders, h => h.Value.Any(v => v.Contains(RelayTestHost.RelayKey, StringComparison.Ordinal)));
        Assert.Empty(Upstream.Socket.Handshakes);
    }

    [Fact]
    public async Task TheKeyRefusal_SaysWhichSubprotocolToAdd_InOpenAIsErrorShape()
    {
        // The same handshake, read as plain HTTP so the body can be seen.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/responses");
        request.Headers.Add("Connection", "Upgrade");
        request.Headers.Add("Upgrade", "websocket");
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(new byte[16]));
        request.Headers.Add("Sec-WebSocket-Protocol", KeyProtocol);
        using HttpResponseMessage response = await Relay.Http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(body);
        JsonElement error = json.RootElement.GetProperty("error");
        Assert.Equal("subprotocol_required", error.GetProperty("code").GetString());
        Assert.Contains("openai-responses", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(RelayTestHost.RelayKey, body, StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Sec-WebSocket-Protocol"));
    }

    [Fact]
    public async Task TheKeyBesideAnotherSubprotocol_IsAccepted_AndOnlyTheOtherIsEchoed()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl, options =>
        {
            options.AddSubProtocol(KeyProtocol);
            options.AddSubProtocol("openai-responses");
        });

        Assert.Equal("openai-responses", socket.Socket.SubProtocol);
        Assert.DoesNotContain(socket.Socket.HttpResponseHeaders!, h => h.Value.Any(v => v.Contains(RelayTestHost.RelayKey, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AMistypedPrefixOnASocket_IsRefused_Recorded_AndNeverDialled()
    {
        JsonElement error;
        await using (RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl))
        {
            await socket.SendAsync("""{"type":"response.create","model":"opena1/gpt-4o","input":[]}""");
            error = await socket.ReceiveUntilAsync("error");
        }

        Assert.Equal("model_not_found", error.GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(Upstream.Socket.Handshakes);
        BillingRecord record = await SingleOnceSessionsEndedAsync("opena1/gpt-4o");
        Assert.Equal(ExchangeOutcome.Rejected, record.Outcome);
        Assert.Equal(0m, record.Cost);
        Assert.Equal("team-a", record.KeyId);
    }

    [Fact]
    public async Task AnUnreachableSocketUpstream_IsReportedWithTheRequestId_NotItsHostAndPort()
    {
        JsonElement error;
        await using (RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl))
        {
            await socket.SendAsync("""{"type":"response.create","model":"deadend/gpt-4o","input":[]}""");
            error = await socket.ReceiveUntilAsync("error");
        }

        string message = error.GetProperty("error").GetProperty("message").GetString()!;
        BillingRecord record = await SingleOnceSessionsEndedAsync("deadend/gpt-4o");
        Assert.Equal(ExchangeOutcome.UpstreamError, record.Outcome);
        Assert.Contains(record.RequestId, message, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The one record for <paramref name="model"/> once every session has ended (a session hands all its
    /// records to billing before it ends) and the billing queue has delivered everything queued.
    /// </summary>
    private async Task<BillingRecord> SingleOnceSessionsEndedAsync(string model)
    {
        WebSocketRelay sockets = Relay.App.Services.GetRequiredService<WebSocketRelay>();
        await WaitUntilAsync(() => sockets.ActiveSessions == 0, "WebSocket sessions still running");
        await Relay.Billing.DrainAsync();
        return Assert.Single(Relay.Billing.Records, r => r.RequestedModel == model);
    }

    private Uri RelaySocketUri() => new UriBuilder(Relay.BaseUrl) { Scheme = "ws", Path = "/v1/responses" }.Uri;
}
