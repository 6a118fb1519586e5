using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Framing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Host.Tests.Providers;

/// <summary>
/// Bedrock (<c>kind = bedrock</c>) against a fake that speaks Bedrock's runtime and checks each request's
/// Signature V4 as Bedrock does: the model (with the provider prefix) in the path, the request signed
/// with the provider's credentials from the environment (or sent with a Bedrock API key), relayed byte
/// for byte; usage from Converse's <c>usage</c>, ConverseStream's <c>metadata</c>, InvokeModel's headers
/// and its stream's <c>amazon-bedrock-invocationMetrics</c>; a corrupt stream ends with an exception
/// message and is billed with what was read; the relay's own refusals in AWS's JSON.
/// </summary>
public sealed class BedrockTests : RelayTestBase
{
    private const string UpstreamModel = "anthropic.claude-3-5-haiku-20241022-v1:0";
    private const string Model = "bedrock/" + UpstreamModel;
    private const string Body = """{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":64}}""";
    private const string InvokeBody = """{"anthropic_version":"bedrock-2023-05-31","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}""";

    static BedrockTests()
    {
        // Names of the tests' own, so no other test (or the machine's AWS setup) is affected.
        Environment.SetEnvironmentVariable("AKKAPROXY_TEST_BEDROCK_KEY_ID", FakeBedrock.AccessKeyId);
        Environment.SetEnvironmentVariable("AKKAPROXY_TEST_BEDROCK_SECRET", FakeBedrock.SecretAccessKey);
        Environment.SetEnvironmentVariable("AKKAPROXY_TEST_BEDROCK_TOKEN", FakeBedrock.SessionToken);
    }

    protected override string ExtraHocon => $$"""
        akkaproxy.routing.providers {
          bedrock {
            kind = bedrock, base-url = "{{Upstream.BaseUrl.ToString().TrimEnd('/')}}", region = {{FakeBedrock.Region}}
            access-key-id-env = AKKAPROXY_TEST_BEDROCK_KEY_ID, secret-access-key-env = AKKAPROXY_TEST_BEDROCK_SECRET, session-token-env = AKKAPROXY_TEST_BEDROCK_TOKEN
            models = ["{{UpstreamModel}}"]
          }
          bedrock-keyed { kind = bedrock, base-url = "{{Upstream.BaseUrl.ToString().TrimEnd('/')}}", region = {{FakeBedrock.Region}}, api-key = "{{FakeBedrock.ApiKey}}" }
        }
        akkaproxy.pricing {
          "bedrock/anthropic.claude-3-5-haiku*" { input = 0.80, cached-input = 0.08, cache-write = 1.00, output = 4.00 }
          "bedrock/bdk-*" { input = 1.00, output = 2.00 }
        }
        """;

    private static string PathOf(string model, string operation) => $"/model/{Uri.EscapeDataString(model)}/{operation}";

    [Fact]
    public async Task AConverseStream_IsSignedForTheProvider_RelayedByteForByte_AndBilledFromItsMetadata()
    {
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post(PathOf(Model, "converse-stream"), Body));
        byte[] relayed = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.amazon.eventstream", response.Content.Headers.ContentType?.MediaType);

        RecordedRequest upstream = Upstream.LastRequest;
        Assert.Equal("/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse-stream", upstream.RawTarget); // the fake checked the signature on this
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=" + FakeBedrock.AccessKeyId + "/", upstream.Headers["Authorization"], StringComparison.Ordinal);
        Assert.Equal(FakeBedrock.SessionToken, upstream.Headers["X-Amz-Security-Token"]);
        Assert.DoesNotContain(RelayTestHost.RelayKey, string.Join("\n", upstream.Headers.Values), StringComparison.Ordinal);
        Assert.Equal(Body, upstream.BodyText);

        Assert.Equal(FakeBedrock.ConverseStream().SelectMany(m => m).ToArray(), relayed);

        BillingRecord record = await Relay.Billing.SingleForAsync(Model);
        Assert.Equal(ApiKind.BedrockConverse, record.Api);
        Assert.True(record.Streaming);
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.Equal(UsageStatus.Reported, record.Usage.Status);
        Assert.Equal(FakeBedrock.Input + FakeBedrock.CacheRead + FakeBedrock.CacheWrite, record.Usage.InputTokens);
        Assert.Equal(FakeBedrock.CacheRead, record.Usage.CachedInputTokens);
        Assert.Equal(FakeBedrock.CacheWrite, record.Usage.CacheWriteTokens);
        Assert.Equal(FakeBedrock.Output, record.Usage.OutputTokens);
        Assert.Equal((FakeBedrock.Input * 0.80m + FakeBedrock.CacheRead * 0.08m + FakeBedrock.CacheWrite * 1.00m + FakeBedrock.Output * 4.00m) / 1_000_000m, record.Cost);
        Assert.Equal(UpstreamModel, record.UpstreamModel);
    }

    [Fact]
    public async Task Converse_And_InvokeModel_AsJson_AreBilledFromTheBody_AndFromBedrocksHeaders()
    {
        using HttpResponseMessage converse = await Relay.Http.SendAsync(Post(PathOf(Model, "converse"), Body));
        Assert.Equal(HttpStatusCode.OK, converse.StatusCode);
        using (JsonDocument json = JsonDocument.Parse(await converse.Content.ReadAsStringAsync()))
        {
            Assert.Equal("end_turn", json.RootElement.GetProperty("stopReason").GetString());
        }

        BillingRecord first = await Relay.Billing.SingleForAsync(Model);
        Assert.Equal(ApiKind.BedrockConverse, first.Api);
        Assert.False(first.Streaming);
        Assert.Equal(ExchangeOutcome.Completed, first.Outcome);
        Assert.Equal(FakeBedrock.Input + FakeBedrock.CacheRead + FakeBedrock.CacheWrite, first.Usage.InputTokens);
        Assert.Equal(FakeBedrock.Output, first.Usage.OutputTokens);

        // InvokeModel: the model's own body (whose usage says 1 and 1); Bedrock's headers say what was used.
        string invokeModel = "bedrock/" + UpstreamModel.Replace("v1:0", "v1:1", StringComparison.Ordinal);
        using HttpResponseMessage invoke = await Relay.Http.SendAsync(Post(PathOf(invokeModel, "invoke"), InvokeBody));
        Assert.Equal(HttpStatusCode.OK, invoke.StatusCode);
        Assert.Equal(FakeBedrock.Input.ToString(System.Globalization.CultureInfo.InvariantCulture), invoke.Headers.GetValues("X-Amzn-Bedrock-Input-Token-Count").Single());
        Assert.Equal(InvokeBody, Upstream.LastRequest.BodyText);
        BillingRecord second = await Relay.Billing.SingleForAsync(invokeModel);
        Assert.Equal(ApiKind.BedrockInvoke, second.Api);
        Assert.Equal(ExchangeOutcome.Completed, second.Outcome);
        Assert.Equal(UsageStatus.Reported, second.Usage.Status);
        Assert.Equal(FakeBedrock.Input + FakeBedrock.CacheRead + FakeBedrock.CacheWrite, second.Usage.InputTokens);
        Assert.Equal(FakeBedrock.Output, second.Usage.OutputTokens);
        Assert.Equal("msg_bdrk_fake", second.ResponseId);
    }

    [Fact]
    public async Task AnInvokeStream_IsBilledFromTheInvocationMetrics_AndAProviderWithAnApiKeySendsItAsBearer()
    {
        const string keyed = "bedrock-keyed/" + UpstreamModel;
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post(PathOf(keyed, "invoke-with-response-stream"), InvokeBody));
        byte[] relayed = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(FakeBedrock.InvokeStream().SelectMany(m => m).ToArray(), relayed);
        Assert.Equal("Bearer " + FakeBedrock.ApiKey, Upstream.LastRequest.Headers["Authorization"]);
        Assert.False(Upstream.LastRequest.Headers.ContainsKey("X-Amz-Date"));

        BillingRecord record = await Relay.Billing.SingleForAsync(keyed);
        Assert.Equal(ApiKind.BedrockInvoke, record.Api);
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.Equal(UsageStatus.Reported, record.Usage.Status);
        Assert.Equal(FakeBedrock.Input + FakeBedrock.CacheRead + FakeBedrock.CacheWrite, record.Usage.InputTokens);
        Assert.Equal(FakeBedrock.Output, record.Usage.OutputTokens);
    }

    [Fact]
    public async Task ACorruptStream_EndsWithAnExceptionMessage_AfterTheMessagesBeforeIt_AndIsBilledWithWhatWasRead()
    {
        const string model = "bedrock/bdk-corrupt";
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post(PathOf(model, "invoke-with-response-stream"), InvokeBody));
        byte[] relayed = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        List<(string Type, string Name, byte[] Payload)> messages = Decode(relayed);
        Assert.Equal(3, messages.Count); // the two good ones, then the relay's exception
        Assert.Equal(FakeBedrock.InvokeStream().Take(2).SelectMany(m => m).ToArray(), relayed[..(relayed.Length - MessageLength(relayed, 2))]);
        Assert.Equal(("exception", "modelStreamErrorException"), (messages[2].Type, messages[2].Name));
        using (JsonDocument error = JsonDocument.Parse(messages[2].Payload))
        {
            Assert.Equal("upstream_stream_corrupt", error.RootElement.GetProperty("reason").GetString());
            Assert.Contains("CRC32", error.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        BillingRecord record = await Relay.Billing.SingleForAsync(model);
        Assert.Equal(ExchangeOutcome.Failed, record.Outcome);
        Assert.Equal("upstream_stream_corrupt", record.ErrorCode);
        Assert.Equal(EndedBy.Upstream, record.EndedBy);
        Assert.Equal(UsageStatus.Partial, record.Usage.Status); // message_start's counts: what the stream said before it broke
        Assert.Equal(FakeBedrock.Input - 1 + FakeBedrock.CacheRead + FakeBedrock.CacheWrite, record.Usage.InputTokens);
    }

    [Fact]
    public async Task AStreamCutInsideAMessage_EndsWithTheRelaysException_AndIsBilledTruncated()
    {
        const string model = "bedrock/bdk-cut";
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post(PathOf(model, "converse-stream"), Body));
        List<(string Type, string Name, byte[] Payload)> messages = Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(3, messages.Count); // two whole messages, then the relay's exception; nothing of the half message
        Assert.Equal(("exception", "modelStreamErrorException"), (messages[2].Type, messages[2].Name));
        using (JsonDocument error = JsonDocument.Parse(messages[2].Payload))
        {
            Assert.Equal("upstream_truncated", error.RootElement.GetProperty("reason").GetString());
        }

        BillingRecord record = await Relay.Billing.SingleForAsync(model);
        Assert.Equal(ExchangeOutcome.Failed, record.Outcome);
        Assert.Equal("upstream_truncated", record.ErrorCode);
    }

    [Fact]
    public async Task AnInvokeModelBodyCutShort_KeepsTheUsageBedrocksHeadersReported()
    {
        const string model = "bedrock/bdk-cut";
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post(PathOf(model, "invoke"), InvokeBody));
        _ = await response.Content.ReadAsByteArrayAsync();

        BillingRecord record = await Relay.Billing.SingleForAsync(model);
        Assert.Equal(ExchangeOutcome.Failed, record.Outcome);
        Assert.Equal("upstream_truncated", record.ErrorCode);
        Assert.Equal(UsageStatus.Reported, record.Usage.Status); // Bedrock charged for these whatever became of the body
        Assert.Equal(7, record.Usage.InputTokens);
        Assert.Equal(3, record.Usage.OutputTokens);
        Assert.Equal((7 * 1.00m + 3 * 2.00m) / 1_000_000m, record.Cost);
    }

    [Fact]
    public async Task AnExceptionFromBedrock_IsRelayed_AndEndsTheRecordAsAnUpstreamError()
    {
        const string model = "bedrock/bdk-throttled";
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post(PathOf(model, "converse-stream"), Body));
        List<(string Type, string Name, byte[] Payload)> messages = Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(("exception", "throttlingException"), (messages[^1].Type, messages[^1].Name));
        Assert.Equal(3, messages.Count); // nothing of the relay's after Bedrock's own exception

        BillingRecord record = await Relay.Billing.SingleForAsync(model);
        Assert.Equal(ExchangeOutcome.Failed, record.Outcome);
        Assert.Equal("upstream_reported_error", record.ErrorCode);
    }

    [Fact]
    public async Task Refusals_AreAwsJson_WithTheExceptionsName()
    {
        async Task<(HttpStatusCode Status, string Type, string Reason)> Refused(string path)
        {
            using HttpResponseMessage response = await Relay.Http.SendAsync(Post(path, Body));
            using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return (response.StatusCode, json.RootElement.GetProperty("__type").GetString()!, json.RootElement.GetProperty("reason").GetString()!);
        }

        Assert.Equal((HttpStatusCode.BadRequest, "ValidationException", "model_not_found"), await Refused(PathOf("nowhere/some-model", "converse")));
        Assert.Equal((HttpStatusCode.BadRequest, "ValidationException", "unsupported_provider"), await Refused(PathOf("openai/gpt-4o", "converse")));
        Assert.Equal((HttpStatusCode.NotFound, "ResourceNotFoundException", "unsupported_method"), await Refused(PathOf(Model, "converse-everything")));

        using var anonymous = new HttpRequestMessage(HttpMethod.Post, PathOf(Model, "converse")) { Content = new StringContent(Body, Encoding.UTF8, "application/json") };
        using HttpResponseMessage unauthorized = await Relay.Http.SendAsync(anonymous);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        using JsonDocument auth = JsonDocument.Parse(await unauthorized.Content.ReadAsStringAsync());
        Assert.Equal("UnrecognizedClientException", auth.RootElement.GetProperty("__type").GetString());

        // The provider's own error passes as it came, with its x-amzn-ErrorType.
        using HttpResponseMessage upstreamError = await Relay.Http.SendAsync(Post(PathOf("bedrock/status-429", "converse"), Body));
        Assert.Equal(HttpStatusCode.TooManyRequests, upstreamError.StatusCode);
        Assert.Equal("ThrottlingException", upstreamError.Headers.GetValues("x-amzn-ErrorType").Single());
        Assert.Contains("fake 429", await upstreamError.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AwssOfficialSdk_Converses_Streams_AndInvokes_ThroughTheRelay_AndSeesACorruptStreamAsAnError()
    {
        JsonElement[] lines = await NodeScript.RunAsync("bedrock-stream.mjs", new Dictionary<string, string>
        {
            ["RELAY_URL"] = Relay.BaseUrl.ToString().TrimEnd('/'),
            ["RELAY_KEY"] = RelayTestHost.RelayKey,
            ["MODEL"] = Model,
            ["BROKEN_MODEL"] = "bedrock/bdk-corrupt",
        });

        JsonElement stream = Assert.Single(lines, l => l.GetProperty("call").GetString() == "converse-stream");
        Assert.Equal(string.Concat(FakeUpstream.Deltas), stream.GetProperty("text").GetString());
        Assert.Equal("end_turn", stream.GetProperty("stopReason").GetString());
        Assert.Equal(FakeBedrock.CacheRead, stream.GetProperty("usage").GetProperty("cacheReadInputTokens").GetInt32());
        JsonElement converse = Assert.Single(lines, l => l.GetProperty("call").GetString() == "converse");
        Assert.Equal(FakeUpstream.Text, converse.GetProperty("text").GetString());
        JsonElement invoke = Assert.Single(lines, l => l.GetProperty("call").GetString() == "invoke-stream");
        Assert.Equal(FakeUpstream.Deltas.Length + 3, invoke.GetProperty("chunks").GetInt32());
        Assert.Equal(FakeBedrock.Output, invoke.GetProperty("metrics").GetProperty("outputTokenCount").GetInt32());

        // The SDK checks every CRC: it read the good messages and then the relay's exception, never the broken one.
        JsonElement corrupt = Assert.Single(lines, l => l.GetProperty("call").GetString() == "corrupt");
        Assert.Equal(1, corrupt.GetProperty("deltas").GetInt32());
        Assert.Equal("ModelStreamErrorException", corrupt.GetProperty("error").GetString());
        Assert.Contains("corrupt", corrupt.GetProperty("message").GetString(), StringComparison.Ordinal);

        // The SDK's path (the model id percent-encoded, '/' and ':' both) reached the upstream model's path, signed.
        Assert.Contains(Upstream.Requests, r => r.RawTarget == "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse-stream");
        Assert.DoesNotContain(Upstream.Requests, r => string.Join("\n", r.Headers.Values).Contains(RelayTestHost.RelayKey, StringComparison.Ordinal));
        BillingRecord[] records = await Relay.Billing.WaitForCountAsync(r => r.RequestedModel == Model, 3);
        Assert.Equal(3, records.Length);
        Assert.All(records, r => Assert.Equal(ExchangeOutcome.Completed, r.Outcome));
        Assert.Equal(ExchangeOutcome.Failed, (await Relay.Billing.SingleForAsync("bedrock/bdk-corrupt")).Outcome);
    }

    [Fact]
    public async Task TheModelList_HasTheProvidersModels()
    {
        using HttpRequestMessage request = new(HttpMethod.Get, "/v1/models");
        request.Headers.Authorization = new("Bearer", RelayTestHost.RelayKey);
        using HttpResponseMessage response = await Relay.Http.SendAsync(request);
        Assert.Contains("\"" + Model + "\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static List<(string Type, string Name, byte[] Payload)> Decode(byte[] stream)
    {
        var decoder = new AwsEventStreamDecoder(1 << 20);
        var buffer = new ReadOnlySequence<byte>(stream);
        var messages = new List<(string, string, byte[])>();
        while (decoder.TryRead(ref buffer, isFinalBlock: true, out EventStreamMessage message) == DecodeStatus.Frame)
        {
            messages.Add((Encoding.UTF8.GetString(message.MessageType.ToArray()), Encoding.UTF8.GetString(message.EventType.ToArray()), message.Payload.ToArray()));
        }

        Assert.True(buffer.IsEmpty, "the client's stream ends at a message boundary");
        return messages;
    }

    private static int MessageLength(byte[] stream, int index)
    {
        int offset = 0;
        for (int i = 0; i < index; i++)
        {
            offset += System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(stream.AsSpan(offset));
        }

        return System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(stream.AsSpan(offset));
    }
}
