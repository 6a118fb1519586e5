using System.Text;
using AkkaProxy.Pipeline.Framing;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Transport;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AkkaProxy.Host.Tests.Fakes;

/// <summary>
/// The fake provider's Bedrock runtime (<c>POST /model/{modelId}/converse</c>, <c>/converse-stream</c>,
/// <c>/invoke</c>, <c>/invoke-with-response-stream</c>) in AWS's wire format: it checks each request's
/// Signature V4 as Bedrock would, from the path exactly as it arrived (or takes a Bedrock API key as
/// Bearer), and answers Converse's JSON, its event stream (messageStart … messageStop, metadata with the
/// usage), InvokeModel's body with the token-count headers, or its stream of base64 chunks (Claude's own
/// events, Bedrock's invocationMetrics on the last). The model picks the behaviour: <c>bdk-corrupt</c>
/// breaks the CRC of the stream's third message; <c>bdk-throttled</c> ends the stream with a
/// <c>throttlingException</c> after two messages; <c>bdk-cut</c> ends the connection inside the stream's
/// third message (or inside InvokeModel's JSON, its token headers sent); <c>status-NNN</c> answers that error in AWS's JSON.
/// </summary>
public static class FakeBedrock
{
    public const string AccessKeyId = "AKIAFAKEBEDROCK01";
    public const string SecretAccessKey = "fake/Secret+Key0123456789abcdefghijklmno";
    public const string SessionToken = "fake-session-token";
    public const string ApiKey = "bedrock-api-key-fake";
    public const string Region = "us-west-2";

    public const int Input = 25, CacheRead = 1100, CacheWrite = 100, Output = 15;

    public static async Task HandleAsync(HttpContext ctx, FakeUpstream fake)
    {
        using var buffer = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(buffer);
        byte[] body = buffer.ToArray();
        string rawPath = ctx.Features.Get<IHttpRequestFeature>()!.RawTarget;
        fake.Record(new RecordedRequest(ctx.Request.Path, ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body) { Query = ctx.Request.QueryString.Value ?? "", RawTarget = rawPath });

        if (SignatureError(ctx, rawPath, body) is string refused)
        {
            await ErrorAsync(ctx, 403, "InvalidSignatureException", refused);
            return;
        }

        string target = Uri.UnescapeDataString(rawPath[BedrockPaths.Prefix.Length..]);
        int slash = target.LastIndexOf('/');
        string model = target[..slash];
        string operation = target[(slash + 1)..];
        if (model.StartsWith("status-", StringComparison.Ordinal))
        {
            int status = int.Parse(model["status-".Length..], System.Globalization.CultureInfo.InvariantCulture);
            await ErrorAsync(ctx, status, status == 429 ? "ThrottlingException" : "InternalServerException", $"fake {status} for {model}");
            return;
        }

        switch (operation)
        {
            case BedrockPaths.Converse:
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync($$$"""{"metrics":{"latencyMs":380},"output":{"message":{"content":[{"text":"{{{FakeUpstream.Text}}}"}],"role":"assistant"}},"stopReason":"end_turn","usage":{{{Usage()}}}}""");
                return;
            case BedrockPaths.Invoke:
                ctx.Response.ContentType = "application/json";
                if (model == "bdk-cut")
                {
                    ctx.Response.Headers["X-Amzn-Bedrock-Input-Token-Count"] = "7";
                    ctx.Response.Headers["X-Amzn-Bedrock-Output-Token-Count"] = "3";
                    await ctx.Response.WriteAsync("""{"id":"msg_cut","type":"message","content":[{"type":"text","text":"Hel""");
                    return; // a clean end inside the JSON
                }

                ctx.Response.Headers["X-Amzn-Bedrock-Input-Token-Count"] = Input.ToString(System.Globalization.CultureInfo.InvariantCulture);
                ctx.Response.Headers["X-Amzn-Bedrock-Output-Token-Count"] = Output.ToString(System.Globalization.CultureInfo.InvariantCulture);
                ctx.Response.Headers["X-Amzn-Bedrock-Cache-Read-Input-Token-Count"] = CacheRead.ToString(System.Globalization.CultureInfo.InvariantCulture);
                ctx.Response.Headers["X-Amzn-Bedrock-Cache-Write-Input-Token-Count"] = CacheWrite.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await ctx.Response.WriteAsync($$$"""{"id":"msg_bdrk_fake","type":"message","role":"assistant","model":"claude","content":[{"type":"text","text":"{{{FakeUpstream.Text}}}"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}""");
                return;
        }

        ctx.Response.ContentType = BedrockPaths.EventStreamMediaType;
        ctx.Response.Headers["x-amzn-RequestId"] = "fake-request-id";
        List<byte[]> messages = operation == BedrockPaths.ConverseStream ? ConverseStream() : InvokeStream();
        for (int i = 0; i < messages.Count; i++)
        {
            byte[] message = messages[i];
            if (model == "bdk-throttled" && i == 2)
            {
                message = Message("exception", "throttlingException", """{"message":"Too many tokens, please wait before trying again."}""");
                await ctx.Response.Body.WriteAsync(message);
                return;
            }

            if (model == "bdk-cut" && i == 2)
            {
                await ctx.Response.Body.WriteAsync(message.AsMemory(0, message.Length / 2)); // the connection ends inside a message
                return;
            }

            if (model == "bdk-corrupt" && i == 2)
            {
                message[^5] ^= 0x01; // the payload's last byte: the message CRC no longer matches
            }

            await ctx.Response.Body.WriteAsync(message);
            await ctx.Response.Body.FlushAsync();
        }
    }

    /// <summary>The Converse usage object the fake reports.</summary>
    public static string Usage() =>
        $$"""{"inputTokens":{{Input}},"outputTokens":{{Output}},"totalTokens":{{Input + Output + CacheRead + CacheWrite}},"cacheReadInputTokens":{{CacheRead}},"cacheWriteInputTokens":{{CacheWrite}}}""";

    /// <summary>Converse's stream of events, as ConverseStream sends them.</summary>
    public static List<byte[]> ConverseStream()
    {
        var messages = new List<byte[]> { Event("messageStart", """{"p":"abcdefghijk","role":"assistant"}""") };
        messages.AddRange(FakeUpstream.Deltas.Select(delta => Event("contentBlockDelta", $$"""{"contentBlockIndex":0,"delta":{"text":"{{delta}}"},"p":"abcd"}""")));
        messages.Add(Event("contentBlockStop", """{"contentBlockIndex":0,"p":"abcdefgh"}"""));
        messages.Add(Event("messageStop", """{"p":"abcdefghijklm","stopReason":"end_turn"}"""));
        messages.Add(Event("metadata", $$"""{"metrics":{"latencyMs":412},"p":"ab","usage":{{Usage()}}}"""));
        return messages;
    }

    /// <summary>InvokeModelWithResponseStream for a Claude model: its own events in base64 chunks, Bedrock's metrics on the last.</summary>
    public static List<byte[]> InvokeStream()
    {
        var messages = new List<byte[]> { Chunk($$$"""{"type":"message_start","message":{"id":"msg_bdrk_fake","type":"message","role":"assistant","model":"claude","content":[],"usage":{"input_tokens":{{{Input - 1}}},"cache_read_input_tokens":{{{CacheRead}}},"cache_creation_input_tokens":{{{CacheWrite}}},"output_tokens":1}}""" + "}") };
        messages.AddRange(FakeUpstream.Deltas.Select(delta => Chunk($$$"""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"{{{delta}}}"}}""")));
        messages.Add(Chunk($$$"""{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":{{{Output - 2}}}}}"""));
        messages.Add(Chunk($$$"""{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":{{{Input}}},"outputTokenCount":{{{Output}}},"invocationLatency":500,"firstByteLatency":120,"cacheReadInputTokenCount":{{{CacheRead}}},"cacheWriteInputTokenCount":{{{CacheWrite}}}}}"""));
        return messages;
    }

    private static byte[] Event(string type, string json) => Message("event", type, json);

    private static byte[] Chunk(string modelJson) =>
        Event("chunk", $$"""{"bytes":"{{Convert.ToBase64String(Encoding.UTF8.GetBytes(modelJson))}}","p":"abcdefghijklmnop"}""");

    private static byte[] Message(string messageType, string type, string json) => AwsEventStreamEncoder.Encode(
        [new(messageType == "exception" ? ":exception-type" : ":event-type", type), new(":content-type", "application/json"), new(":message-type", messageType)],
        Encoding.UTF8.GetBytes(json));

    /// <summary>Null when the request is signed for the fake's credentials (or carries its API key); otherwise why not.</summary>
    private static string? SignatureError(HttpContext ctx, string rawPath, byte[] body)
    {
        string authorization = ctx.Request.Headers.Authorization.ToString();
        if (authorization == "Bearer " + ApiKey)
        {
            return null;
        }

        const string prefix = SigV4Signer.Algorithm + " Credential=";
        if (!authorization.StartsWith(prefix, StringComparison.Ordinal))
        {
            return "Missing Authentication Token";
        }

        string[] parts = authorization[prefix.Length..].Split(", ");
        string[] scope = parts[0].Split('/');
        string[] signedNames = parts[1]["SignedHeaders=".Length..].Split(';');
        if (scope[0] != AccessKeyId || scope[2] != Region || scope[3] != "bedrock")
        {
            return $"The credential scope {parts[0]} is not the fake's.";
        }

        if (!signedNames.Contains("host") || !signedNames.Contains("x-amz-date"))
        {
            return "SignedHeaders must include host and x-amz-date.";
        }

        // Signed with only the headers the request names, as the server reads them; the signer adds x-amz-date and the token itself.
        var headers = signedNames.Where(n => n is not ("x-amz-date" or "x-amz-security-token"))
            .Select(n => new KeyValuePair<string, string>(n, ctx.Request.Headers[n].ToString())).ToList();
        int query = rawPath.IndexOf('?');
        var request = new SigV4Request(ctx.Request.Method, query < 0 ? rawPath : rawPath[..query], query < 0 ? "" : rawPath[query..], headers, body);
        DateTimeOffset at = DateTimeOffset.ParseExact(ctx.Request.Headers["X-Amz-Date"].ToString(), "yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);
        string? token = ctx.Request.Headers["X-Amz-Security-Token"].ToString() is { Length: > 0 } t ? t : null;
        if (token != SessionToken)
        {
            return "The security token included in the request is invalid.";
        }

        SigV4Result expected = SigV4Signer.Sign(request, new AwsCredentials(AccessKeyId, SecretAccessKey, token), Region, "bedrock", at, new SigV4Options(Normalize: true, SignBody: false));
        return parts[2] == "Signature=" + expected.Signature ? null : "The request signature we calculated does not match the signature you provided.";
    }

    private static Task ErrorAsync(HttpContext ctx, int status, string type, string message)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.Headers["x-amzn-ErrorType"] = type;
        return ctx.Response.WriteAsync($$"""{"message":"{{message}}"}""");
    }
}
