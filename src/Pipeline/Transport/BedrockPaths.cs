using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// Bedrock's runtime paths: <c>/model/{modelId}/converse</c>, <c>/converse-stream</c>, <c>/invoke</c>
/// and <c>/invoke-with-response-stream</c>. The model id is one path segment as AWS's SDKs send it
/// (<c>:</c> and <c>/</c> of an inference profile's ARN percent-encoded), or the relay's provider
/// prefix and the id with a plain <c>/</c> between them.
/// </summary>
internal static class BedrockPaths
{
    public const string Prefix = "/model/";

    /// <summary>The media type of Bedrock's streamed responses (AWS's binary event stream).</summary>
    public const string EventStreamMediaType = "application/vnd.amazon.eventstream";
    public const string Converse = "converse";
    public const string ConverseStream = "converse-stream";
    public const string Invoke = "invoke";
    public const string InvokeStream = "invoke-with-response-stream";

    /// <summary>The API a path calls (Invoke for the invoke operations, Converse for any other, which <see cref="TryParse"/> then refuses).</summary>
    public static ApiKind ApiOf(string? path) =>
        path is not null && (path.EndsWith("/" + Invoke, StringComparison.Ordinal) || path.EndsWith("/" + InvokeStream, StringComparison.Ordinal))
            ? ApiKind.BedrockInvoke
            : ApiKind.BedrockConverse;

    /// <summary>Reads the model and whether the call streams from a request path (as ASP.NET Core gives it: decoded but for <c>%2F</c>); false when it is no Bedrock runtime path.</summary>
    public static bool TryParse(string? path, out string model, out ApiKind api, out bool streaming)
    {
        model = "";
        api = ApiKind.BedrockConverse;
        streaming = false;
        if (path is null || !path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        int slash = path.LastIndexOf('/');
        if (slash <= Prefix.Length)
        {
            return false;
        }

        (api, streaming) = path[(slash + 1)..] switch
        {
            Converse => (ApiKind.BedrockConverse, false),
            ConverseStream => (ApiKind.BedrockConverse, true),
            Invoke => (ApiKind.BedrockInvoke, false),
            InvokeStream => (ApiKind.BedrockInvoke, true),
            _ => ((ApiKind)(-1), false),
        };
        if (api == (ApiKind)(-1))
        {
            api = ApiKind.BedrockConverse;
            return false;
        }

        model = Uri.UnescapeDataString(path[Prefix.Length..slash]);
        return model.Length > 0;
    }

    /// <summary>The upstream path for <paramref name="upstreamModel"/>: its id as one encoded segment (<c>:</c> as <c>%3A</c>, as AWS's SDKs send it), then the operation.</summary>
    public static string For(string upstreamModel, ApiKind api, bool streaming)
    {
        string operation = api == ApiKind.BedrockInvoke
            ? streaming ? InvokeStream : Invoke
            : streaming ? ConverseStream : Converse;
        return $"{Prefix}{Uri.EscapeDataString(upstreamModel)}/{operation}";
    }
}
